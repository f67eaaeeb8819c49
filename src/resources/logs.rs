//! Amazon CloudWatch Logs: log groups with a retention that PCI DSS accepts and the stack's key.

use schemars::JsonSchema;
use serde::Serialize;

use crate::cfn::{Expr, Tag};
use crate::resources::bounds::{Allowed, LOG_RETENTION_DAYS, checked};
use crate::resources::kms::KeyArn;
use crate::{optional_properties, physical_name, resource_type};

/// `AWS::Logs::LogGroup`. Retention is required: a log group without one keeps logs forever at a cost nobody
/// reviewed, and cfn-guard's `CW_LOGGROUP_RETENTION_PERIOD_CHECK` rejects it.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct LogGroup {
    #[serde(serialize_with = "retention")]
    retention_in_days: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    log_group_name: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kms_key_id: Option<KeyArn>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<Vec<Tag>>,
}

fn retention<S: serde::Serializer>(days: &u32, s: S) -> Result<S::Ok, S::Error> {
    checked(
        "RetentionInDays",
        Allowed::OneOf(LOG_RETENTION_DAYS),
        *days,
        s,
    )
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
        kms_key_id: KeyArn,
    }
}

physical_name!(LogGroup, log_group_name, "LogGroupName", |name| Some(
    Expr::lit(name)
));

resource_type!(LogGroup, "AWS::Logs::LogGroup", tags: list, attributes {
    ref: log_group_name,
    arn => "Arn",
});

#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
struct MetricFilterDimension {
    key: String,
    value: String,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
struct MetricTransformation {
    metric_name: String,
    metric_namespace: String,
    metric_value: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    default_value: Option<f64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    dimensions: Vec<MetricFilterDimension>,
    unit: String,
}

/// `AWS::Logs::MetricFilter`: turns matching log events into a metric, for numbers that exist only in logs.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct MetricFilter {
    filter_name: String,
    filter_pattern: String,
    log_group_name: Expr,
    metric_transformations: Vec<MetricTransformation>,
}

impl MetricFilter {
    fn counting(
        filter_name: String,
        pattern: String,
        log_group_name: Expr,
        namespace: String,
        metric: String,
        default_value: Option<f64>,
        dimensions: Vec<MetricFilterDimension>,
    ) -> Self {
        MetricFilter {
            filter_name,
            filter_pattern: pattern,
            log_group_name,
            metric_transformations: vec![MetricTransformation {
                metric_name: metric,
                metric_namespace: namespace,
                metric_value: "1".into(),
                default_value,
                dimensions,
                unit: "Count".into(),
            }],
        }
    }

    /// Counts the events of `log_group_name` matching `pattern` as `namespace`/`metric` (1 per event, 0 when a
    /// period has none, so an alarm sees a quiet minute as zero rather than as missing data).
    pub fn count(
        filter_name: impl Into<String>,
        pattern: impl Into<String>,
        log_group_name: Expr,
        namespace: impl Into<String>,
        metric: impl Into<String>,
    ) -> Self {
        Self::counting(
            filter_name.into(),
            pattern.into(),
            log_group_name,
            namespace.into(),
            metric.into(),
            Some(0.0),
            Vec::new(),
        )
    }

    /// Counts matching events per value of the JSON field `field` of each event, as the dimension `dimension`.
    /// CloudWatch takes no default value with dimensions: a quiet period has no data point.
    pub fn count_by(
        filter_name: impl Into<String>,
        pattern: impl Into<String>,
        log_group_name: Expr,
        namespace: impl Into<String>,
        metric: impl Into<String>,
        dimension: impl Into<String>,
        field: impl Into<String>,
    ) -> Self {
        Self::counting(
            filter_name.into(),
            pattern.into(),
            log_group_name,
            namespace.into(),
            metric.into(),
            None,
            vec![MetricFilterDimension {
                key: dimension.into(),
                value: format!("$.{}", field.into()),
            }],
        )
    }
}

resource_type!(MetricFilter, "AWS::Logs::MetricFilter", tags: none);
