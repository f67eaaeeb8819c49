//! Amazon CloudWatch Logs: log groups with a retention that PCI DSS accepts and the stack's key, and metric
//! filters for numbers that exist only in logs. The types are generated (in `src/resources/generated/logs.rs`); the opinion
//! on top of them is written here.

pub use super::generated::logs::*;

use crate::cfn::Expr;
use metric_filter::{Dimension, MetricTransformation, Unit};

impl MetricFilter {
    /// Counts the events of `log_group_name` matching `pattern` as `namespace`/`metric` (1 per event, 0 when a
    /// period has none, so an alarm sees a quiet minute as zero rather than as missing data).
    pub fn count(
        filter_name: impl Into<String>,
        pattern: impl Into<String>,
        log_group_name: Expr,
        namespace: impl Into<String>,
        metric: impl Into<String>,
    ) -> Self {
        let transformation = MetricTransformation::new(metric.into(), namespace.into(), "1")
            .default_value(0.0)
            .unit(Unit::Count);
        MetricFilter::new(pattern.into(), log_group_name, vec![transformation])
            .filter_name(filter_name.into())
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
        let transformation = MetricTransformation::new(metric.into(), namespace.into(), "1")
            .dimensions(vec![Dimension::new(
                dimension.into(),
                format!("$.{}", field.into()),
            )])
            .unit(Unit::Count);
        MetricFilter::new(pattern.into(), log_group_name, vec![transformation])
            .filter_name(filter_name.into())
    }
}
