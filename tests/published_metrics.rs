//! Every metric an alarm or a dashboard widget reads exists: its namespace, name and dimension names are a
//! combination the table of `migen::cloudwatch::published` documents, and the DMS dimension values name a task
//! and an instance of the same template. CloudWatch accepts any combination, published or not; a wrong one shows
//! an empty graph and an alarm that never fires, so nothing at deploy time would catch it.

mod common;

use std::collections::BTreeMap;

use serde_json::{Value, json};

use migen::cloudwatch::published::is_published;

/// One metric read by an alarm or a widget, with where it was found.
#[derive(Debug)]
struct Reference {
    resource: String,
    namespace: String,
    metric: String,
    /// Dimension names with their values as written (a string, or an expression in an alarm).
    dimensions: Vec<(String, Value)>,
}

impl Reference {
    fn describe(&self) -> String {
        let dimensions: Vec<String> = self
            .dimensions
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        format!(
            "{}: {}/{} [{}]",
            self.resource,
            self.namespace,
            self.metric,
            dimensions.join(", ")
        )
    }
}

/// What checking one template found.
#[derive(Debug, Default)]
struct Report {
    alarm_metrics: usize,
    dashboard_metrics: usize,
    problems: Vec<String>,
}

/// The resources of a type, possibly none (a template without alarms is checked, not refused).
fn resources_of<'a>(doc: &'a Value, type_name: &str) -> Vec<(&'a String, &'a Value)> {
    doc.get("Resources")
        .and_then(Value::as_object)
        .map(|resources| {
            resources
                .iter()
                .filter(|(_, r)| r.get("Type").and_then(Value::as_str) == Some(type_name))
                .collect()
        })
        .unwrap_or_default()
}

fn str_field<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

/// The metric of an alarm's `Namespace`/`MetricName`/`Dimensions`, or of a `MetricStat.Metric`.
fn alarm_metric(id: &str, metric: &Value, problems: &mut Vec<String>) -> Option<Reference> {
    let (Some(namespace), Some(name)) = (
        str_field(metric, "Namespace"),
        str_field(metric, "MetricName"),
    ) else {
        problems.push(format!(
            "{id}: a metric without a literal Namespace and MetricName: {metric}"
        ));
        return None;
    };
    let mut dimensions = Vec::new();
    for dimension in metric
        .get("Dimensions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        match (str_field(dimension, "Name"), dimension.get("Value")) {
            (Some(n), Some(v)) => dimensions.push((n.to_string(), v.clone())),
            _ => problems.push(format!(
                "{id}: a dimension without Name or Value: {dimension}"
            )),
        }
    }
    Some(Reference {
        resource: id.to_string(),
        namespace: namespace.to_string(),
        metric: name.to_string(),
        dimensions,
    })
}

/// Every metric the alarms of a template read: the single metric at the top of the properties, or each
/// `MetricStat` of a metric-math alarm (expressions read no metric of their own).
fn alarm_references(doc: &Value, problems: &mut Vec<String>) -> Vec<Reference> {
    let mut found = Vec::new();
    for (id, alarm) in resources_of(doc, "AWS::CloudWatch::Alarm") {
        let properties = alarm.get("Properties").unwrap_or(&Value::Null);
        if let Some(metrics) = properties.get("Metrics").and_then(Value::as_array) {
            for query in metrics {
                if let Some(metric) = query.get("MetricStat").and_then(|s| s.get("Metric")) {
                    found.extend(alarm_metric(id, metric, problems));
                } else if query.get("Expression").is_none() {
                    problems.push(format!(
                        "{id}: a Metrics entry with neither MetricStat nor Expression: {query}"
                    ));
                }
            }
        } else if properties.get("MetricName").is_some() {
            found.extend(alarm_metric(id, properties, problems));
        } else {
            problems.push(format!("{id}: an alarm reading no metric: {properties}"));
        }
    }
    found
}

/// The text `Fn::Sub` produces from `template`, with every `${…}` variable or pseudo parameter standing in as
/// `SUBSTITUTED` and every `${!` escape turned back into a literal `${`.
fn substitute(template: &str) -> Result<String, String> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        if let Some(literal) = after.strip_prefix('!') {
            out.push_str("${");
            rest = literal;
            continue;
        }
        let end = after
            .find('}')
            .ok_or_else(|| format!("an unclosed ${{ in {template}"))?;
        out.push_str("SUBSTITUTED");
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A dashboard's body as CloudWatch receives it: `{"Fn::Sub": text}` or `{"Fn::Sub": [text, variables]}`
/// substituted, or a literal string.
fn dashboard_body(body: &Value) -> Result<Value, String> {
    let text = match body {
        Value::String(text) => text.clone(),
        Value::Object(map) => match map.get("Fn::Sub") {
            Some(Value::String(template)) => substitute(template)?,
            Some(Value::Array(parts)) => match parts.first() {
                Some(Value::String(template)) => substitute(template)?,
                _ => return Err(format!("a Fn::Sub without a template string: {body}")),
            },
            _ => {
                return Err(format!(
                    "a DashboardBody that is neither a string nor Fn::Sub: {body}"
                ));
            }
        },
        other => return Err(format!("a DashboardBody that is {other}")),
    };
    serde_json::from_str(&text).map_err(|e| format!("the body is not JSON ({e}): {text}"))
}

/// Every metric the metric widgets of a template's dashboards read. An entry is
/// `[namespace, metric, dimension, value, …, {options}?]`; an entry that is only an options object is a math
/// expression and reads no metric of its own.
fn dashboard_references(doc: &Value, problems: &mut Vec<String>) -> Vec<Reference> {
    let mut found = Vec::new();
    for (id, dashboard) in resources_of(doc, "AWS::CloudWatch::Dashboard") {
        let Some(body) = dashboard
            .get("Properties")
            .and_then(|p| p.get("DashboardBody"))
        else {
            problems.push(format!("{id}: a dashboard without DashboardBody"));
            continue;
        };
        let body = match dashboard_body(body) {
            Ok(body) => body,
            Err(problem) => {
                problems.push(format!("{id}: {problem}"));
                continue;
            }
        };
        let widgets = body.get("widgets").and_then(Value::as_array);
        for (index, widget) in widgets.into_iter().flatten().enumerate() {
            let Some(metrics) = widget
                .get("properties")
                .and_then(|p| p.get("metrics"))
                .and_then(Value::as_array)
            else {
                continue;
            };
            let at = format!("{id} widget {index}");
            for entry in metrics {
                let Some(items) = entry.as_array() else {
                    problems.push(format!(
                        "{at}: a metrics entry that is not an array: {entry}"
                    ));
                    continue;
                };
                let mut items: Vec<&Value> = items.iter().collect();
                if items.last().is_some_and(|last| last.is_object()) {
                    items.pop();
                }
                if items.is_empty() {
                    continue; // [{"expression": …}]: metric math
                }
                let strings: Option<Vec<&str>> = items.iter().map(|v| v.as_str()).collect();
                let Some(strings) = strings.filter(|s| s.len() >= 2 && s.len() % 2 == 0) else {
                    problems.push(format!(
                        "{at}: not [namespace, metric, name, value, …]: {entry}"
                    ));
                    continue;
                };
                found.push(Reference {
                    resource: at.clone(),
                    namespace: strings[0].to_string(),
                    metric: strings[1].to_string(),
                    dimensions: strings[2..]
                        .chunks(2)
                        .map(|pair| (pair[0].to_string(), json!(pair[1])))
                        .collect(),
                });
            }
        }
    }
    found
}

/// The DMS identities of a template: task resource identifiers, each with the logical id of the instance its
/// `ReplicationInstanceArn` refers to, and instance identifiers (lower case, as DMS publishes them) by logical id.
struct DmsIdentities {
    tasks: BTreeMap<String, Option<String>>,
    instances: BTreeMap<String, String>,
}

fn dms_identities(doc: &Value) -> DmsIdentities {
    let property = |resource: &Value, key: &str| {
        resource
            .get("Properties")
            .and_then(|p| p.get(key))
            .cloned()
            .unwrap_or(Value::Null)
    };
    let tasks = resources_of(doc, "AWS::DMS::ReplicationTask")
        .into_iter()
        .filter_map(|(_, task)| {
            let id = property(task, "ResourceIdentifier").as_str()?.to_string();
            let instance = property(task, "ReplicationInstanceArn")
                .get("Ref")
                .and_then(Value::as_str)
                .map(str::to_string);
            Some((id, instance))
        })
        .collect();
    let instances = resources_of(doc, "AWS::DMS::ReplicationInstance")
        .into_iter()
        .filter_map(|(logical_id, instance)| {
            let id = property(instance, "ReplicationInstanceIdentifier");
            Some((logical_id.clone(), id.as_str()?.to_lowercase()))
        })
        .collect();
    DmsIdentities { tasks, instances }
}

/// Why the DMS dimension values of `reference` name no task or instance of the template, if they do not.
fn dms_value_problems(reference: &Reference, dms: &DmsIdentities) -> Vec<String> {
    let value = |name: &str| {
        reference
            .dimensions
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    };
    let mut problems = Vec::new();
    let task = value("ReplicationTaskIdentifier");
    let instance = value("ReplicationInstanceIdentifier");
    let task_instance = match task {
        None => None,
        Some(Value::String(id)) => match dms.tasks.get(id) {
            Some(instance) => instance.as_ref(),
            None => {
                problems.push(format!(
                    "ReplicationTaskIdentifier {id:?} is no task's ResourceIdentifier (tasks: {:?})",
                    dms.tasks.keys().collect::<Vec<_>>()
                ));
                None
            }
        },
        Some(other) => {
            problems.push(format!(
                "ReplicationTaskIdentifier is not a literal: {other}"
            ));
            None
        }
    };
    match instance {
        None => {}
        Some(Value::String(id)) => {
            if !dms.instances.values().any(|known| known == id) {
                problems.push(format!(
                    "ReplicationInstanceIdentifier {id:?} is no instance's ReplicationInstanceIdentifier in lower \
                     case (instances: {:?})",
                    dms.instances.values().collect::<Vec<_>>()
                ));
            } else if let Some(expected) =
                task_instance.and_then(|logical| dms.instances.get(logical))
            {
                if expected != id {
                    problems.push(format!(
                        "ReplicationInstanceIdentifier {id:?} is not the instance of that task ({expected:?})"
                    ));
                }
            }
        }
        Some(other) => problems.push(format!(
            "ReplicationInstanceIdentifier is not a literal: {other}"
        )),
    }
    problems
}

/// The metrics the template's CloudWatch Logs metric filters publish: (namespace, metric, dimension keys sorted).
fn metric_filter_outputs(doc: &Value) -> Vec<(String, String, Vec<String>)> {
    let mut outputs = Vec::new();
    for (_, filter) in resources_of(doc, "AWS::Logs::MetricFilter") {
        let transformations = filter
            .get("Properties")
            .and_then(|p| p.get("MetricTransformations"))
            .and_then(Value::as_array);
        for transformation in transformations.into_iter().flatten() {
            let (Some(namespace), Some(name)) = (
                str_field(transformation, "MetricNamespace"),
                str_field(transformation, "MetricName"),
            ) else {
                continue;
            };
            let mut keys: Vec<String> = transformation
                .get("Dimensions")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|d| str_field(d, "Key").map(str::to_string))
                .collect();
            keys.sort();
            outputs.push((namespace.to_string(), name.to_string(), keys));
        }
    }
    outputs
}

/// Namespaces whose metrics come from the template's own metric filters, so a filter must publish each.
const LOG_FILTER_NAMESPACE: &str = "PaymentMigration/Logs/";

/// Checks every metric of the alarms and dashboards of one template.
fn check(doc: &Value) -> Report {
    let mut report = Report::default();
    let alarms = alarm_references(doc, &mut report.problems);
    let dashboards = dashboard_references(doc, &mut report.problems);
    report.alarm_metrics = alarms.len();
    report.dashboard_metrics = dashboards.len();
    let dms = dms_identities(doc);
    let filters = metric_filter_outputs(doc);
    for reference in alarms.iter().chain(&dashboards) {
        let names: Vec<&str> = reference
            .dimensions
            .iter()
            .map(|(n, _)| n.as_str())
            .collect();
        if is_published(&reference.namespace, &reference.metric, &names).is_none() {
            report.problems.push(format!(
                "{}: not a published namespace, metric and dimension set",
                reference.describe()
            ));
        }
        if reference.namespace.starts_with(LOG_FILTER_NAMESPACE) {
            let mut keys: Vec<String> = names.iter().map(|n| n.to_string()).collect();
            keys.sort();
            let wanted = (reference.namespace.clone(), reference.metric.clone(), keys);
            if !filters.contains(&wanted) {
                report.problems.push(format!(
                    "{}: no metric filter of the template publishes it (filters: {filters:?})",
                    reference.describe()
                ));
            }
        }
        if reference.namespace == "AWS/DMS" {
            for problem in dms_value_problems(reference, &dms) {
                report
                    .problems
                    .push(format!("{}: {problem}", reference.describe()));
            }
        }
    }
    report
}

/// Every template of every shipped environment and fixture spec: (spec, region, whether primary, document).
fn every_template() -> Vec<(String, String, bool, Value)> {
    let mut names: Vec<String> = common::ENVS.iter().map(|name| name.to_string()).collect();
    for path in common::all_spec_files() {
        if path.components().any(|c| c.as_os_str() == "fixtures") {
            names.push(path.display().to_string());
        }
    }
    assert!(
        names.len() > common::ENVS.len(),
        "no fixture spec was found"
    );
    let mut templates = Vec::new();
    for name in names {
        for (index, (region, doc)) in common::rendered(&name).iter().enumerate() {
            templates.push((name.clone(), region.clone(), index == 0, doc.clone()));
        }
    }
    templates
}

/// Metrics a primary template's alarms read at least: the CDC-latency gates and the replication lag (two each),
/// a database's CPU, two functions' errors, the API's 5XX and the validation verdict.
const MIN_PRIMARY_ALARM_METRICS: usize = 8;

#[test]
fn every_alarm_and_widget_reads_a_published_metric_of_this_template() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for (name, region, primary, doc) in every_template() {
        let report = check(&doc);
        let template = format!("{name} {region}");
        for problem in &report.problems {
            problems.push(format!("{template}: {problem}"));
        }
        if primary {
            assert!(
                report.alarm_metrics >= MIN_PRIMARY_ALARM_METRICS,
                "{template}: only {} alarm metrics checked, expected at least {MIN_PRIMARY_ALARM_METRICS}",
                report.alarm_metrics
            );
        }
        if report.dashboard_metrics == 0 {
            assert!(
                resources_of(&doc, "AWS::CloudWatch::Dashboard").is_empty(),
                "{template}: dashboards, but no widget metric was found in them"
            );
        }
        checked += report.alarm_metrics + report.dashboard_metrics;
    }
    assert!(
        problems.is_empty(),
        "{} unpublished or unmatched metric reference(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(checked > 0);
}

/// A template with a DMS task and instance, and the given resources added.
fn hand_written(resources: Value) -> Value {
    let mut doc = json!({
        "Description": "hand-written",
        "Resources": {
            "Instance": {
                "Type": "AWS::DMS::ReplicationInstance",
                "Properties": {"ReplicationInstanceIdentifier": "Payment-Replication-Dev"}
            },
            "Task": {
                "Type": "AWS::DMS::ReplicationTask",
                "Properties": {
                    "ReplicationInstanceArn": {"Ref": "Instance"},
                    "ReplicationTaskIdentifier": "friendly-name",
                    "ResourceIdentifier": "TASKRESOURCEID"
                }
            }
        }
    });
    let target = doc["Resources"].as_object_mut().unwrap();
    for (id, resource) in resources.as_object().unwrap() {
        target.insert(id.clone(), resource.clone());
    }
    doc
}

fn dms_dimensions(instance: &str, task: &str) -> Value {
    json!([
        {"Name": "ReplicationInstanceIdentifier", "Value": instance},
        {"Name": "ReplicationTaskIdentifier", "Value": task}
    ])
}

#[test]
fn correct_alarms_and_widgets_pass() {
    let body = json!({"widgets": [
        {"type": "text", "properties": {"markdown": "${!NotAVariable}"}},
        {"type": "metric", "properties": {"region": "${AWS::Region}", "metrics": [
            ["AWS/DMS", "CDCLatencySource", "ReplicationInstanceIdentifier", "payment-replication-dev",
             "ReplicationTaskIdentifier", "TASKRESOURCEID", {"stat": "Maximum"}],
            ["AWS/States", "ExecutionsFailed", "StateMachineArn",
             "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:x"],
            [{"expression": "m1 * 2", "label": "doubled"}]
        ]}}
    ]});
    let doc = hand_written(json!({
        "Gate": {"Type": "AWS::CloudWatch::Alarm", "Properties": {"Metrics": [
            {"Id": "m1", "MetricStat": {"Metric": {
                "Namespace": "AWS/DMS", "MetricName": "CDCLatencyTarget",
                "Dimensions": dms_dimensions("payment-replication-dev", "TASKRESOURCEID")
            }}},
            {"Id": "e1", "Expression": "m1 + 0"}
        ]}},
        "Errors": {"Type": "AWS::CloudWatch::Alarm", "Properties": {
            "Namespace": "AWS/Lambda", "MetricName": "Errors",
            "Dimensions": [{"Name": "FunctionName", "Value": "payment-validation-dev"}]
        }},
        "Verdicts": {"Type": "AWS::CloudWatch::Alarm", "Properties": {
            "Namespace": "PaymentMigration/Logs/dev", "MetricName": "ValidationVerdicts",
            "Dimensions": [{"Name": "Verdict", "Value": "inconsistent"}]
        }},
        "VerdictsFilter": {"Type": "AWS::Logs::MetricFilter", "Properties": {"MetricTransformations": [{
            "MetricNamespace": "PaymentMigration/Logs/dev", "MetricName": "ValidationVerdicts",
            "MetricValue": "1", "Dimensions": [{"Key": "Verdict", "Value": "$.verdict"}]
        }]}},
        "Board": {"Type": "AWS::CloudWatch::Dashboard", "Properties": {
            "DashboardBody": {"Fn::Sub": [serde_json::to_string(&body).unwrap(), {}]}
        }}
    }));
    let report = check(&doc);
    assert_eq!(report.problems, Vec::<String>::new());
    assert_eq!((report.alarm_metrics, report.dashboard_metrics), (3, 2));
}

#[test]
fn a_wrong_dimension_in_an_alarm_is_reported() {
    let doc = hand_written(json!({
        "StageErrors": {"Type": "AWS::CloudWatch::Alarm", "Properties": {
            "Namespace": "AWS/Lambda", "MetricName": "Errors",
            "Dimensions": [
                {"Name": "FunctionName", "Value": "payment-validation-dev"},
                {"Name": "Stage", "Value": "v1"}
            ]
        }},
        "Lag": {"Type": "AWS::CloudWatch::Alarm", "Properties": {"Metrics": [
            {"Id": "m1", "MetricStat": {"Metric": {
                "Namespace": "AWS/DMS", "MetricName": "CDCLatencySource",
                "Dimensions": [{"Name": "ReplicationTaskIdentifier", "Value": "TASKRESOURCEID"}]
            }}}
        ]}}
    }));
    let report = check(&doc);
    assert_eq!(report.alarm_metrics, 2);
    assert_eq!(report.problems.len(), 2, "{:#?}", report.problems);
    assert!(report.problems[0].contains("StageErrors: AWS/Lambda/Errors"));
    assert!(report.problems[1].contains("Lag: AWS/DMS/CDCLatencySource"));
    assert!(
        report
            .problems
            .iter()
            .all(|p| p.contains("not a published"))
    );
}

#[test]
fn dms_values_must_name_the_task_resource_id_and_its_lowercased_instance() {
    let alarm = |instance: &str, task: &str| {
        json!({"Type": "AWS::CloudWatch::Alarm", "Properties": {
            "Namespace": "AWS/DMS", "MetricName": "CDCLatencySource",
            "Dimensions": dms_dimensions(instance, task)
        }})
    };
    let doc = hand_written(json!({
        "FriendlyName": alarm("payment-replication-dev", "friendly-name"),
        "UpperCase": alarm("Payment-Replication-Dev", "TASKRESOURCEID"),
        "Right": alarm("payment-replication-dev", "TASKRESOURCEID"),
    }));
    let report = check(&doc);
    assert_eq!(report.problems.len(), 2, "{:#?}", report.problems);
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.starts_with("FriendlyName:")
                && p.contains("\"friendly-name\" is no task's ResourceIdentifier"))
    );
    assert!(report.problems.iter().any(|p| p.starts_with("UpperCase:")
        && p.contains("is no instance's ReplicationInstanceIdentifier in lower case")));
}

#[test]
fn a_wrong_dimension_in_a_dashboard_is_reported() {
    let body = json!({"widgets": [{"type": "metric", "properties": {"metrics": [
        ["AWS/ApiGateway", "5XXError", "ApiId", "abc123", {"stat": "Sum"}],
        ["AWS/DMS", "CDCLatencySource", "ReplicationInstanceIdentifier", "payment-replication-dev",
         "ReplicationTaskIdentifier", "${TaskId}"]
    ]}}]});
    let doc = hand_written(json!({
        "Board": {"Type": "AWS::CloudWatch::Dashboard", "Properties": {
            "DashboardBody": {"Fn::Sub": serde_json::to_string(&body).unwrap()}
        }}
    }));
    let report = check(&doc);
    assert_eq!(report.dashboard_metrics, 2);
    assert_eq!(report.problems.len(), 2, "{:#?}", report.problems);
    assert!(report.problems[0].contains("AWS/ApiGateway/5XXError [ApiId=\"abc123\"]"));
    assert!(report.problems[1].contains("\"SUBSTITUTED\" is no task's ResourceIdentifier"));
}

#[test]
fn fn_sub_placeholders_are_substituted_and_escapes_restored() {
    assert_eq!(
        substitute("a ${AWS::Region} b ${!Literal} c ${Var} d").unwrap(),
        "a SUBSTITUTED b ${Literal} c SUBSTITUTED d"
    );
    assert!(substitute("a ${unclosed").is_err());
}

#[test]
fn a_log_metric_no_filter_of_the_template_publishes_is_reported() {
    let doc = hand_written(json!({
        "Denials": {"Type": "AWS::CloudWatch::Alarm", "Properties": {
            "Namespace": "PaymentMigration/Logs/dev", "MetricName": "AuthorizerDenials"
        }},
        "DenialsFilter": {"Type": "AWS::Logs::MetricFilter", "Properties": {"MetricTransformations": [{
            "MetricNamespace": "PaymentMigration/Logs/staging", "MetricName": "AuthorizerDenials",
            "MetricValue": "1"
        }]}}
    }));
    let report = check(&doc);
    assert_eq!(report.problems.len(), 1, "{:#?}", report.problems);
    assert!(report.problems[0].contains("no metric filter of the template publishes it"));
}
