//! Amazon SNS: the operations topic that alarms and workflows publish to. The types are generated
//! (in `src/resources/generated/sns.rs`); what is written here is the opinion on top of them.

pub use super::generated::sns::*;
pub use super::slot::TopicArn;

use crate::cfn::Expr;
use crate::resources::slot::KeyArn;

impl Topic {
    /// A topic encrypted with a customer-managed key (PCI DSS 3.5, cfn-guard `SNS_ENCRYPTED_KMS`): alarm and
    /// workflow messages name tables, tasks and executions of the cardholder-data environment.
    pub fn encrypted(kms_master_key_id: impl Into<KeyArn>) -> Self {
        Topic::new(kms_master_key_id)
    }
}

impl Subscription {
    /// An e-mail subscription; the recipient confirms it from the message SNS sends, so nothing reaches an
    /// address that did not opt in.
    pub fn email(topic: impl Into<TopicArn>, address: impl Into<Expr>) -> Self {
        Subscription::new("email", topic).endpoint(address)
    }
}
