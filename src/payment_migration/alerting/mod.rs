//! The alarms: what the workflows read and what wakes operators. Built before the orchestration layer, which
//! reads them: [`alarms()`] adds the metric filters, the CDC-latency gates, the health alarms and their composite,
//! and the paging signals. The monitoring layer, built after the workflows, adds the workflows' own alarms and the
//! dashboard over all of them. A secondary region gets [`secondary`]: the global database's replication lag,
//! measured where it is published.

pub mod alarms;
pub mod filters;

use crate::cfn::{Handle, Named};
use crate::cloudwatch::Metric;
use crate::resources::cloudwatch::{
    Alarm, AlarmCondition, AlarmMetric, ComparisonOperator, CompositeAlarm, Statistic,
    TreatMissingData,
};
use crate::resources::rds::DbCluster;
use crate::resources::sns::Topic;

use super::api::Api;
use super::database::Databases;
use super::migration::Replication;
use super::notification::Notification;
use super::stack::Stack;
use super::validation::Validation;

pub use alarms::{GATE_MINUTES, REPLICATION_LAG_ALARM_SECONDS};

/// The stack's alarms.
pub struct Alarms {
    /// OK once the forward task's CDC latency has stayed under the spec's threshold for [`GATE_MINUTES`].
    pub forward_cdc_latency: Named<Alarm>,
    /// OK once the reverse task's CDC latency has stayed under the spec's threshold for [`GATE_MINUTES`].
    pub reverse_cdc_latency: Named<Alarm>,
    /// ALARM while any of `health_children` is.
    pub health: Named<CompositeAlarm>,
    /// The health alarms (replication lag, database CPU, function errors, API 5XX, validation inconsistent),
    /// each paging on its own; any of them in ALARM rolls a baking traffic step back.
    pub health_children: Vec<Named<Alarm>>,
    /// Paging alarms outside the health composite.
    pub signals: Vec<Named<Alarm>>,
    /// The log-derived metrics, for the dashboard.
    pub logs: filters::LogMetrics,
}

/// Adds the alarm `payment-migration-<purpose>-<env>` (logical id `Monitoring<Purpose>Alarm`), which tells `topic`
/// when it fires and when it clears.
pub fn paging_alarm(
    stack: &mut Stack,
    topic: &Handle<Topic>,
    purpose: &str,
    description: impl Into<String>,
    metric: AlarmMetric,
    condition: AlarmCondition,
    missing: TreatMissingData,
) -> Named<Alarm> {
    let alarm = Alarm::watching(description, metric, condition, missing).notify(topic);
    let name = stack.name(purpose);
    stack.add_alarm(&format!("{purpose} alarm"), name, alarm)
}

/// What the monitoring layer watches.
pub struct Watched<'a> {
    /// Where the alarms page.
    pub notification: &'a Notification,
    /// The clusters whose CPU is alarmed and charted.
    pub databases: &'a Databases,
    /// The DMS tasks, for the CDC-latency gates, the lag alarm and the task-error filter.
    pub replication: &'a Replication,
    /// The stage and the authorizer: 5XX rates, authorizer errors, throttles and log-derived denials.
    pub api: &'a Api,
    /// The validation function: its errors and its verdicts.
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

/// Replication lag above which a secondary region pages, in milliseconds.
pub const GLOBAL_LAG_ALARM_MILLISECONDS: u32 = 60_000;

/// A secondary region's alarm: the global database's replication lag, which only the secondary cluster
/// publishes, so it is measured (and alarms to the region's own topic) there.
pub fn secondary(stack: &mut Stack, notification: &Notification, cluster: &Named<DbCluster>) {
    let metric = Metric::aurora_global_replication_lag(cluster);
    let alarm = Alarm::watching(
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
    .notify(&notification.operations_topic);
    let name = stack.name(&format!("global replication lag {}", stack.region));
    stack.add_alarm("global replication lag alarm", name, alarm);
}
