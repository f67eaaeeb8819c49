//! The monitoring layer: what operators watch and what wakes them, and the alarms the workflows read.
//!
//! Built in two steps around the orchestration layer, which reads the alarms and is watched by them:
//! [`alarms`] (metric filters, the CDC-latency gates, the health alarms and their composite, the signals) before
//! the workflows exist, and [`finish`] (the workflows' own alarms, the dashboard and its outputs) after.
//! A secondary region gets [`secondary`]: the global database's replication lag, measured where it is published.

pub mod alarms;
pub mod dashboard;
pub mod filters;

use crate::cfn::{Expr, Handle, LogicalId, Output};
use crate::cloudwatch::{Metric, StatesMetric};
use crate::resources::cloudwatch::{
    Alarm, AlarmCondition, AlarmMetric, ComparisonOperator, CompositeAlarm, Dashboard, Statistic,
    TreatMissingData,
};
use crate::resources::rds::DbCluster;

use super::api::Api;
use super::database::Databases;
use super::migration::Replication;
use super::notification::Notification;
use super::orchestration::Orchestration;
use super::stack::{Layer, Stack};
use super::validation::Validation;

pub use alarms::{GATE_MINUTES, REPLICATION_LAG_ALARM_SECONDS};
pub use dashboard::DASHBOARD_FILE;

/// The stack's alarms.
pub struct Alarms {
    /// OK once the forward task's CDC latency has stayed under the spec's threshold for [`GATE_MINUTES`].
    pub forward_cdc_latency: Handle<Alarm>,
    /// OK once the reverse task's CDC latency has stayed under the spec's threshold for [`GATE_MINUTES`].
    pub reverse_cdc_latency: Handle<Alarm>,
    /// ALARM while any of `health_children` is.
    pub health: Handle<CompositeAlarm>,
    pub health_children: Vec<Handle<Alarm>>,
    /// Paging alarms outside the health composite.
    pub signals: Vec<Handle<Alarm>>,
    /// The log-derived metrics, for the dashboard.
    pub logs: filters::LogMetrics,
}

/// Adds the alarm `payment-migration-<purpose>-<env>` (logical id `Monitoring<Purpose>Alarm`), which tells `topic`
/// when it fires and when it clears.
pub(super) fn paging_alarm(
    stack: &mut Stack,
    topic: &Expr,
    purpose: &str,
    description: impl Into<String>,
    metric: AlarmMetric,
    condition: AlarmCondition,
    missing: TreatMissingData,
) -> Handle<Alarm> {
    let alarm = Alarm::new(
        Expr::lit(stack.name(purpose)),
        description,
        metric,
        condition,
        missing,
    )
    .notify(topic.clone());
    stack.add(Layer::Monitoring, &format!("{purpose} alarm"), alarm)
}

/// What the monitoring layer watches.
pub struct Watched<'a> {
    pub notification: &'a Notification,
    pub databases: &'a Databases,
    pub replication: &'a Replication,
    pub api: &'a Api,
    pub validation: &'a Validation,
}

/// The metric filters and every alarm the workflows read.
pub fn alarms(stack: &mut Stack, watched: &Watched) -> Alarms {
    let logs = filters::build(
        stack,
        &watched.api.authorizer_logs,
        &watched.api.access_logs,
        &watched.replication.task_logs,
        &watched.validation.logs,
    );
    alarms::build(
        stack,
        watched.notification,
        watched.databases,
        watched.replication,
        watched.api,
        watched.validation,
        logs,
    )
}

/// The workflows' alarms, the dashboard `migration-dashboard-<env>` (in the template and as `dashboard.json`
/// beside it) and the outputs `DashboardName` and `DashboardArn`.
pub fn finish(
    stack: &mut Stack,
    watched: &Watched,
    alarms: &mut Alarms,
    orchestration: &Orchestration,
) {
    let topic = watched.notification.operations_topic.topic_arn();
    for (purpose, state_machine) in [
        ("migration", &orchestration.migration),
        ("rollback", &orchestration.rollback),
    ] {
        let metric = |m| {
            Metric::state_machine(&stack.template, state_machine, m)
                .expect("the state machines' names are literal")
        };
        let metric = AlarmMetric::Expression {
            expression: "m1 + m2 + m3".into(),
            label: format!("{purpose} executions failed, timed out or aborted"),
            metrics: vec![
                (metric(StatesMetric::ExecutionsFailed), Statistic::Sum),
                (metric(StatesMetric::ExecutionsTimedOut), Statistic::Sum),
                (metric(StatesMetric::ExecutionsAborted), Statistic::Sum),
            ],
            period: 300,
        };
        let handle = paging_alarm(
            stack,
            &topic,
            &format!("{purpose} workflow failed"),
            format!(
                "An execution of the {purpose} workflow failed, timed out or was aborted in the last 5 minutes: read \
                 its execution history. A failed migration has already started the rollback; a failed rollback \
                 needs a person now. Missing data is not breaching: no execution, no failure."
            ),
            metric,
            AlarmCondition::every_period(ComparisonOperator::GreaterThanThreshold, 0.0, 1),
            TreatMissingData::NotBreaching,
        );
        alarms.signals.push(handle);
    }

    let body = dashboard::body(stack, watched, alarms, orchestration);
    let name = dashboard::dashboard_name(stack.env);
    // One layout: the body the template embeds, and the same body resolved for this region beside it.
    let (embedded, resolved) = body.render(&stack.region, "aws");
    let resource = stack.add(
        Layer::Monitoring,
        "dashboard",
        Dashboard::new(Expr::lit(&name), embedded),
    );
    stack.add_artifact(DASHBOARD_FILE, resolved);
    stack.template.output(
        LogicalId::verbatim("DashboardName"),
        Output::new(
            "CloudWatch dashboard (dashboard_name)",
            resource.dashboard_name(),
        ),
    );
    // Dashboards are global: the ARN has no region.
    stack.template.output(
        LogicalId::verbatim("DashboardArn"),
        Output::new(
            "CloudWatch dashboard (dashboard_arn)",
            Expr::sub_with(
                "arn:${AWS::Partition}:cloudwatch::${AWS::AccountId}:dashboard/${Name}",
                [("Name", resource.dashboard_name())],
            ),
        ),
    );
}

/// Replication lag above which a secondary region pages, in milliseconds.
pub const GLOBAL_LAG_ALARM_MILLISECONDS: u32 = 60_000;

/// A secondary region's alarm: the global database's replication lag, which only the secondary cluster
/// publishes, so it is measured (and alarms to the region's own topic) there.
pub fn secondary(stack: &mut Stack, notification: &Notification, cluster: &Handle<DbCluster>) {
    let metric = Metric::aurora_global_replication_lag(&stack.template, cluster)
        .expect("the secondary cluster's identifier is literal");
    let alarm = Alarm::new(
        Expr::lit(stack.name(&format!("global replication lag {}", stack.region))),
        format!(
            "The global database has replicated to {} more than {} s late for 5 minutes: a failover to this region \
             would lose that much. Missing data is breaching: a secondary cluster reports its lag every minute, so \
             silence means it is not replicating.",
            stack.region,
            GLOBAL_LAG_ALARM_MILLISECONDS / 1000
        ),
        AlarmMetric::Single {
            metric,
            statistic: Statistic::Maximum,
            period: 60,
        },
        AlarmCondition::every_period(ComparisonOperator::GreaterThanThreshold, f64::from(GLOBAL_LAG_ALARM_MILLISECONDS), 5),
        TreatMissingData::Breaching,
    )
    .notify(notification.operations_topic.topic_arn());
    stack.add(Layer::Monitoring, "global replication lag alarm", alarm);
}
