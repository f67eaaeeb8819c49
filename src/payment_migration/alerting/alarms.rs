//! The monitoring layer's alarms. Three kinds:
//!
//! - **Gates** the workflows read and nobody is paged for: the forward task's CDC latency (the migration waits
//!   for it to be OK before validating) and the reverse task's (a rollback after cutover lets it drain until OK).
//!   Missing data is *breaching*: a task that publishes no latency has not proven it is caught up.
//! - **Health** alarms that page the operations topic (alarm and OK actions), combined into the composite
//!   `payment-migration-health-<env>` that the migration workflow checks every minute while a traffic step
//!   bakes: any child in ALARM rolls the migration back.
//! - **Signals** that page but do not roll back: authorizer denials spiking (a security signal: someone is
//!   guessing tokens, or clients lost theirs; neither is fixed by moving traffic back), the authorizer
//!   throttled, failing or degraded on the live payment path (it serves both sides), and DMS task errors (DMS
//!   retries many of them; the lag alarm says when they matter). The workflows' failures are signalled by the
//!   monitoring layer's alarms on the workflows ([`super::super::monitoring::finish`]).
//!
//! Each alarm's description says how it treats missing data, and why.

use crate::cfn::{Expr, Handle, Named};
use crate::cloudwatch::{
    ApiGatewayMetric, ApiStage, AuroraMetric, ClusterRole, Dimension, DmsTask, DmsTaskMetric,
    LambdaMetric, Metric,
};
use crate::resources::cloudwatch::{
    Alarm, AlarmCondition, AlarmMetric, ComparisonOperator, CompositeAlarm, Statistic,
    TreatMissingData,
};
use crate::resources::dms::ReplicationTask;
use crate::resources::sns::Topic;

use super::super::api::{Api, STAGE};
use super::super::database::{Databases, SourceDatabase};
use super::super::migration::Replication;
use super::super::notification::Notification;
use super::super::stack::{Stack, name_in};
use super::super::validation::{METRIC_NAMESPACE, Validation};
use super::filters::LogMetrics;
use super::{Alarms, paging_alarm};
use crate::spec::Environment;

/// `payment-migration-<direction>-cdc-latency-<env>`: the CDC-latency gate of the `forward` or `reverse` task.
pub fn gate_name(env: &Environment, direction: &str) -> String {
    name_in(env, &format!("{direction} cdc latency"))
}

/// `payment-migration-health-<env>`: the composite alarm the migration workflow reads.
pub fn health_alarm_name(env: &Environment) -> String {
    name_in(env, "health")
}

/// Authorizer denials in 5 minutes that page.
pub const AUTHORIZER_DENIALS_ALARM: u32 = 50;

/// Minutes of latency under the threshold before a gate opens: one slow minute among them keeps it shut.
pub const GATE_MINUTES: u32 = 3;
/// Replication lag that pages, in seconds (the original design's five minutes).
pub const REPLICATION_LAG_ALARM_SECONDS: u32 = 300;
/// Database CPU that pages, in percent.
pub const DATABASE_CPU_ALARM_PERCENT: u32 = 80;
/// Share of API requests answered 5XX that pages.
pub const API_5XX_ALARM_RATE: f64 = 0.05;

/// A DMS task's CDC latency, source plus target, as one metric-math expression over one-minute maxima.
fn total_latency(task: &DmsTask) -> AlarmMetric {
    AlarmMetric::Expression {
        expression: "m1 + m2".into(),
        label: "CDC latency, source plus target (s)".into(),
        metrics: vec![
            (
                Metric::dms_task(task, DmsTaskMetric::CdcLatencySource),
                Statistic::Maximum,
            ),
            (
                Metric::dms_task(task, DmsTaskMetric::CdcLatencyTarget),
                Statistic::Maximum,
            ),
        ],
        period: 60,
    }
}

/// The metric identity of one of the replication's tasks.
pub(in crate::payment_migration) fn dms_task(
    replication: &Replication,
    task: &Named<ReplicationTask>,
) -> DmsTask {
    DmsTask::of(&replication.instance, task)
}

/// The layer's alarms: the two CDC-latency gates, the health alarms and their composite, then the signals.
pub fn build(
    stack: &mut Stack,
    notification: &Notification,
    databases: &Databases,
    replication: &Replication,
    api: &Api,
    validation: &Validation,
    logs: LogMetrics,
) -> Alarms {
    let topic = notification.operations_topic.clone();
    let forward = dms_task(replication, &replication.forward_task);
    let reverse = dms_task(replication, &replication.reverse_task);
    let (forward_cdc_latency, reverse_cdc_latency) = gates(stack, &forward, &reverse);
    let mut health = vec![replication_lag(stack, &topic, &forward)];
    health.extend(database_cpu(stack, &topic, databases));
    health.extend(function_errors(stack, &topic, api, validation));
    health.push(api_5xx(stack, &topic, api));
    health.push(validation_inconsistent(stack, &topic));
    let health_alarm = health_composite(stack, &topic, &health);
    let signals = signals(stack, &topic, api, &logs);
    Alarms {
        forward_cdc_latency,
        reverse_cdc_latency,
        health: health_alarm,
        health_children: health,
        signals,
        logs,
    }
}

/// The CDC-latency gates of the forward and the reverse DMS task
/// (`payment-migration-<direction>-cdc-latency-<env>`): read by the workflows, paging nobody, OK once the task's
/// latency has stayed under the spec's `max_cdc_latency_seconds` for [`GATE_MINUTES`].
fn gates(stack: &mut Stack, forward: &DmsTask, reverse: &DmsTask) -> (Named<Alarm>, Named<Alarm>) {
    let env = stack.env;
    let threshold = f64::from(env.migration.max_cdc_latency_seconds);
    let gate = |direction: &str, task: &DmsTask| {
        Alarm::watching(
            format!(
                "Gate read by the workflows, not paged: OK once the {direction} DMS task's CDC latency (source plus \
                 target) has stayed at or under {} s for {GATE_MINUTES} minutes. Missing data is breaching: a task \
                 that publishes no latency has not shown it is caught up.",
                env.migration.max_cdc_latency_seconds
            ),
            total_latency(task),
            AlarmCondition {
                comparison: ComparisonOperator::GreaterThanThreshold,
                threshold,
                evaluation_periods: GATE_MINUTES,
                datapoints_to_alarm: 1,
            },
            TreatMissingData::Breaching,
        )
    };
    let forward_gate = gate("forward", forward);
    let reverse_gate = gate("reverse", reverse);
    let forward_cdc_latency = stack.add_alarm(
        "forward cdc latency alarm",
        gate_name(env, "forward"),
        forward_gate,
    );
    let reverse_cdc_latency = stack.add_alarm(
        "reverse cdc latency alarm",
        gate_name(env, "reverse"),
        reverse_gate,
    );
    (forward_cdc_latency, reverse_cdc_latency)
}

/// Health: the forward DMS task's CDC latency over [`REPLICATION_LAG_ALARM_SECONDS`] for 3 minutes, the
/// migration database falling behind production.
fn replication_lag(stack: &mut Stack, topic: &Handle<Topic>, forward: &DmsTask) -> Named<Alarm> {
    paging_alarm(
        stack,
        topic,
        "replication lag",
        format!(
            "The forward DMS task's CDC latency (source plus target) has been over {REPLICATION_LAG_ALARM_SECONDS} s \
             for 3 minutes: the migration database is falling behind production. Missing data is not breaching: a \
             stopped task publishes nothing, and starting or stopping it is the workflows' decision, reported on \
             its own."
        ),
        total_latency(forward),
        AlarmCondition::every_period(
            ComparisonOperator::GreaterThanThreshold,
            f64::from(REPLICATION_LAG_ALARM_SECONDS),
            3,
        ),
        TreatMissingData::NotBreaching,
    )
}

/// Health: the writer's CPU over [`DATABASE_CPU_ALARM_PERCENT`] for 5 minutes, of the migration cluster and,
/// when the source is one, the production cluster.
fn database_cpu(
    stack: &mut Stack,
    topic: &Handle<Topic>,
    databases: &Databases,
) -> Vec<Named<Alarm>> {
    let mut clusters = vec![("migration", &databases.migration.cluster)];
    if let SourceDatabase::ProductionCluster(production) = &databases.source {
        clusters.push(("production", &production.cluster));
    }
    let mut alarms = Vec::new();
    for (name, cluster) in clusters {
        alarms.push(paging_alarm(
            stack,
            topic,
            &format!("{name} database cpu"),
            format!(
                "The {name} cluster's writer has averaged over {DATABASE_CPU_ALARM_PERCENT} % CPU for 5 minutes. \
                 Missing data is breaching: a running writer reports every minute, so silence means it is down."
            ),
            AlarmMetric::Single {
                metric: Metric::aurora_cluster(
                    cluster,
                    ClusterRole::Writer,
                    AuroraMetric::CpuUtilization,
                ),
                statistic: Statistic::Average,
                period: 60,
            },
            AlarmCondition::every_period(ComparisonOperator::GreaterThanThreshold, f64::from(DATABASE_CPU_ALARM_PERCENT), 5),
            TreatMissingData::Breaching,
        ));
    }
    alarms
}

/// Health: any error or timeout of the validation or the authorizer Lambda function in 5 minutes.
fn function_errors(
    stack: &mut Stack,
    topic: &Handle<Topic>,
    api: &Api,
    validation: &Validation,
) -> Vec<Named<Alarm>> {
    let mut alarms = Vec::new();
    for (name, function) in [
        ("validation", &validation.function),
        ("authorizer", &api.authorizer_function),
    ] {
        alarms.push(paging_alarm(
            stack,
            topic,
            &format!("{name} errors"),
            format!(
                "The {name} function failed (an error or a timeout) in the last 5 minutes. Missing data is not \
                 breaching: no invocation, no error."
            ),
            AlarmMetric::Single {
                metric: Metric::lambda(function, LambdaMetric::Errors),
                statistic: Statistic::Sum,
                period: 300,
            },
            AlarmCondition::every_period(ComparisonOperator::GreaterThanThreshold, 0.0, 1),
            TreatMissingData::NotBreaching,
        ));
    }
    alarms
}

/// Health: more than [`API_5XX_ALARM_RATE`] of the API stage's requests answered 5XX in each of 3 minutes.
fn api_5xx(stack: &mut Stack, topic: &Handle<Topic>, api: &Api) -> Named<Alarm> {
    let stage = ApiStage::of(&api.rest_api, STAGE);
    paging_alarm(
        stack,
        topic,
        "api 5xx",
        format!(
            "More than {} % of the payment API's requests were answered 5XX in each of 3 minutes. Missing data is \
             not breaching: no request, no error.",
            API_5XX_ALARM_RATE * 100.0
        ),
        AlarmMetric::Single {
            metric: Metric::api_stage(&stage, ApiGatewayMetric::ServerError),
            // 5XXError is 0 or 1 per request: its average is the error rate.
            statistic: Statistic::Average,
            period: 60,
        },
        AlarmCondition::every_period(
            ComparisonOperator::GreaterThanThreshold,
            API_5XX_ALARM_RATE,
            3,
        ),
        TreatMissingData::NotBreaching,
    )
}

/// Health: the validation function found source and target disagreeing (its `ValidationInconsistent` metric).
fn validation_inconsistent(stack: &mut Stack, topic: &Handle<Topic>) -> Named<Alarm> {
    let env = stack.env;
    paging_alarm(
        stack,
        topic,
        "validation inconsistent",
        "The validation function found source and target disagreeing. Missing data is not breaching: the \
         function publishes a verdict only when it runs."
            .to_string(),
        AlarmMetric::Single {
            metric: Metric::custom(
                METRIC_NAMESPACE,
                "ValidationInconsistent",
                vec![Dimension {
                    name: "Environment",
                    value: Expr::lit(&env.name),
                }],
            ),
            statistic: Statistic::Maximum,
            period: 300,
        },
        AlarmCondition::every_period(ComparisonOperator::GreaterThanOrEqualToThreshold, 1.0, 1),
        TreatMissingData::NotBreaching,
    )
}

/// The composite `payment-migration-health-<env>`, in ALARM while any of `health` is: the alarm the migration
/// workflow checks every minute while a traffic step bakes.
fn health_composite(
    stack: &mut Stack,
    topic: &Handle<Topic>,
    health: &[Named<Alarm>],
) -> Named<CompositeAlarm> {
    let composite = CompositeAlarm::any_of(
        "Migration health: in ALARM while any of the stack's health alarms is (replication lag, database CPU, \
         function errors, API 5XX, validation inconsistent). The migration workflow checks it every minute while a \
         traffic step bakes and rolls back when it is in ALARM.",
        health.iter().map(|alarm| alarm.alarm_name()).collect(),
    )
    .notify(topic);
    let name = health_alarm_name(stack.env);
    stack.add_alarm("health alarm", name, composite)
}

/// The signals, which page and roll nothing back: authorizer denials spiking, the live payment path's
/// authorizer throttles, failures and degraded answers, and DMS task errors.
fn signals(
    stack: &mut Stack,
    topic: &Handle<Topic>,
    api: &Api,
    logs: &LogMetrics,
) -> Vec<Named<Alarm>> {
    let mut signals = Vec::new();
    signals.push(paging_alarm(
        stack,
        topic,
        "authorizer denials",
        format!(
            "The authorizer denied more than {AUTHORIZER_DENIALS_ALARM} requests in 5 minutes: someone may be guessing \
             tokens, or clients hold a rotated-out one. A security signal; it does not roll the migration back. \
             Missing data is not breaching: the filter reports 0 for a quiet period, so missing means no log at all."
        ),
        AlarmMetric::Single {
            metric: logs.authorizer_denials.clone(),
            statistic: Statistic::Sum,
            period: 300,
        },
        AlarmCondition::every_period(ComparisonOperator::GreaterThanThreshold, f64::from(AUTHORIZER_DENIALS_ALARM), 1),
        TreatMissingData::NotBreaching,
    ));
    signals.extend(payment_path_signals(stack, topic, api, logs));
    signals.push(paging_alarm(
        stack,
        topic,
        "dms task errors",
        "DMS wrote error lines for the replication tasks in the last 5 minutes: read the task log group. DMS retries \
         many errors itself, so this pages without rolling back; the replication-lag alarm says when they matter. \
         Missing data is not breaching: the filter reports 0 for a quiet period."
            .to_string(),
        AlarmMetric::Single {
            metric: logs.dms_task_errors.clone(),
            statistic: Statistic::Sum,
            period: 300,
        },
        AlarmCondition::every_period(ComparisonOperator::GreaterThanThreshold, 0.0, 1),
        TreatMissingData::NotBreaching,
    ));
    signals
}

/// The live payment path's signals: the authorizer throttled by Lambda, failing (API Gateway answering 500) or
/// degraded (Parameter Store or Secrets Manager unread). Any count in a minute pages, and missing data (no
/// request, no event) is not breaching. None rolls the migration back: the authorizer serves both sides.
fn payment_path_signals(
    stack: &mut Stack,
    topic: &Handle<Topic>,
    api: &Api,
    logs: &LogMetrics,
) -> Vec<Named<Alarm>> {
    let authorizer_throttles = Metric::lambda(&api.authorizer_function, LambdaMetric::Throttles);
    let mut signals = Vec::new();
    for (purpose, description, metric) in [
        (
            "authorizer throttles",
            "Lambda throttled the authorizer in the last minute: the API's rate exceeded what its reserved \
             concurrency carries (derived from api.peak_requests_per_second), and API Gateway answered those requests \
             500. Raise api.peak_requests_per_second to the real peak and deploy. Moving traffic would not help, so \
             it does not roll the migration back. Missing data is not breaching: no invocation, no throttle.",
            authorizer_throttles,
        ),
        (
            "authorizer failures",
            "API Gateway answered requests 500 in the last minute because the authorizer failed (an error, a timeout \
             or a throttle): those payments were refused on both sides of the split. The stage's access log \
             (authorizerError) and the authorizer's log say why. It does not roll the migration back: the authorizer \
             serves both sides. Missing data is not breaching: the filter reports 0 for a quiet minute.",
            logs.authorizer_failures.clone(),
        ),
        (
            "authorizer degraded",
            "The authorizer could not read Parameter Store or Secrets Manager in the last minute and served requests \
             in a degraded state: with the last settings or token versions it read (bounded by \
             api.settings_max_staleness_seconds and api.token_max_staleness_seconds), every caller on production for \
             want of settings, or denials for want of token versions. The authorizer log's \"degraded\" events say \
             which and why. Moving traffic would not fix it, so it does not roll the migration back. Missing data is \
             not breaching: the filter reports 0 for a quiet minute.",
            logs.authorizer_degraded.clone(),
        ),
    ] {
        signals.push(paging_alarm(
            stack,
            topic,
            purpose,
            description.to_string(),
            AlarmMetric::Single {
                metric,
                statistic: Statistic::Sum,
                period: 60,
            },
            AlarmCondition::every_period(ComparisonOperator::GreaterThanThreshold, 0.0, 1),
            TreatMissingData::NotBreaching,
        ));
    }
    signals
}
