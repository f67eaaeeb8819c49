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
    pub stack_name: String,
    pub token_secret: String,
    pub validation_function: String,
    pub rollback_state_machine: String,
    pub migration_state_machine: String,
    pub max_drain_minutes: u32,
    pub gate_minutes: u32,
    pub forward_gate: String,
    pub reverse_gate: String,
    pub health_alarm: String,
    pub connection_seconds: u32,
    pub full_load_poll_minutes: u32,
    pub validation_retry_minutes: u32,
    pub bake_check_minutes: u32,
    pub bake_checks: u32,
    pub unknown_checks: u32,
    pub reverse_start_seconds: u32,
    pub reverse_gate_seconds: u32,
    pub task_stop_seconds: u32,
    pub drain_min_minutes: u32,
    pub events_budget: u64,
    pub dashboard: String,
    pub external_source: Option<ExternalSourceFacts>,
}

/// What the runbook says about an on-premises source: the secret operations create, and where DMS connects.
#[derive(Clone, Debug, Serialize)]
pub struct ExternalSourceFacts {
    pub secret_name: String,
    pub host: String,
    pub port: u16,
    pub network: String,
    pub verify_full: bool,
}

impl OperatorFacts {
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
