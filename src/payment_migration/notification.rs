//! The notification layer: the operations topic that alarms and the migration and rollback workflows publish to.

use crate::cfn::{Expr, Handle, LogicalId, Output};
use crate::resources::iam::{PolicyDocument, Principal, Statement};
use crate::resources::kms::Key;
use crate::resources::sns::{Subscription, Topic, TopicPolicy};

use super::stack::{Layer, Stack};

/// The notification layer's handle, for the alarms, the workflows and anything a platform team adds.
pub struct Notification {
    /// The operations topic, encrypted with the region's key and subscribed by the spec's `operations_email`:
    /// a publisher needs a statement registered with [`Stack::allow_topic_publish`] and the use of the key.
    pub operations_topic: Handle<Topic>,
}

/// The operations topic, its email subscription and its output, and what CloudWatch alarms and the account's
/// roles need to publish to it; its policy is written later, by [`seal`].
pub fn build(stack: &mut Stack, key: &Handle<Key>) -> Notification {
    let name = stack.name("operations");
    let topic = stack.add(
        Layer::Notification,
        "operations topic",
        Topic::encrypted(key)
            .topic_name(name)
            .display_name(format!("Payment migration {}", stack.env.name)),
    );
    stack.add(
        Layer::Notification,
        "operations email subscription",
        Subscription::email(&topic, stack.env.operations_email.clone()),
    );
    // The topic is encrypted, so whoever publishes also needs the key: CloudWatch alarms publish as the service.
    stack.use_key_via("sns");
    stack.grant_key(
        Statement::allow(
            "CloudWatchAlarmsPublishToEncryptedTopic",
            &["kms:Decrypt", "kms:GenerateDataKey*"],
        )
        .principal(Principal::service("cloudwatch.amazonaws.com"))
        .resource("*")
        .from_this_account(),
    );
    stack.allow_topic_publish(
        Statement::allow("CloudWatchAlarmsPublish", &["sns:Publish"])
            .principal(Principal::service("cloudwatch.amazonaws.com"))
            .resource(topic.topic_arn())
            .condition(
                "ArnLike",
                "aws:SourceArn",
                Expr::arn("cloudwatch", "alarm:*"),
            )
            .from_this_account(),
    );
    // The workflows publish with their execution roles; the account's IAM policies decide which roles.
    stack.allow_topic_publish(
        Statement::allow("AccountRolesPublish", &["sns:Publish"])
            .principal(Principal::aws(Expr::account_root_arn()))
            .resource(topic.topic_arn()),
    );
    stack.template.output(
        LogicalId::verbatim("OperationsTopicArn"),
        Output::new("Operations SNS topic (sns_topic_arn)", topic.topic_arn()),
    );
    Notification {
        operations_topic: topic,
    }
}

/// The topic's policy: what the layers registered ([`Stack::allow_topic_publish`]), and TLS for everyone;
/// called once every layer is built.
pub fn seal(stack: &mut Stack, notification: &Notification) {
    let topic = &notification.operations_topic;
    let mut statements = stack.grants.topic_statements.clone();
    statements.push(
        Statement::deny("DenyInsecureTransport", &["sns:Publish"])
            .principal(Principal::Everyone)
            .resource(topic.topic_arn())
            .condition("Bool", "aws:SecureTransport", false),
    );
    stack.add(
        Layer::Notification,
        "operations topic policy",
        TopicPolicy::new(PolicyDocument::new(statements), vec![topic.topic_arn()]),
    );
    stack.grants.topic_sealed = true;
}
