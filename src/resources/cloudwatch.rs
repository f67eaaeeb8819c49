//! Amazon CloudWatch alarms and dashboards. The types are generated (in `src/resources/generated/cloudwatch.rs`);
//! the opinion on top of them is written here. An alarm's metric is a [`Metric`], which only the typed
//! constructors of [`crate::cloudwatch`] build (so its dimensions are the ones the service publishes); how it treats
//! missing data is a constructor argument of [`Alarm::watching`] (under the default, `missing`, a metric that stops
//! reporting leaves the alarm in `INSUFFICIENT_DATA` rather than in the state a migration gate wants: a stalled task
//! is not a healthy one); and [`Alarm::notify`] sets the alarm and OK actions together, so the operations topic
//! hears both when trouble starts and when it ends.

pub use super::generated::cloudwatch::*;
pub use alarm::{ComparisonOperator, Statistic, TreatMissingData};

use crate::cfn::Expr;
use crate::resources::slot::TopicArn;
use alarm::{MetricDataQuery, MetricStat};

/// One dimension: its name and the value, which may be an expression resolved at deploy time.
#[derive(Clone, Debug, PartialEq)]
pub struct Dimension {
    /// The dimension's name as the service publishes it, e.g. `FunctionName`; CloudWatch matches it
    /// case-sensitively.
    pub name: &'static str,
    /// The dimension's value; an expression (a `Ref`, an `Fn::Sub`) is resolved at deploy time.
    pub value: Expr,
}

/// A metric: namespace, name and the complete dimension set it is published under, as an alarm's `Namespace`,
/// `MetricName` and `Dimensions` name it. Built only by the typed constructors in [`crate::cloudwatch`], which
/// take the handles of the resources that publish it.
#[derive(Clone, Debug, PartialEq)]
pub struct Metric {
    namespace: String,
    name: &'static str,
    dimensions: Vec<Dimension>,
}

impl Metric {
    /// The namespace, e.g. `AWS/DMS`; a metric the system publishes itself has one outside `AWS/`.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The metric's name as the service publishes it (case-sensitive), e.g. `CDCLatencySource`.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The complete dimension set: CloudWatch treats each combination of dimensions as a metric of its own, so an
    /// alarm naming only some of them finds no data.
    pub fn dimensions(&self) -> &[Dimension] {
        &self.dimensions
    }

    /// Only the typed constructors of [`crate::cloudwatch::Metric`] call this, so every metric has the
    /// dimensions its service publishes.
    pub(crate) fn new(
        namespace: impl Into<String>,
        name: &'static str,
        dimensions: Vec<Dimension>,
    ) -> Self {
        Metric {
            namespace: namespace.into(),
            name,
            dimensions,
        }
    }
}

fn dimensions(metric: &Metric) -> Vec<alarm::Dimension> {
    metric
        .dimensions()
        .iter()
        .map(|d| alarm::Dimension::new(d.name, d.value.clone()))
        .collect()
}

/// What an alarm watches: one metric's statistic, or a metric-math expression over several metrics (each
/// named `m1`, `m2`, … in the expression, in the order given).
#[derive(Clone, Debug)]
pub enum AlarmMetric {
    /// One metric, rendered as the alarm's `Namespace`, `MetricName`, `Dimensions`, `Statistic` and `Period`.
    Single {
        /// The metric, with its complete dimension set.
        metric: Metric,
        /// The statistic compared with the threshold.
        statistic: Statistic,
        /// Seconds each data point covers: 10, 30 or a multiple of 60 (10 and 30 only for high-resolution
        /// metrics).
        period: u32,
    },
    /// Metric math, rendered as the alarm's `Metrics`: only the expression's result (`e1`) is compared with the
    /// threshold.
    Expression {
        /// The metric-math expression over `m1`, `m2`, …, e.g. `m1 + m2`; it must yield a single time series.
        expression: String,
        /// The result's label, shown on the alarm's graph.
        label: String,
        /// The inputs, `m1`, `m2`, … in this order, each with its statistic; none is compared on its own.
        metrics: Vec<(Metric, Statistic)>,
        /// Seconds each data point of every input covers, as for [`AlarmMetric::Single`].
        period: u32,
    },
}

/// The threshold and how many periods decide the state: named fields, because the generated [`Alarm::new`] takes
/// the two period counts side by side, where swapping them would still compile.
#[derive(Clone, Copy, Debug)]
pub struct AlarmCondition {
    /// How the statistic is compared with `threshold`: `>` or `>=`, or `<` or `<=` for metrics whose fall is the
    /// trouble. A statistic equal to the threshold breaches only the `…OrEqualTo…` operators. The anomaly-detection
    /// band operators are not offered (types.toml's `values`): they compare with a band named by
    /// `ThresholdMetricId`, which CloudFormation refuses beside the `Threshold` every alarm here has.
    pub comparison: ComparisonOperator,
    /// In the unit of the statistic: seconds of lag, percent of CPU, a count per period.
    pub threshold: f64,
    /// The N of "M out of N": how many of the most recent periods are evaluated.
    pub evaluation_periods: u32,
    /// The M of "M out of N": how many of those periods must breach for ALARM; at most `evaluation_periods`.
    pub datapoints_to_alarm: u32,
}

impl AlarmCondition {
    /// In ALARM when the metric compares with `threshold` as `comparison` says in each of the last `periods`.
    pub fn every_period(comparison: ComparisonOperator, threshold: f64, periods: u32) -> Self {
        AlarmCondition {
            comparison,
            threshold,
            evaluation_periods: periods,
            datapoints_to_alarm: periods,
        }
    }
}

/// Tells `topic` when an alarm fires and when it clears: the same topic in its alarm and its OK actions.
fn notify_both(
    alarm_actions: &mut Option<Vec<Expr>>,
    ok_actions: &mut Option<Vec<Expr>>,
    topic: TopicArn,
) {
    let topic_arn = topic.into_expr();
    alarm_actions
        .get_or_insert_with(Vec::new)
        .push(topic_arn.clone());
    ok_actions.get_or_insert_with(Vec::new).push(topic_arn);
}

impl Alarm {
    /// An alarm on `metric` that enters ALARM as `condition` says, with its actions enabled; it notifies no one
    /// until [`Alarm::notify`]. `alarm_description` (at most 1024 characters) is what the runbook and every
    /// notification show.
    ///
    /// `treat_missing_data` is decided per alarm, deliberately: a task that publishes nothing may mean "healthy
    /// and idle" (`NotBreaching`: a missing point counts as within the threshold, for metrics published only when
    /// something happens) or "not running, so not proven healthy" (`Breaching`: a missing point counts as over it).
    /// `Ignore` leaves the alarm in whatever state it is in; `Missing`, CloudWatch's default, leaves missing points
    /// out of the evaluation and goes to `INSUFFICIENT_DATA`, which pages nobody, when every point of the range is
    /// missing.
    pub fn watching(
        alarm_description: impl Into<String>,
        metric: AlarmMetric,
        condition: AlarmCondition,
        treat_missing_data: TreatMissingData,
    ) -> Self {
        let base = Alarm::new(
            alarm_description,
            condition.comparison,
            i64::from(condition.datapoints_to_alarm),
            i64::from(condition.evaluation_periods),
            condition.threshold,
            treat_missing_data,
        )
        .actions_enabled(true);
        match metric {
            AlarmMetric::Single {
                metric,
                statistic,
                period,
            } => base
                .namespace(metric.namespace())
                .metric_name(metric.name())
                .dimensions(dimensions(&metric))
                .statistic(statistic)
                .period(i64::from(period)),
            AlarmMetric::Expression {
                expression,
                label,
                metrics,
                period,
            } => {
                let mut queries: Vec<MetricDataQuery> = metrics
                    .iter()
                    .enumerate()
                    .map(|(i, (metric, stat))| {
                        let metric = alarm::Metric::new()
                            .namespace(metric.namespace())
                            .metric_name(metric.name())
                            .dimensions(dimensions(metric));
                        MetricDataQuery::new(format!("m{}", i + 1))
                            .metric_stat(MetricStat::new(metric, i64::from(period), *stat))
                            .return_data(false)
                    })
                    .collect();
                queries.push(
                    MetricDataQuery::new("e1")
                        .expression(expression)
                        .label(label)
                        .return_data(true),
                );
                base.metrics(queries)
            }
        }
    }

    /// Tells `topic_arn` when the alarm fires and when it clears.
    pub fn notify(mut self, topic: impl Into<TopicArn>) -> Self {
        notify_both(&mut self.alarm_actions, &mut self.ok_actions, topic.into());
        self
    }
}

impl CompositeAlarm {
    /// In ALARM while any of `alarm_names` is: the rule `ALARM("a") OR ALARM("b") …`, built with `Fn::Sub` so
    /// each name is the alarm's `Ref` and CloudFormation creates the children first. Its actions are enabled; it
    /// notifies no one until [`CompositeAlarm::notify`].
    pub fn any_of(alarm_description: impl Into<String>, alarm_names: Vec<Expr>) -> Self {
        assert!(
            !alarm_names.is_empty(),
            "a composite alarm needs at least one child"
        );
        let mut rule = String::new();
        let mut variables = Vec::new();
        for (i, name) in alarm_names.into_iter().enumerate() {
            if i > 0 {
                rule.push_str(" OR ");
            }
            let variable = format!("Alarm{}", i + 1);
            rule.push_str(&format!("ALARM(\"${{{variable}}}\")"));
            variables.push((variable, name));
        }
        CompositeAlarm::new(alarm_description, Expr::sub_map(rule, variables)).actions_enabled(true)
    }

    /// Tells `topic_arn` when the alarm fires and when it clears.
    pub fn notify(mut self, topic: impl Into<TopicArn>) -> Self {
        notify_both(&mut self.alarm_actions, &mut self.ok_actions, topic.into());
        self
    }
}

impl Dashboard {
    /// A dashboard named `dashboard_name` showing `dashboard_body`, the `Fn::Sub` of
    /// [`crate::cloudwatch::dashboard::Dashboard::render`]: the generated [`Dashboard::new`] takes the two
    /// expressions the other way round. Dashboard names (up to 255 letters, digits, `-` and `_`) are unique per
    /// account, not per region, and its ARN has no region (`arn:…:cloudwatch::{account}:dashboard/…`).
    pub fn named(dashboard_name: Expr, dashboard_body: Expr) -> Self {
        Dashboard::new(dashboard_body, dashboard_name)
    }
}

/// What an operator reads about an alarm in the runbook: whether it pages and what it says.
pub trait AlarmDetails {
    /// The alarm's `AlarmDescription`: what the runbook quotes and each notification carries.
    fn description(&self) -> &str;
    /// Whether the alarm notifies anyone when it fires.
    fn pages(&self) -> bool;
}

impl AlarmDetails for Alarm {
    fn description(&self) -> &str {
        &self.alarm_description
    }

    fn pages(&self) -> bool {
        self.alarm_actions.as_ref().is_some_and(|a| !a.is_empty())
    }
}

impl AlarmDetails for CompositeAlarm {
    fn description(&self) -> &str {
        &self.alarm_description
    }

    fn pages(&self) -> bool {
        self.alarm_actions.as_ref().is_some_and(|a| !a.is_empty())
    }
}
