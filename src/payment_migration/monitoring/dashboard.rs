//! The dashboard `migration-dashboard-<env>` (the name the original runbook opens): one page with what the
//! original design lists (database CPU and connections, DMS replication lag and throughput, the functions, the
//! API, the validation results) plus the workflows, the alarms and, with secondary regions, the global
//! database's lag read in each of them.

use crate::cfn::Expr;
use crate::cloudwatch::dashboard::{Dashboard, Line, Stat, View, Widget};
use crate::cloudwatch::{
    ApiGatewayMetric, ApiStage, AuroraMetric, ClusterRole, Dimension, DmsTask, DmsTaskMetric,
    LambdaMetric, Metric, StatesMetric,
};
use crate::spec::Environment;

use super::super::alerting::alarms::{DATABASE_CPU_ALARM_PERCENT, dms_task};
use super::super::alerting::{Alarms, Watched};
use super::super::api::STAGE;
use super::super::database::{SourceDatabase, secondary_cluster_identifier};
use super::super::orchestration::Orchestration;
use super::super::validation::METRIC_NAMESPACE;

/// The dashboard body as a reviewer reads it, beside the templates.
pub const DASHBOARD_FILE: &str = "dashboard.json";

/// `migration-dashboard-<env>`.
pub fn dashboard_name(env: &Environment) -> String {
    format!("migration-dashboard-{}", env.name)
}

/// An alarm's ARN from its name (an alarm widget takes ARNs; `Ref` gives the name).
fn alarm_arn(name: &str) -> Expr {
    Expr::sub(format!(
        "arn:${{AWS::Partition}}:cloudwatch:${{AWS::Region}}:${{AWS::AccountId}}:alarm:{name}"
    ))
}

/// A time series of `lines`, one point a minute.
fn graph(title: &str, lines: Vec<Line>) -> Widget {
    Widget::Metrics {
        title: title.into(),
        lines,
        view: View::TimeSeries,
        period: 60,
        threshold: None,
    }
}

/// A time series of `lines`, one point a minute, with a horizontal line at `value` labelled `label`.
fn graph_with_threshold(title: &str, lines: Vec<Line>, label: &str, value: f64) -> Widget {
    Widget::Metrics {
        title: title.into(),
        lines,
        view: View::TimeSeries,
        period: 60,
        threshold: Some((label.into(), value)),
    }
}

/// The page, top to bottom: the heading, what an operator checks first ("Right now" and the alarms), then the
/// databases, DMS replication, the Lambda functions, the API, the data validation, the Step Functions workflows
/// and, with secondary regions, the global database.
pub fn body(
    env: &Environment,
    watched: &Watched,
    alarms: &Alarms,
    orchestration: &Orchestration,
) -> Dashboard {
    let replication = watched.replication;
    let forward = dms_task(replication, &replication.forward_task);
    let reverse = dms_task(replication, &replication.reverse_task);
    [
        vec![heading(env), right_now(env, &forward), alarm_status(alarms)],
        database_rows(watched),
        replication_rows(env, &forward, &reverse, alarms),
        function_rows(watched),
        api_rows(watched, alarms),
        validation_rows(env, alarms),
        workflow_rows(orchestration),
        global_database_rows(env),
    ]
    .into_iter()
    .flatten()
    .fold(Dashboard::new(), Dashboard::widget)
}

/// The heading: where the phase is kept (Parameter Store), the two state machines, and the runbook.
fn heading(env: &Environment) -> Widget {
    Widget::Text {
        markdown: format!(
            "# Payment migration: {env}\n\
             Phase: Parameter Store `/migration/{env}/workflow/phase`. Workflows: `payment-migration-migration-{env}` \
             and `payment-migration-rollback-{env}`. The runbook is `out/{env}/RUNBOOK.md` in the repository.",
            env = env.name
        ),
    }
}

/// The dimension the validation function publishes its custom metrics under: the environment's name.
fn environment_dimension(env: &Environment) -> Vec<Dimension> {
    vec![Dimension {
        name: "Environment",
        value: Expr::lit(&env.name),
    }]
}

/// Right now: the numbers an operator checks first, as single values over 5 minutes: the forward DMS task's CDC
/// latency on both sides and the tables the validation found inconsistent.
fn right_now(env: &Environment, forward: &DmsTask) -> Widget {
    Widget::Metrics {
        title: "Right now".into(),
        lines: vec![
            Line::new(
                Metric::dms_task(forward, DmsTaskMetric::CdcLatencySource),
                Stat::Maximum,
                "forward CDC latency, source (s)",
            ),
            Line::new(
                Metric::dms_task(forward, DmsTaskMetric::CdcLatencyTarget),
                Stat::Maximum,
                "forward CDC latency, target (s)",
            ),
            Line::new(
                Metric::custom(
                    METRIC_NAMESPACE,
                    "TablesInconsistent",
                    environment_dimension(env),
                ),
                Stat::Maximum,
                "tables inconsistent",
            ),
        ],
        view: View::SingleValue,
        period: 300,
        threshold: None,
    }
}

/// Alarms: the health composite and its children first, then the CDC-latency gates and the signals.
fn alarm_status(alarms: &Alarms) -> Widget {
    let names = std::iter::once(alarms.health.name())
        .chain(alarms.health_children.iter().map(|a| a.name()))
        .chain([
            alarms.forward_cdc_latency.name(),
            alarms.reverse_cdc_latency.name(),
        ])
        .chain(alarms.signals.iter().map(|a| a.name()));
    Widget::AlarmStatus {
        title: "Alarms".into(),
        alarms: names.map(alarm_arn).collect(),
    }
}

/// Databases: for the production cluster (when the source is one) and the migration cluster, the CPU of the
/// writer and the readers against the alarm's threshold, and their connections.
fn database_rows(watched: &Watched) -> Vec<Widget> {
    let mut clusters = Vec::new();
    if let SourceDatabase::ProductionCluster(production) = &watched.databases.source {
        clusters.push(("production", &production.cluster));
    }
    clusters.push(("migration", &watched.databases.migration.cluster));
    let aurora = Metric::aurora_cluster;
    let mut rows = Vec::new();
    for (name, cluster) in &clusters {
        rows.push(graph_with_threshold(
            &format!("Database CPU: {name} (%)"),
            vec![
                Line::new(
                    aurora(cluster, ClusterRole::Writer, AuroraMetric::CpuUtilization),
                    Stat::Average,
                    "writer",
                ),
                Line::new(
                    aurora(cluster, ClusterRole::Reader, AuroraMetric::CpuUtilization),
                    Stat::Average,
                    "readers",
                ),
            ],
            "alarm",
            f64::from(DATABASE_CPU_ALARM_PERCENT),
        ));
        rows.push(graph(
            &format!("Database connections: {name}"),
            vec![
                Line::new(
                    aurora(
                        cluster,
                        ClusterRole::Writer,
                        AuroraMetric::DatabaseConnections,
                    ),
                    Stat::Maximum,
                    "writer",
                ),
                Line::new(
                    aurora(
                        cluster,
                        ClusterRole::Reader,
                        AuroraMetric::DatabaseConnections,
                    ),
                    Stat::Maximum,
                    "readers",
                ),
            ],
        ));
    }
    rows
}

/// DMS: the CDC latency of both tasks against the spec's `max_cdc_latency_seconds`, their throughput (the
/// forward task's full load and CDC, the reverse task's CDC), and the changes waiting beside the error lines DMS
/// logged.
fn replication_rows(
    env: &Environment,
    forward: &DmsTask,
    reverse: &DmsTask,
    alarms: &Alarms,
) -> Vec<Widget> {
    let dms = |task: &DmsTask, metric, stat, label: &str| {
        Line::new(Metric::dms_task(task, metric), stat, label)
    };
    vec![
        graph_with_threshold(
            "Replication lag: CDC latency (s)",
            vec![
                dms(
                    forward,
                    DmsTaskMetric::CdcLatencySource,
                    Stat::Maximum,
                    "forward, source",
                ),
                dms(
                    forward,
                    DmsTaskMetric::CdcLatencyTarget,
                    Stat::Maximum,
                    "forward, target",
                ),
                dms(
                    reverse,
                    DmsTaskMetric::CdcLatencySource,
                    Stat::Maximum,
                    "reverse, source",
                ),
                dms(
                    reverse,
                    DmsTaskMetric::CdcLatencyTarget,
                    Stat::Maximum,
                    "reverse, target",
                ),
            ],
            "caught up",
            f64::from(env.migration.max_cdc_latency_seconds),
        ),
        graph(
            "Replication throughput (rows/s)",
            vec![
                dms(
                    forward,
                    DmsTaskMetric::FullLoadThroughputRowsTarget,
                    Stat::Average,
                    "full load",
                ),
                dms(
                    forward,
                    DmsTaskMetric::CdcThroughputRowsSource,
                    Stat::Average,
                    "forward CDC, read",
                ),
                dms(
                    forward,
                    DmsTaskMetric::CdcThroughputRowsTarget,
                    Stat::Average,
                    "forward CDC, written",
                ),
                dms(
                    reverse,
                    DmsTaskMetric::CdcThroughputRowsTarget,
                    Stat::Average,
                    "reverse CDC, written",
                ),
            ],
        ),
        graph(
            "Changes waiting and DMS errors",
            vec![
                dms(
                    forward,
                    DmsTaskMetric::CdcIncomingChanges,
                    Stat::Maximum,
                    "forward, waiting",
                ),
                dms(
                    reverse,
                    DmsTaskMetric::CdcIncomingChanges,
                    Stat::Maximum,
                    "reverse, waiting",
                ),
                Line::new(
                    alarms.logs.dms_task_errors.clone(),
                    Stat::Sum,
                    "error lines",
                ),
            ],
        ),
    ]
}

/// Functions: the validation and authorizer Lambda functions' invocations, errors and p99 duration.
fn function_rows(watched: &Watched) -> Vec<Widget> {
    let functions = [
        ("validation", &watched.validation.function),
        ("authorizer", &watched.api.authorizer_function),
    ];
    let lambda = Metric::lambda;
    [
        ("Function invocations", LambdaMetric::Invocations, Stat::Sum),
        ("Function errors", LambdaMetric::Errors, Stat::Sum),
        (
            "Function duration p99 (ms)",
            LambdaMetric::Duration,
            Stat::P99,
        ),
    ]
    .into_iter()
    .map(|(title, metric, stat)| {
        graph(
            title,
            functions
                .iter()
                .map(|(name, function)| Line::new(lambda(function, metric), stat, *name))
                .collect(),
        )
    })
    .collect()
}

/// API: the stage's requests, 4XX and 5XX beside the authorizer's denials, and its latency (p99, average, and
/// the backend's p99 through the VPC link).
fn api_rows(watched: &Watched, alarms: &Alarms) -> Vec<Widget> {
    let stage = ApiStage::of(&watched.api.rest_api, STAGE);
    let api = |metric, stat, label: &str| Line::new(Metric::api_stage(&stage, metric), stat, label);
    vec![
        graph(
            "API requests",
            vec![
                api(ApiGatewayMetric::Count, Stat::Sum, "requests"),
                api(ApiGatewayMetric::ClientError, Stat::Sum, "4XX"),
                api(ApiGatewayMetric::ServerError, Stat::Sum, "5XX"),
                Line::new(
                    alarms.logs.authorizer_denials.clone(),
                    Stat::Sum,
                    "authorizer denials",
                ),
            ],
        ),
        graph(
            "API latency (ms)",
            vec![
                api(ApiGatewayMetric::Latency, Stat::P99, "p99"),
                api(ApiGatewayMetric::Latency, Stat::Average, "average"),
                api(
                    ApiGatewayMetric::IntegrationLatency,
                    Stat::P99,
                    "backend p99",
                ),
            ],
        ),
    ]
}

/// Validation: the function's own metrics (tables inconsistent, not ready, failed records) and its verdicts
/// from the logs.
fn validation_rows(env: &Environment, alarms: &Alarms) -> Vec<Widget> {
    let validation = |name: &'static str, label: &str| {
        Line::new(
            Metric::custom(METRIC_NAMESPACE, name, environment_dimension(env)),
            Stat::Maximum,
            label,
        )
    };
    vec![
        graph(
            "Data validation: tables",
            vec![
                validation("TablesInconsistent", "inconsistent"),
                validation("TablesNotReady", "not ready"),
                validation("ValidationFailedRecords", "failed records"),
            ],
        ),
        graph(
            "Data validation: verdicts",
            alarms
                .logs
                .validation_verdicts
                .iter()
                .map(|(verdict, metric)| Line::new(metric.clone(), Stat::Sum, *verdict))
                .collect(),
        ),
    ]
}

/// Workflows: the executions of the migration and the rollback state machines, started, succeeded, failed,
/// timed out and aborted.
fn workflow_rows(orchestration: &Orchestration) -> Vec<Widget> {
    [
        ("migration", &orchestration.migration),
        ("rollback", &orchestration.rollback),
    ]
    .into_iter()
    .map(|(name, state_machine)| {
        let states = |metric| Metric::state_machine(state_machine, metric);
        graph(
            &format!("Workflow executions: {name}"),
            [
                (StatesMetric::ExecutionsStarted, "started"),
                (StatesMetric::ExecutionsSucceeded, "succeeded"),
                (StatesMetric::ExecutionsFailed, "failed"),
                (StatesMetric::ExecutionsTimedOut, "timed out"),
                (StatesMetric::ExecutionsAborted, "aborted"),
            ]
            .into_iter()
            .map(|(metric, label)| Line::new(states(metric), Stat::Sum, label))
            .collect(),
        )
    })
    .collect()
}

/// The global database's replication lag, read in each secondary region where Aurora publishes it; no widget
/// without secondary regions.
fn global_database_rows(env: &Environment) -> Vec<Widget> {
    if env.secondary_regions.is_empty() {
        return Vec::new();
    }
    let identifier = secondary_cluster_identifier(env);
    vec![graph_with_threshold(
        "Global database replication lag (ms)",
        env.secondary_regions
            .iter()
            .map(|secondary| {
                Line::new(
                    Metric::aurora_global_replication_lag_of(&identifier),
                    Stat::Maximum,
                    secondary.region.clone(),
                )
                .in_region(secondary.region.clone())
            })
            .collect(),
        "alarm",
        f64::from(super::super::alerting::GLOBAL_LAG_ALARM_MILLISECONDS),
    )]
}
