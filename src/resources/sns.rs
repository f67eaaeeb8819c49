//! Amazon SNS: the operations topic that alarms and workflows publish to.

use schemars::JsonSchema;
use serde::Serialize;

use super::iam::PolicyDocument;
use crate::cfn::{Expr, Tag};
use crate::resources::kms::KeyArn;
use crate::{optional_properties, resource_type};

/// `AWS::SNS::Topic`, encrypted with a customer-managed key (cfn-guard `SNS_ENCRYPTED_KMS`).
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Topic {
    kms_master_key_id: KeyArn,
    #[serde(skip_serializing_if = "Option::is_none")]
    topic_name: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<Vec<Tag>>,
}

impl Topic {
    pub fn encrypted(kms_master_key_id: impl Into<KeyArn>) -> Self {
        Topic {
            kms_master_key_id: kms_master_key_id.into(),
            topic_name: None,
            display_name: None,
            tags: None,
        }
    }

    optional_properties! {
        topic_name: Expr,
        display_name: String,
    }
}

resource_type!(Topic, "AWS::SNS::Topic", tags: list, attributes {
    ref: topic_arn,
    topic_name => "TopicName",
});

reference_slot!(
    /// An SNS topic where a property takes one, as its ARN: a topic of the template from its handle (`&topic`),
    /// or [`TopicArn::existing`] for one it does not create (another region's, another stack's).
    TopicArn,
    Topic,
    topic_arn
);

/// `AWS::SNS::Subscription`.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Subscription {
    topic_arn: Expr,
    protocol: String,
    endpoint: Expr,
}

impl Subscription {
    /// An e-mail subscription; the recipient confirms it from the message SNS sends.
    pub fn email(topic: impl Into<TopicArn>, address: impl Into<Expr>) -> Self {
        Subscription {
            topic_arn: topic.into().into_expr(),
            protocol: "email".into(),
            endpoint: address.into(),
        }
    }
}

resource_type!(Subscription, "AWS::SNS::Subscription", tags: none);

/// `AWS::SNS::TopicPolicy`.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct TopicPolicy {
    policy_document: PolicyDocument,
    topics: Vec<Expr>,
}

impl TopicPolicy {
    pub fn new(policy_document: PolicyDocument, topics: Vec<Expr>) -> Self {
        TopicPolicy {
            policy_document,
            topics,
        }
    }
}

resource_type!(TopicPolicy, "AWS::SNS::TopicPolicy", tags: none);
