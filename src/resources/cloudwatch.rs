//! Amazon CloudWatch alarms and dashboards. An alarm's metric is a [`Metric`], which only the typed constructors
//! of [`crate::cloudwatch`] build (so its dimensions are the ones the service publishes); how it treats missing
//! data is a constructor argument (under the default, `missing`, a metric that stops reporting leaves the alarm in
//! `INSUFFICIENT_DATA` rather than in the state a migration gate wants: a stalled task is not a healthy one); and [`Alarm::notify`] sets the alarm and OK actions together, so the operations topic
//! hears both when trouble starts and when it ends.

use schemars::JsonSchema;
use serde::Serialize;

use crate::cfn::{Expr, Tag};
use crate::resources::sns::TopicArn;
use crate::{physical_name, resource_type};

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

/// How an alarm compares the statistic with its threshold. Only fixed thresholds: the anomaly-detection band
/// operators are not offered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub enum ComparisonOperator {
    /// `>`: a statistic equal to the threshold does not breach (with a threshold of 0, any failure does).
    GreaterThanThreshold,
    /// `>=`: a statistic equal to the threshold breaches.
    GreaterThanOrEqualToThreshold,
    /// `<`: for metrics whose fall is the trouble, such as healthy hosts or throughput.
    LessThanThreshold,
    /// `<=`: a statistic equal to the threshold breaches.
    LessThanOrEqualToThreshold,
}

/// What an alarm does while its metric has no data points. The choice is per alarm and deliberate: a task
/// that publishes nothing may mean "healthy and idle" (`NotBreaching`) or "not running, so not proven
/// healthy" (`Breaching`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum TreatMissingData {
    /// A missing data point counts as over the threshold: no data means the thing is not proven healthy.
    Breaching,
    /// A missing data point counts as within the threshold: for metrics published only when something happens
    /// (errors, failed executions).
    NotBreaching,
    /// Missing data points leave the alarm in whatever state it is in.
    Ignore,
    /// CloudWatch's default: missing points are left out of the evaluation, and when every point of the
    /// evaluation range is missing the alarm goes to `INSUFFICIENT_DATA`, which pages nobody.
    Missing,
}

/// The statistic of each period that an alarm compares with its threshold. Percentiles (`p99`) are CloudWatch's
/// separate `ExtendedStatistic`, which is not offered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub enum Statistic {
    /// The mean of the period's values: hides a short spike that [`Statistic::Maximum`] would catch.
    Average,
    /// The total of the period's values: for counts such as errors or failed executions.
    Sum,
    /// The highest value of the period: one spike is enough to breach.
    Maximum,
    /// The lowest value of the period: for a `LessThan…` threshold, one dip is enough to breach.
    Minimum,
    /// How many data points the period has, whatever their values.
    SampleCount,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
struct MetricDimension {
    name: String,
    value: Expr,
}

fn dimensions(metric: &Metric) -> Vec<MetricDimension> {
    metric
        .dimensions()
        .iter()
        .map(|d| MetricDimension {
            name: d.name.to_string(),
            value: d.value.clone(),
        })
        .collect()
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
struct MetricName {
    namespace: String,
    metric_name: String,
    dimensions: Vec<MetricDimension>,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
struct MetricStat {
    metric: MetricName,
    period: u32,
    stat: Statistic,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
struct MetricDataQuery {
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    expression: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    label: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    metric_stat: Option<MetricStat>,
    return_data: bool,
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

/// The threshold and how many periods decide the state.
#[derive(Clone, Copy, Debug)]
pub struct AlarmCondition {
    /// How the statistic is compared with `threshold`.
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

/// `AWS::CloudWatch::Alarm`.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Alarm {
    /// Set by [`crate::cfn::Template::add_named`] (or [`Alarm::alarm_name`]); CloudFormation names an unnamed
    /// alarm itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    alarm_name: Option<Expr>,
    alarm_description: String,
    actions_enabled: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    alarm_actions: Vec<Expr>,
    #[serde(rename = "OKActions", skip_serializing_if = "Vec::is_empty")]
    ok_actions: Vec<Expr>,
    comparison_operator: ComparisonOperator,
    threshold: f64,
    evaluation_periods: u32,
    datapoints_to_alarm: u32,
    treat_missing_data: TreatMissingData,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    metric_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dimensions: Option<Vec<MetricDimension>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    statistic: Option<Statistic>,
    #[serde(skip_serializing_if = "Option::is_none")]
    period: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    metrics: Option<Vec<MetricDataQuery>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<Vec<Tag>>,
}

impl Alarm {
    /// An alarm on `metric` that enters ALARM as `condition` says; it notifies no one until [`Alarm::notify`].
    /// `alarm_description` (at most 1024 characters) is what the runbook and every notification show.
    pub fn new(
        alarm_description: impl Into<String>,
        metric: AlarmMetric,
        condition: AlarmCondition,
        treat_missing_data: TreatMissingData,
    ) -> Self {
        let mut alarm = Alarm {
            alarm_name: None,
            alarm_description: alarm_description.into(),
            actions_enabled: true,
            alarm_actions: Vec::new(),
            ok_actions: Vec::new(),
            comparison_operator: condition.comparison,
            threshold: condition.threshold,
            evaluation_periods: condition.evaluation_periods,
            datapoints_to_alarm: condition.datapoints_to_alarm,
            treat_missing_data,
            namespace: None,
            metric_name: None,
            dimensions: None,
            statistic: None,
            period: None,
            metrics: None,
            tags: None,
        };
        match metric {
            AlarmMetric::Single {
                metric,
                statistic,
                period,
            } => {
                alarm.namespace = Some(metric.namespace().to_string());
                alarm.metric_name = Some(metric.name().to_string());
                alarm.dimensions = Some(dimensions(&metric));
                alarm.statistic = Some(statistic);
                alarm.period = Some(period);
            }
            AlarmMetric::Expression {
                expression,
                label,
                metrics,
                period,
            } => {
                let mut queries: Vec<MetricDataQuery> = metrics
                    .iter()
                    .enumerate()
                    .map(|(i, (metric, stat))| MetricDataQuery {
                        id: format!("m{}", i + 1),
                        expression: None,
                        label: None,
                        metric_stat: Some(MetricStat {
                            metric: MetricName {
                                namespace: metric.namespace().to_string(),
                                metric_name: metric.name().to_string(),
                                dimensions: dimensions(metric),
                            },
                            period,
                            stat: *stat,
                        }),
                        return_data: false,
                    })
                    .collect();
                queries.push(MetricDataQuery {
                    id: "e1".into(),
                    expression: Some(expression),
                    label: Some(label),
                    metric_stat: None,
                    return_data: true,
                });
                alarm.metrics = Some(queries);
            }
        }
        alarm
    }

    /// Tells `topic_arn` when the alarm fires and when it clears.
    pub fn notify(mut self, topic: impl Into<TopicArn>) -> Self {
        let topic_arn = topic.into().into_expr();
        self.alarm_actions.push(topic_arn.clone());
        self.ok_actions.push(topic_arn);
        self
    }

    /// Names the alarm with an expression; a literal name goes through [`crate::cfn::Template::add_named`].
    pub fn alarm_name(mut self, name: Expr) -> Self {
        self.alarm_name = Some(name);
        self
    }
}

physical_name!(Alarm, alarm_name, "AlarmName", |name| Some(Expr::lit(name)));
physical_name!(CompositeAlarm, alarm_name, "AlarmName", |name| Some(
    Expr::lit(name)
));

resource_type!(Alarm, "AWS::CloudWatch::Alarm", tags: list, attributes {
    ref:
    /// The alarm's name, which `Ref` returns: what a composite alarm's rule and the runbook name it by.
    alarm_name,
    /// The alarm's ARN, which an alarm widget of a dashboard takes (a name is not enough there).
    arn => "Arn",
});

/// `AWS::CloudWatch::CompositeAlarm`: ALARM when its rule over other alarms' states holds.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct CompositeAlarm {
    /// Set by [`crate::cfn::Template::add_named`] (or [`CompositeAlarm::alarm_name`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    alarm_name: Option<Expr>,
    alarm_description: String,
    alarm_rule: Expr,
    actions_enabled: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    alarm_actions: Vec<Expr>,
    #[serde(rename = "OKActions", skip_serializing_if = "Vec::is_empty")]
    ok_actions: Vec<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<Vec<Tag>>,
}

impl CompositeAlarm {
    /// In ALARM while any of `alarm_names` is: the rule `ALARM("a") OR ALARM("b") …`, built with `Fn::Sub` so
    /// each name is the alarm's `Ref` and CloudFormation creates the children first.
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
        CompositeAlarm {
            alarm_name: None,
            alarm_description: alarm_description.into(),
            alarm_rule: Expr::sub_map(rule, variables),
            actions_enabled: true,
            alarm_actions: Vec::new(),
            ok_actions: Vec::new(),
            tags: None,
        }
    }

    /// Tells `topic_arn` when the alarm fires and when it clears.
    pub fn notify(mut self, topic: impl Into<TopicArn>) -> Self {
        let topic_arn = topic.into().into_expr();
        self.alarm_actions.push(topic_arn.clone());
        self.ok_actions.push(topic_arn);
        self
    }

    /// Names the alarm with an expression; a literal name goes through [`crate::cfn::Template::add_named`].
    pub fn alarm_name(mut self, name: Expr) -> Self {
        self.alarm_name = Some(name);
        self
    }
}

resource_type!(CompositeAlarm, "AWS::CloudWatch::CompositeAlarm", tags: list, attributes {
    ref:
    /// The composite alarm's name, which `Ref` returns.
    alarm_name,
    /// The composite alarm's ARN, which an alarm widget of a dashboard takes.
    arn => "Arn",
});

/// `AWS::CloudWatch::Dashboard`, whose body is built by [`crate::cloudwatch::dashboard::Dashboard::render`].
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Dashboard {
    dashboard_name: Expr,
    dashboard_body: Expr,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<Vec<Tag>>,
}

impl Dashboard {
    /// A dashboard showing `dashboard_body`, the `Fn::Sub` of [`crate::cloudwatch::dashboard::Dashboard::render`].
    /// Dashboard names (up to 255 letters, digits, `-` and `_`) are unique per account, not per region.
    pub fn new(dashboard_name: Expr, dashboard_body: Expr) -> Self {
        Dashboard {
            dashboard_name,
            dashboard_body,
            tags: None,
        }
    }
}

resource_type!(Dashboard, "AWS::CloudWatch::Dashboard", tags: list, attributes {
    ref:
    /// The dashboard's name, which `Ref` returns; its ARN has no region (`arn:…:cloudwatch::{account}:dashboard/…`).
    dashboard_name,
});

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
        !self.alarm_actions.is_empty()
    }
}

impl AlarmDetails for CompositeAlarm {
    fn description(&self) -> &str {
        &self.alarm_description
    }

    fn pages(&self) -> bool {
        !self.alarm_actions.is_empty()
    }
}
