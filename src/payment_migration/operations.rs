//! What an operator needs from the design, gathered in one place for the runbook: the names the layers give
//! the workflows, gates, alarms, functions, secrets and dashboard, and the pace and bounds the workflows keep.
//! The render passes it to the runbook's template as it is, so it does not reach into the layers itself.

use serde::Serialize;

use super::stack::SYSTEM;
use super::{alerting, api, monitoring, orchestration, validation};
use crate::spec::{Environment, Source};

/// The facts the runbook states, by the names its template uses.
#[derive(Clone, Debug, Serialize)]
pub struct OperatorFacts {
    /// The CloudFormation stack name the runbook deploys and reads outputs from, `payment-migration-<env>`.
    pub stack_name: String,
    /// The API token's secret, which the runbook reads for a test call and rotates with `put-secret-value`.
    pub token_secret: String,
    /// `data-validation-<env>`, which the runbook invokes by hand and the `validating` phase invokes.
    pub validation_function: String,
    /// `payment-migration-rollback-<env>`: what an operator starts to put every payment back on production.
    pub rollback_state_machine: String,
    /// `payment-migration-migration-<env>`: the workflow that runs the whole migration.
    pub migration_state_machine: String,
    /// How long the rollback lets the reverse task drain before it gives up and pages, in minutes.
    pub max_drain_minutes: u32,
    /// Minutes a CDC-latency gate's latency must stay under the threshold before the gate is OK.
    pub gate_minutes: u32,
    /// The forward task's CDC-latency gate alarm, which the `cdc` phase waits on.
    pub forward_gate: String,
    /// The reverse task's CDC-latency gate alarm, awaited before traffic moves and while the rollback drains.
    pub reverse_gate: String,
    /// The composite health alarm: any child in ALARM while a traffic step bakes rolls the migration back.
    pub health_alarm: String,
    /// How long the `preparing` phase waits for the endpoints' connection tests, in seconds.
    pub connection_seconds: u32,
    /// Minutes between two looks at the full load.
    pub full_load_poll_minutes: u32,
    /// Minutes before a `not-ready` validation is asked again.
    pub validation_retry_minutes: u32,
    /// Minutes between two health checks of a baking traffic step.
    pub bake_check_minutes: u32,
    /// Health checks of each traffic step's bake: the step lasts this many checks that could be read.
    pub bake_checks: u32,
    /// Checks of one step that may fail to be read before the step is rolled back for want of knowing.
    pub unknown_checks: u32,
    /// How long a starting reverse task is awaited until it runs, in seconds.
    pub reverse_start_seconds: u32,
    /// How long the reverse gate is awaited after the reverse task starts, before any traffic moves, in seconds.
    pub reverse_gate_seconds: u32,
    /// How long the rollback awaits a stopping forward task, in seconds.
    pub task_stop_seconds: u32,
    /// Minutes of drain before the rollback trusts the reverse gate: its window must start after the
    /// authorizer's settings TTL, so no request still goes to the migration side.
    pub drain_min_minutes: u32,
    /// The history events a workflow's worst case may reach; bounds beyond it are refused.
    pub events_budget: u64,
    /// The CloudWatch dashboard's name, `migration-dashboard-<env>`.
    pub dashboard: String,
    /// Present when the source is the on-premises database, whose secret operations create before deploying.
    pub external_source: Option<ExternalSourceFacts>,
}

/// What the runbook says about an on-premises source: the secret operations create, and where DMS connects.
#[derive(Clone, Debug, Serialize)]
pub struct ExternalSourceFacts {
    /// The Secrets Manager secret operations create, encrypted with the stack's key, before any DMS task starts.
    pub secret_name: String,
    /// The source's host, which the secret's `host` must repeat exactly.
    pub host: String,
    /// The source's port, which the secret's `port` must repeat exactly.
    pub port: u16,
    /// The CIDR the DMS and validation security groups admit (the host's /32, or the on-premises network when
    /// the host is a name): a secret naming another host fails the connection test.
    pub network: String,
    /// Whether DMS verifies the server's certificate and host name (`verify-full`): the spec gave a CA.
    pub verify_full: bool,
}

impl OperatorFacts {
    /// The facts for `env`, from the same functions and constants the layers build with, so the runbook cannot
    /// drift from the stack.
    pub fn of(env: &Environment) -> Self {
        let pace = orchestration::pace::Pace::of(env);
        OperatorFacts {
            stack_name: format!("{SYSTEM}-{}", env.name),
            token_secret: api::token_secret_name(env),
            validation_function: validation::function_name(env),
            rollback_state_machine: orchestration::rollback_state_machine_name(env),
            migration_state_machine: orchestration::migration_state_machine_name(env),
            max_drain_minutes: orchestration::rollback::MAX_DRAIN_MINUTES,
            gate_minutes: alerting::GATE_MINUTES,
            forward_gate: alerting::alarms::gate_name(env, "forward"),
            reverse_gate: alerting::alarms::gate_name(env, "reverse"),
            health_alarm: alerting::alarms::health_alarm_name(env),
            connection_seconds: orchestration::pace::CONNECTION_TESTS.seconds(),
            full_load_poll_minutes: pace.full_load.interval_seconds / 60,
            validation_retry_minutes: pace.validation.interval_seconds / 60,
            bake_check_minutes: pace.bake.interval_seconds / 60,
            bake_checks: pace.bake.max_polls,
            unknown_checks: orchestration::pace::UNKNOWN_CHECKS_TOLERATED,
            reverse_start_seconds: orchestration::pace::TASK_START.seconds(),
            reverse_gate_seconds: orchestration::pace::REVERSE_GATE.seconds(),
            task_stop_seconds: orchestration::pace::TASK_STOP.seconds(),
            drain_min_minutes: orchestration::rollback::drain_min_polls(env)
                * orchestration::rollback::DRAIN_POLL_SECONDS
                / 60,
            events_budget: orchestration::HISTORY_EVENTS_BUDGET,
            dashboard: monitoring::dashboard::dashboard_name(env),
            external_source: match &env.migration.source {
                Source::External(external) => Some(ExternalSourceFacts {
                    secret_name: external.secret_name.clone(),
                    host: external.host.clone(),
                    port: external.port,
                    network: external.network(env.network.on_premises_cidr).to_string(),
                    verify_full: external.ca_certificate_pem.is_some(),
                }),
                Source::ProductionCluster(_) => None,
            },
        }
    }
}
