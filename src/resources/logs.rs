//! Amazon CloudWatch Logs: log groups with a retention that PCI DSS accepts and the stack's key.

use schemars::JsonSchema;
use serde::Serialize;

use crate::cfn::{Expr, Tag};
use crate::{optional_properties, resource_type};

/// `AWS::Logs::LogGroup`. Retention is required: a log group without one keeps logs forever at a cost nobody
/// reviewed, and cfn-guard's `CW_LOGGROUP_RETENTION_PERIOD_CHECK` rejects it.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct LogGroup {
    retention_in_days: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    log_group_name: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kms_key_id: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<Vec<Tag>>,
}

impl LogGroup {
    pub fn new(retention_in_days: u32) -> Self {
        LogGroup {
            retention_in_days,
            log_group_name: None,
            kms_key_id: None,
            tags: None,
        }
    }

    optional_properties! {
        log_group_name: Expr,
        /// The key's ARN (CloudWatch Logs does not accept a key id or alias here).
        kms_key_id: Expr,
    }
}

resource_type!(LogGroup, "AWS::Logs::LogGroup", tags: list, attributes {
    ref: log_group_name,
    arn => "Arn",
});
