//! What a crate of its own can add to migen's templates, through the public API only (this file is outside the
//! crate, as a platform team's code is): a resource type of its own with typed attributes, a raw resource of a
//! type migen has no builder for, and the checks both still get at render.

use migen::cfn::{Attributes, Expr, Format, LogicalId, Output, Raw, Template};
use migen::resources::logs::LogGroup;
use migen::testing::RenderedTemplate;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::json;

/// A team's own builder for `AWS::SQS::Queue`, with the attributes its handle may read.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
struct Queue {
    kms_master_key_id: Expr,
}

migen::resource_type!(Queue, "AWS::SQS::Queue", tags: none, attributes in QueueAttributes {
    ref: queue_url,
    arn => "Arn",
    queue_name => "QueueName",
});

fn id(name: &str) -> LogicalId {
    LogicalId::verbatim(name)
}

fn rendered(template: &Template) -> RenderedTemplate {
    RenderedTemplate::parse(&template.render(Format::Json).unwrap().body).unwrap()
}

#[test]
fn a_type_defined_outside_migen_has_typed_attributes() {
    let mut template = Template::new("extension");
    let key = template.add(id("Logs"), LogGroup::new(365));
    let queue = template.add(
        id("Queue"),
        Queue {
            kms_master_key_id: key.arn(),
        },
    );
    template.output(id("QueueArn"), Output::new("the queue", queue.arn()));
    template.output(id("QueueUrl"), Output::new("its URL", queue.queue_url()));
    let rendered = rendered(&template);
    rendered.has_resource_properties(
        "AWS::SQS::Queue",
        &json!({"KmsMasterKeyId": {"Fn::GetAtt": ["Logs", "Arn"]}}),
    );
    rendered.has_output("QueueArn", &json!({"Fn::GetAtt": ["Queue", "Arn"]}));
    rendered.has_output("QueueUrl", &json!({"Ref": "Queue"}));
}

#[test]
fn a_raw_resource_takes_part_in_the_reference_checks() {
    let mut template = Template::new("extension");
    let logs = template.add(id("Logs"), LogGroup::new(365));
    let raw: migen::cfn::Handle<Raw> = template.add_raw(
        id("Topic"),
        "AWS::SNS::Topic",
        &["TopicArn", "TopicName"],
        json!({"KmsMasterKeyId": logs.arn(), "DisplayName": "team"}),
        Attributes::new(),
    );
    template.output(
        id("TopicName"),
        Output::new("the topic", raw.attribute("TopicName")),
    );
    let rendered = rendered(&template);
    rendered.has_resource_properties(
        "AWS::SNS::Topic",
        &json!({"KmsMasterKeyId": {"Fn::GetAtt": ["Logs", "Arn"]}, "DisplayName": "team"}),
    );

    // An attribute the raw resource did not declare, and a reference to a resource of no template, are refused.
    template.output(id("Nope"), Output::new("no", raw.attribute("Nope")));
    let mut other = Template::new("other");
    let elsewhere = other.add(id("Elsewhere"), LogGroup::new(365));
    template.add_raw(
        id("Queue"),
        "AWS::SQS::Queue",
        &[],
        json!({"RedrivePolicy": {"deadLetterTargetArn": elsewhere.arn()}}),
        Attributes::new(),
    );
    let problems = template.render(Format::Json).unwrap_err().problems;
    assert_eq!(
        problems,
        [
            "resource Queue refers to resource `Elsewhere`, which is not in this template",
            "output Nope refers to attribute `Topic.Nope` in Fn::GetAtt, which AWS::SNS::Topic does not have (it \
             has: TopicArn, TopicName)",
        ]
    );
}

/// Properties given as expressions (not as JSON made beforehand) also carry their handles' template, so a handle
/// of another template is refused even where this template has a resource of its logical id.
#[test]
fn a_raw_resource_refuses_a_handle_of_another_template() {
    let mut template = Template::new("extension");
    template.add(id("Logs"), LogGroup::new(365));
    let mut other = Template::new("other");
    let foreign = other.add(id("Logs"), LogGroup::new(365));
    let properties: std::collections::BTreeMap<&str, Expr> =
        [("KmsMasterKeyId", foreign.arn())].into_iter().collect();
    template.add_raw(
        id("Topic"),
        "AWS::SNS::Topic",
        &[],
        properties,
        Attributes::new(),
    );
    assert_eq!(
        template.render(Format::Json).unwrap_err().problems,
        ["resource Topic: refers to Logs through a handle of another template"]
    );
}
