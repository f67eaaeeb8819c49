//! The monitoring layer: what operators watch. Built after the orchestration layer, which it watches: the
//! workflows' own paging alarms, and the dashboard `migration-dashboard-<env>` over every alarm of
//! [`super::alerting`] and the metrics of every layer.

pub mod dashboard;

use crate::cfn::{Expr, LogicalId, Output};
use crate::cloudwatch::{Metric, StatesMetric};
use crate::resources::cloudwatch::{
    AlarmCondition, AlarmMetric, ComparisonOperator, Dashboard, Statistic, TreatMissingData,
};

use super::alerting::{Alarms, Watched, paging_alarm};
use super::orchestration::Orchestration;
use super::stack::{Layer, Stack};

pub use dashboard::DASHBOARD_FILE;

/// The workflows' alarms, the dashboard `migration-dashboard-<env>` (in the template and as `dashboard.json`
/// beside it) and the outputs `DashboardName` and `DashboardArn`.
pub fn finish(
    stack: &mut Stack,
    watched: &Watched,
    alarms: &mut Alarms,
    orchestration: &Orchestration,
) {
    let topic = watched.notification.operations_topic.clone();
    for (purpose, state_machine) in [
        ("migration", &orchestration.migration),
        ("rollback", &orchestration.rollback),
    ] {
        let metric = |m| Metric::state_machine(state_machine, m);
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

    let body = dashboard::body(stack.env, watched, alarms, orchestration);
    let name = dashboard::dashboard_name(stack.env);
    // One layout: the body the template embeds, and the same body resolved for this region beside it.
    let (embedded, resolved) = body.render(&stack.region, "aws");
    let resource = stack.add(
        Layer::Monitoring,
        "dashboard",
        Dashboard::named(Expr::lit(&name), embedded),
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
