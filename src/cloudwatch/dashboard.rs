//! CloudWatch dashboard bodies: a document format of its own (CloudWatch API reference, "Dashboard Body
//! Structure and Syntax"), built from typed widgets and laid out automatically.
//!
//! The body is a JSON string inside the template. Its values may hold `${AWS::Region}`, `${AWS::Partition}` and
//! `${AWS::AccountId}`, so the template wraps it in `Fn::Sub`; every other `${` is escaped as `${!`. A value that
//! is an expression (a `Ref`, an attribute) becomes a variable of that `Fn::Sub` (`${Value1}`, …).
//! [`Dashboard::render`] also gives the same body for one region as a reviewer reads it in `out/<env>/`: the region
//! and partition filled in, the account (known only when deployed) and any variable left as written.

use serde_json::{Map, Value, json};

use super::metric::Metric;
use crate::cfn::Expr;
use crate::cfn::sub::{self, Part};

/// Grid columns of a dashboard.
const COLUMNS: u32 = 24;

/// How a metric is aggregated over each period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stat {
    /// The mean of the data points in each period.
    Average,
    /// The total of each period, for counts such as requests or errors.
    Sum,
    /// The highest value in each period, for latencies and lags where the worst case matters.
    Maximum,
    /// The lowest value in each period.
    Minimum,
    /// How many data points were published in each period, whatever their values.
    SampleCount,
    /// The 99th percentile.
    P99,
}

impl Stat {
    fn as_str(self) -> &'static str {
        match self {
            Stat::Average => "Average",
            Stat::Sum => "Sum",
            Stat::Maximum => "Maximum",
            Stat::Minimum => "Minimum",
            Stat::SampleCount => "SampleCount",
            Stat::P99 => "p99",
        }
    }
}

/// One line of a graph: a metric with its statistic and label, read in the dashboard's region unless
/// `region` names another (a secondary region's global-database lag).
#[derive(Clone, Debug)]
pub struct Line {
    metric: Metric,
    stat: Stat,
    label: String,
    region: Option<String>,
}

impl Line {
    /// A line of `metric` aggregated by `stat`, named `label` in the legend (a `${` in it is shown as written).
    pub fn new(metric: Metric, stat: Stat, label: impl Into<String>) -> Self {
        Line {
            metric,
            stat,
            label: label.into(),
            region: None,
        }
    }

    /// Reads the metric in `region` rather than the dashboard's.
    pub fn in_region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }
}

/// How a metric widget draws its lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// A graph over the dashboard's time range, which opens on the last six hours.
    TimeSeries,
    /// The latest value of each line as a number, in a smaller widget.
    SingleValue,
}

/// A widget; sizes come from the kind, positions from the layout.
#[derive(Clone, Debug)]
pub enum Widget {
    /// Markdown across the whole width.
    Text {
        /// The text, in CloudWatch's Markdown; a `${` in it is shown as written, not substituted.
        markdown: String,
    },
    /// The states of alarms, given by ARN.
    AlarmStatus {
        /// The widget's heading.
        title: String,
        /// The alarms' ARNs; an expression becomes a variable of the body's `Fn::Sub`. The widget grows a row for
        /// every four.
        alarms: Vec<Expr>,
    },
    /// A graph or single values of metrics, over `period` seconds.
    Metrics {
        /// The widget's heading.
        title: String,
        /// The metrics drawn, one line (or value) each.
        lines: Vec<Line>,
        /// A graph over time, or the latest values.
        view: View,
        /// Seconds each data point aggregates, kept whatever the time range (`periodOverride: inherit`); CloudWatch
        /// takes 60 or a multiple of it for standard-resolution metrics.
        period: u32,
        /// A horizontal line, e.g. an alarm's threshold: (label, value).
        threshold: Option<(String, f64)>,
    },
}

impl Widget {
    fn size(&self) -> (u32, u32) {
        match self {
            Widget::Text { markdown } => (COLUMNS, 1 + markdown.lines().count() as u32 / 2),
            Widget::AlarmStatus { alarms, .. } => (COLUMNS, 2 + alarms.len().div_ceil(4) as u32),
            Widget::Metrics {
                view: View::SingleValue,
                ..
            } => (8, 4),
            Widget::Metrics { .. } => (8, 6),
        }
    }
}

/// A dashboard: widgets in reading order, placed left to right in rows of 24 columns.
#[derive(Clone, Debug, Default)]
pub struct Dashboard {
    widgets: Vec<Widget>,
}

impl Dashboard {
    /// An empty dashboard; [`Dashboard::widget`] adds the widgets in reading order.
    pub fn new() -> Self {
        Dashboard::default()
    }

    /// Appends `widget` after the others: to the right of the last one, or on a new row when the 24 columns are full.
    pub fn widget(mut self, widget: Widget) -> Self {
        self.widgets.push(widget);
        self
    }

    /// The widgets in reading order, as added.
    pub fn widgets(&self) -> &[Widget] {
        &self.widgets
    }

    /// The body in both forms, from one layout: the template's `Fn::Sub` (compact JSON whose strings may use the
    /// pseudo parameters and its variables), and what a reviewer reads: pretty JSON for `region` and `partition`,
    /// with `${!` unescaped and the account left as `${AWS::AccountId}`.
    pub fn render(&self, region: &str, partition: &str) -> (Expr, String) {
        let mut variables = Vec::new();
        let text =
            serde_json::to_string(&self.to_json(&mut variables)).expect("a dashboard serializes");
        let value: Value = serde_json::from_str(&resolve_sub(&text, region, partition))
            .expect("the resolved body is JSON");
        let mut resolved = serde_json::to_string_pretty(&value).expect("a dashboard serializes");
        resolved.push('\n');
        (Expr::sub_map(text, variables), resolved)
    }

    fn to_json(&self, variables: &mut Vec<(String, Expr)>) -> Value {
        let mut widgets = Vec::new();
        let (mut x, mut y, mut row_height) = (0, 0, 0);
        for widget in &self.widgets {
            let (width, height) = widget.size();
            if x + width > COLUMNS {
                x = 0;
                y += row_height;
                row_height = 0;
            }
            let mut placed = Map::new();
            let (kind, properties) = widget_json(widget, variables);
            placed.insert("type".into(), json!(kind));
            placed.insert("x".into(), json!(x));
            placed.insert("y".into(), json!(y));
            placed.insert("width".into(), json!(width));
            placed.insert("height".into(), json!(height));
            placed.insert("properties".into(), properties);
            widgets.push(Value::Object(placed));
            x += width;
            row_height = row_height.max(height);
        }
        json!({"start": "-PT6H", "periodOverride": "inherit", "widgets": widgets})
    }
}

/// A string value of the body: literal text with `${` escaped, a `Fn::Sub` string without variables (its pseudo
/// parameters stay for `Fn::Sub` to resolve), a pseudo parameter, or else a new variable `${ValueN}` bound to the
/// expression.
fn sub_text(expr: &Expr, variables: &mut Vec<(String, Expr)>) -> String {
    match expr {
        Expr::Literal(text) => text.replace("${", "${!"),
        Expr::Sub(template, inner) if inner.is_empty() => template.clone(),
        Expr::Pseudo(pseudo) => format!("${{{}}}", pseudo.name()),
        other => {
            let name = match variables.iter().find(|(_, e)| e == other) {
                Some((name, _)) => name.clone(),
                None => {
                    let name = format!("Value{}", variables.len() + 1);
                    variables.push((name.clone(), other.clone()));
                    name
                }
            };
            format!("${{{name}}}")
        }
    }
}

fn widget_json(widget: &Widget, variables: &mut Vec<(String, Expr)>) -> (&'static str, Value) {
    match widget {
        Widget::Text { markdown } => ("text", json!({"markdown": markdown.replace("${", "${!")})),
        Widget::AlarmStatus { title, alarms } => (
            "alarm",
            json!({
                "title": title,
                "alarms": alarms.iter().map(|a| sub_text(a, variables)).collect::<Vec<_>>(),
            }),
        ),
        Widget::Metrics {
            title,
            lines,
            view,
            period,
            threshold,
        } => {
            let metrics: Vec<Value> = lines
                .iter()
                .map(|line| {
                    let mut entry = vec![json!(line.metric.namespace()), json!(line.metric.name())];
                    for dimension in line.metric.dimensions() {
                        entry.push(json!(dimension.name));
                        entry.push(json!(sub_text(&dimension.value, variables)));
                    }
                    let mut options = Map::new();
                    options.insert("stat".into(), json!(line.stat.as_str()));
                    options.insert("label".into(), json!(line.label.replace("${", "${!")));
                    if let Some(region) = &line.region {
                        options.insert("region".into(), json!(region));
                    }
                    entry.push(Value::Object(options));
                    Value::Array(entry)
                })
                .collect();
            let mut properties = Map::new();
            properties.insert("title".into(), json!(title));
            properties.insert(
                "view".into(),
                json!(match view {
                    View::TimeSeries => "timeSeries",
                    View::SingleValue => "singleValue",
                }),
            );
            properties.insert("region".into(), json!("${AWS::Region}"));
            properties.insert("period".into(), json!(period));
            properties.insert("metrics".into(), Value::Array(metrics));
            if let Some((label, value)) = threshold {
                properties.insert(
                    "annotations".into(),
                    json!({"horizontal": [{"label": label, "value": value}]}),
                );
            }
            ("metric", Value::Object(properties))
        }
    }
}

/// Resolves what `Fn::Sub` would in a body without variables: the region and partition pseudo parameters, and
/// `${!` back to `${`. The account stays.
fn resolve_sub(text: &str, region: &str, partition: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for part in sub::parts(text) {
        match part {
            Part::Text(text) => out.push_str(text),
            Part::Escaped(literal) => {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            }
            Part::Name("AWS::Region") => out.push_str(region),
            Part::Name("AWS::Partition") => out.push_str(partition),
            Part::Name("AWS::URLSuffix") => out.push_str("amazonaws.com"),
            Part::Name(other) => {
                out.push_str("${");
                out.push_str(other);
                out.push('}');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(markdown: &str) -> Widget {
        Widget::Text {
            markdown: markdown.into(),
        }
    }

    #[test]
    fn literal_dollar_braces_are_escaped_in_the_body_and_restored_when_resolved() {
        let dashboard = Dashboard::new().widget(text("Set ${HOME} in ${AWS::Region}"));
        let (Expr::Sub(body, variables), resolved) = dashboard.render("eu-west-1", "aws") else {
            panic!("the body is Fn::Sub");
        };
        assert!(variables.is_empty());
        assert!(body.contains("Set ${!HOME} in ${!AWS::Region}"), "{body}");
        assert!(
            resolved.contains("Set ${HOME} in ${AWS::Region}"),
            "{resolved}"
        );
    }

    #[test]
    fn an_expression_value_becomes_a_variable_of_the_sub() {
        use crate::cfn::{LogicalId, Template};
        use crate::cloudwatch::Dimension;
        use crate::resources::sns::Topic;
        let mut template = Template::new("t");
        let topic = template.add(
            LogicalId::verbatim("Topic"),
            Topic::encrypted(crate::resources::kms::KeyArn::existing(Expr::lit("key"))),
        );
        let metric = Metric::custom(
            "Custom/Test",
            "Published",
            vec![Dimension {
                name: "Topic",
                value: topic.topic_arn(),
            }],
        );
        let dashboard = Dashboard::new().widget(Widget::Metrics {
            title: "t".into(),
            lines: vec![
                Line::new(metric.clone(), Stat::Sum, "a"),
                Line::new(metric, Stat::Maximum, "b"),
            ],
            view: View::TimeSeries,
            period: 60,
            threshold: None,
        });
        let (Expr::Sub(body, variables), _) = dashboard.render("eu-west-1", "aws") else {
            panic!("the body is Fn::Sub");
        };
        assert_eq!(body.matches("${Value1}").count(), 2, "{body}");
        assert_eq!(variables.len(), 1);
        assert_eq!(variables["Value1"], topic.topic_arn());
    }

    #[test]
    fn pseudo_parameters_resolve_except_the_account() {
        assert_eq!(
            resolve_sub(
                "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:x ${!y}",
                "ap-southeast-1",
                "aws"
            ),
            "arn:aws:states:ap-southeast-1:${AWS::AccountId}:stateMachine:x ${y}"
        );
    }

    #[test]
    fn widgets_flow_left_to_right_and_wrap_at_24_columns() {
        let graph = |title: &str| Widget::Metrics {
            title: title.into(),
            lines: Vec::new(),
            view: View::TimeSeries,
            period: 60,
            threshold: None,
        };
        let dashboard = Dashboard::new()
            .widget(text("# Title"))
            .widget(graph("a"))
            .widget(graph("b"))
            .widget(graph("c"))
            .widget(graph("d"));
        let body = dashboard.to_json(&mut Vec::new());
        let positions: Vec<(u64, u64)> = body["widgets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| (w["x"].as_u64().unwrap(), w["y"].as_u64().unwrap()))
            .collect();
        assert_eq!(positions, vec![(0, 0), (0, 1), (8, 1), (16, 1), (0, 7)]);
    }
}
