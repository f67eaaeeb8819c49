//! A platform team extends the shipped stack from its own crate, through migen's public API and without copying
//! any of it: its own encrypted SNS topic, and an alarm that pages that topic when the forward DMS task's CDC
//! latency stays over two minutes. Both are added after every layer is built and before the key and topic
//! policies are written ([`payment_migration::compose`], then [`payment_migration::Composed::seal`]).
//!
//! ```sh
//! cargo run --example extend_the_stack > stack.yaml
//! ```

use migen::cfn::Format;
use migen::cloudwatch::{DmsTask, DmsTaskMetric, Metric};
use migen::payment_migration::{self, Layer, alerting};
use migen::resources::cloudwatch::{
    AlarmCondition, AlarmMetric, ComparisonOperator, Statistic, TreatMissingData,
};
use migen::resources::iam::{PolicyDocument, Principal, Statement};
use migen::resources::sns::{Topic, TopicPolicy};
use migen::spec::{self, Overrides};
use migen::testing::RenderedTemplate;
use serde_json::json;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let env = spec::load_shipped("dev", &Overrides::default())?;
    let mut composed = payment_migration::compose(&env);
    let (stack, layers) = (&mut composed.stack, &composed.layers);

    // The team's topic, encrypted with the stack's key, which CloudWatch alarms of this account may publish to
    // over TLS only.
    let topic = stack.add(
        Layer::Notification,
        "platform team topic",
        Topic::encrypted(&layers.key),
    );
    stack.add(
        Layer::Notification,
        "platform team topic policy",
        TopicPolicy::new(
            PolicyDocument::new(vec![
                Statement::allow("AlarmsPublish", &["sns:Publish"])
                    .principal(Principal::service("cloudwatch.amazonaws.com"))
                    .resource(topic.topic_arn())
                    .from_this_account(),
                Statement::deny("DenyInsecureTransport", &["sns:Publish"])
                    .principal(Principal::Everyone)
                    .resource(topic.topic_arn())
                    .condition("Bool", "aws:SecureTransport", false),
            ]),
            vec![topic.topic_arn()],
        ),
    );

    // The alarm, on a metric named by the handles of the replication instance and the forward task.
    let forward = DmsTask::of(
        &layers.replication.instance,
        &layers.replication.forward_task,
    );
    let alarm = alerting::paging_alarm(
        stack,
        &topic,
        "platform team cdc latency",
        "The forward DMS task's source CDC latency has stayed over 120 s for 5 minutes. Missing data is not \
         breaching: the task publishes no latency before it runs.",
        AlarmMetric::Single {
            metric: Metric::dms_task(&forward, DmsTaskMetric::CdcLatencySource),
            statistic: Statistic::Maximum,
            period: 60,
        },
        AlarmCondition::every_period(ComparisonOperator::GreaterThanThreshold, 120.0, 5),
        TreatMissingData::NotBreaching,
    );
    eprintln!("added {} ({})", alarm.name(), alarm.logical_id());

    let stack = composed.seal();
    let rendered = stack.template.render(Format::Yaml)?;
    // What CloudFormation receives: the alarm on the forward task's metric, paging the team's topic.
    RenderedTemplate::parse(&rendered.body)?.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        &json!({
            "AlarmName": alarm.name(),
            "Namespace": "AWS/DMS",
            "MetricName": "CDCLatencySource",
            "AlarmActions": [{"Ref": topic.logical_id().as_str()}],
        }),
    );
    print!("{}", rendered.body);
    Ok(())
}
