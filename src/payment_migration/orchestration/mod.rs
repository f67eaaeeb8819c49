//! The orchestration layer: the Step Functions workflows that drive the migration and undo it.
//!
//! - [`migration`]: `payment-migration-migration-<env>`, started with `--input '{}'`: preparation, replication,
//!   CDC catch-up, validation, a human's approval, then [`cutover`]: the reverse task running, and the traffic
//!   shift in the spec's steps, each checked before and baked after. Any failure starts the rollback workflow
//!   and waits for it.
//! - [`rollback`]: `payment-migration-rollback-<env>`: traffic to production first, then the forward task stopped,
//!   the reverse task drained and stopped, the state saved, the phase recorded.
//!
//! # What the workflows guarantee
//!
//! These are the invariants the exploring tests (`tests/workflow_paths.rs`) check at every step of every path of
//! both rendered definitions, against a model of AWS in which any call may fail, DMS tasks start, stop and fail
//! as DMS's statuses allow, alarms change, and an operator acts at any wait:
//!
//! 1. **Traffic moves only with a live way back.** The split is raised above `0` only while `enable-cutover` is
//!    `true`, only after a `consistent` validation and an approval in the same execution, and only right after
//!    both DMS tasks were read `running`; while a step bakes, the reverse task, the forward task, the reverse
//!    task's CDC-latency gate and the migration-health alarm are read at every check, and anything but
//!    `running` and `OK` rolls back.
//! 2. **The split only rises, through exactly the spec's steps**, within one execution; success means the split
//!    at 100, cutover on and both tasks running, and only then is `complete` written. A migration is started
//!    only from `not-started`, `cutover-declined` or `rolled-back` with the split at 0 and cutover off: a re-run
//!    of a running or completed migration is refused before it changes anything.
//! 3. **The operator's hand wins.** Before each step and at each check, the split and the switch must be what the
//!    execution last wrote; if not, it stops shifting and ends in `taken-back` (left alone when a rollback is
//!    already writing the phase), without starting a rollback of its own.
//! 4. **Every failure ends through the rollback** (split 0, cutover off), **or pages** what is left: the
//!    rollback's own page, and the migration's `rollback-not-completed` message with the rollback's error.
//! 5. **The rollback moves traffic first**, before any other call, and nothing can keep that move from
//!    happening but Parameter Store refusing it for minutes (then it pages). From any state the migration or an
//!    operator can leave, it ends with the split at 0, cutover off, the forward task not running and the
//!    reverse task drained by its gate and stopped, or it fails with a page that says what is left (replication
//!    back to production incomplete, a task that will not stop). Running it twice is safe.
//! 6. **The phase tells the truth.** Every value written matches the parameter's `AllowedPattern` (the phases
//!    are one [`super::configuration::Phase`] type); the last phase written is where the run is.
//! 7. **Inside Step Functions' limits by construction.** Every loop is bounded and declares its bound; each
//!    workflow's worst-case history and duration are computed from its definition ([`crate::asl::worst_case`]);
//!    `TimeoutSeconds` is that duration plus [`TIMEOUT_MARGIN_PERCENT`], and a spec whose bounds would take a run
//!    past [`HISTORY_EVENTS_BUDGET`] events or a year is refused ([`check_limits`]).
//!
//! Each workflow is a Standard state machine with its own execution role, whose policy is derived from the
//! integrations its definition uses, an encrypted log group (level ALL, without execution data) and X-Ray
//! tracing. Its definition is also written beside the template as `<workflow>.asl.json`, byte for byte the
//! `Definition` the template embeds.

pub mod cutover;
pub mod migration;
pub mod pace;
mod pieces;
pub mod rollback;

use serde_json::json;

use crate::asl::worst_case::{MAX_EXECUTION_SECONDS, MAX_HISTORY_EVENTS};
use crate::asl::{Definition, Pass};
use crate::cfn::{Attributes, Handle, LogicalId, Named, Output};
use crate::resources::iam::{Principal, Role, Statement};
use crate::resources::kms::Key;
use crate::resources::stepfunctions::{
    EncryptionConfiguration, LogLevel, LoggingConfiguration, StateMachine, StateMachineType,
    TracingConfiguration,
};
use crate::spec::Problem;

use super::alerting::Alarms;
use super::configuration::Configuration;
use super::migration::Replication;
use super::notification::Notification;
use super::stack::{Layer, Stack};
use super::storage::Storage;
use super::validation::Validation;

pub use migration::{APPROVAL_REJECTED, MIGRATION_ASL_FILE, migration_state_machine_name};
pub use pieces::CHECKPOINT_PREFIX;
pub use rollback::{ROLLBACK_ASL_FILE, rollback_state_machine_name};

/// The most history events a workflow's worst case may reach: Step Functions fails an execution, uncatchably,
/// at 25,000; 10 % is kept for what the count cannot see (events AWS adds that the analysis does not know of).
pub const HISTORY_EVENTS_BUDGET: u64 = MAX_HISTORY_EVENTS * 9 / 10;
/// `TimeoutSeconds` is the worst-case duration plus this share: slow calls, a region under load.
pub const TIMEOUT_MARGIN_PERCENT: u32 = 10;

/// Where every failure of the migration goes: it records the error and starts the rollback.
const FAILED: &str = "SaveFailure";
/// Where the migration goes when an operator changed the split or the switch.
const TAKEN_BACK: &str = "TakenBack";

/// The orchestration layer's handles, for the workflows' failure alarms and the dashboard.
pub struct Orchestration {
    /// `payment-migration-migration-<env>`, which operators start with `--input '{}'`.
    pub migration: Named<StateMachine>,
    /// `payment-migration-rollback-<env>`, which the migration starts on any failure and an operator may start
    /// at any time.
    pub rollback: Named<StateMachine>,
}

/// What the workflows act on.
pub struct Resources<'a> {
    /// The region's key: the workflows encrypt their execution data, checkpoints and messages with it.
    pub key: &'a Handle<Key>,
    /// The switches the workflows read and write: the phase, the traffic split and the cutover switch.
    pub configuration: &'a Configuration,
    /// The DMS tasks the workflows start, stop and read, and the endpoints they test.
    pub replication: &'a Replication,
    /// The buckets for the migration's checkpoints and the rollback's state.
    pub storage: &'a Storage,
    /// The operations topic every phase is announced to and every page goes to.
    pub notification: &'a Notification,
    /// The function the `validating` phase asks for a verdict.
    pub validation: &'a Validation,
    /// The CDC-latency gates and the health composite the workflows read.
    pub alarms: &'a Alarms,
}

/// A failure the migration decides on (a bound, a verdict, an alarm): sets `$.error` like a caught error and goes
/// to the rollback.
fn failure(error: &str, cause: impl Into<String>) -> Pass {
    Pass::new()
        .result(json!({"Error": error, "Cause": cause.into()}))
        .result_path("$.error")
        .next(FAILED)
}

/// Panics with every problem of a definition the layer built: these are programming errors, caught by the tests
/// of every spec, never by a user's input.
fn built(name: &str, result: Result<Definition, Vec<crate::asl::AslError>>) -> Definition {
    result.unwrap_or_else(|errors| {
        let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
        panic!("the {name} workflow is invalid: {}", list.join("; "))
    })
}

pub use super::stack::WorkflowLimits;

/// Both workflows, the rollback first (the migration starts it and needs its ARN and timeout), each recorded with
/// its worst case for [`check_limits`], and their outputs.
pub fn build(stack: &mut Stack, resources: &Resources) -> Orchestration {
    let env = stack.env;
    let rollback_definition = rollback::definition(env, resources);
    let rollback_timeout = rollback_definition
        .timeout_seconds()
        .unwrap_or_else(|| unreachable!("the rollback's timeout is computed"));
    let rollback = workflow(
        stack,
        resources.key,
        "rollback",
        &rollback_state_machine_name(env),
        &rollback_definition,
        ROLLBACK_ASL_FILE,
    );
    let migration_definition = migration::definition(env, resources, &rollback, rollback_timeout);
    let migration = workflow(
        stack,
        resources.key,
        "migration",
        &migration_state_machine_name(env),
        &migration_definition,
        MIGRATION_ASL_FILE,
    );
    for (id, description, state_machine) in [
        (
            "MigrationStateMachineArn",
            "Migration workflow (migration_state_machine_arn)",
            &migration,
        ),
        (
            "RollbackStateMachineArn",
            "Rollback workflow (rollback_state_machine_arn)",
            &rollback,
        ),
    ] {
        stack.template.output(
            LogicalId::verbatim(id),
            Output::new(description, state_machine.state_machine_arn()),
        );
    }
    Orchestration {
        migration,
        rollback,
    }
}

/// The spec fields that make a workflow long: what to shorten when its worst case does not fit.
const BOUND_FIELDS: &str = "orchestration.traffic_steps, orchestration.bake_minutes, \
                            orchestration.approval_timeout_hours, orchestration.full_load_timeout_hours, \
                            orchestration.cdc_catch_up_minutes, orchestration.validation_timeout_minutes";

/// Whether each workflow's worst case fits Step Functions' limits with the margins stated above; a problem
/// names the spec's bounds, which drive it.
pub fn check_limits(limits: &[WorkflowLimits]) -> Vec<Problem> {
    let mut problems = Vec::new();
    for l in limits {
        if l.worst_case.history_events > HISTORY_EVENTS_BUDGET {
            problems.push(Problem {
                field: "orchestration".into(),
                value: format!(
                    "bounds under which {} may record {} history events",
                    l.name, l.worst_case.history_events
                ),
                allowed: format!(
                    "bounds whose worst case stays within {HISTORY_EVENTS_BUDGET} events (Step Functions fails \
                     an execution at {MAX_HISTORY_EVENTS}); shorten {BOUND_FIELDS}"
                ),
            });
        }
        if u64::from(l.timeout_seconds) > MAX_EXECUTION_SECONDS {
            problems.push(Problem {
                field: "orchestration".into(),
                value: format!(
                    "bounds under which {} may run {} s (with its {TIMEOUT_MARGIN_PERCENT} % margin)",
                    l.name, l.timeout_seconds
                ),
                allowed: format!(
                    "bounds within Step Functions' one-year limit ({MAX_EXECUTION_SECONDS} s); shorten \
                     {BOUND_FIELDS}"
                ),
            });
        }
    }
    problems
}

/// One workflow: its log group, execution role and policies, the state machine, and the standalone ASL
/// document beside the template. The role holds exactly what the configured state machine needs
/// ([`Definition::execution_policies`]: the definition's calls, and what AWS authorizes only on `*` in a policy of its
/// own, with the reasons), so a workflow cannot run with a role that lacks a call or holds more. Public so that a stack extended from outside migen gets its workflows the
/// same way.
pub fn workflow(
    stack: &mut Stack,
    key: &Handle<Key>,
    purpose: &str,
    name: &str,
    definition: &Definition,
    asl_file: &str,
) -> Named<StateMachine> {
    // Step Functions writes through CloudWatch Logs' vended-log delivery; AWS advises names under
    // /aws/vendedlogs/ so the account's log resource policy does not grow with every state machine.
    let log_group = stack.service_log_group(
        Layer::Orchestration,
        &format!("{purpose} log group"),
        &format!("/aws/vendedlogs/states/{name}"),
        key,
    );

    let role = stack.add(
        Layer::Orchestration,
        &format!("{purpose} role"),
        Role::for_service_in_this_account("states.amazonaws.com")
            .description(format!("Runs the {name} workflow")),
    );
    // The role encrypts execution data through Step Functions; CloudWatch Logs' delivery service reads it to
    // write the execution log (Step Functions developer guide, encryption at rest).
    stack.use_key_via("states");
    stack.grant_key(
        Statement::allow("LogDeliveryDecryptsStateMachineData", &["kms:Decrypt"])
            .principal(Principal::service("delivery.logs.amazonaws.com"))
            .resource("*")
            .from_this_account(),
    );

    let state_machine = StateMachine::running(&role, definition)
        .state_machine_type(StateMachineType::Standard)
        // Execution data would put payment references into the log group; the history keeps them.
        .logging_configuration(LoggingConfiguration::to_log_group(
            LogLevel::All,
            false,
            log_group.arn(),
        ))
        .tracing_configuration(TracingConfiguration::new().enabled(true))
        .encryption_configuration(EncryptionConfiguration::customer_managed_key(key));
    // The role holds exactly what the configured machine needs: the definition's calls, encryption of execution
    // data with the stack's key, log delivery and tracing.
    let (scoped, unscoped) = definition
        .execution_policies(&state_machine)
        .into_managed_policies(role.role_name(), &format!("the {name} workflow"));
    let policy = stack.add(Layer::Orchestration, &format!("{purpose} policy"), scoped);
    let mut attributes = Attributes::new().depends_on(&log_group).depends_on(&policy);
    // Logging and tracing are always on, so there is always an unscoped policy.
    if let Some((unscoped, unscoped_attributes)) = unscoped {
        let unscoped_policy = stack.add_with(
            Layer::Orchestration,
            &format!("{purpose} unscoped policy"),
            unscoped,
            unscoped_attributes,
        );
        attributes = attributes.depends_on(&unscoped_policy);
    }

    let handle = stack.add_named_with(
        Layer::Orchestration,
        &format!("{purpose} state machine"),
        name,
        state_machine,
        attributes,
    );
    stack.add_artifact(asl_file, definition.to_pretty_string());
    stack.workflow_limits.push(WorkflowLimits {
        name: name.to_string(),
        worst_case: definition.worst_case(),
        timeout_seconds: definition.timeout_seconds().unwrap_or(u32::MAX),
    });
    handle
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asl::WorstCase;

    fn limits(history_events: u64, timeout_seconds: u32) -> WorkflowLimits {
        WorkflowLimits {
            name: "payment-migration-migration-dev".into(),
            worst_case: WorstCase {
                history_events,
                duration_seconds: u64::from(timeout_seconds),
            },
            timeout_seconds,
        }
    }

    #[test]
    fn a_worst_case_within_the_budget_and_a_year_passes() {
        assert!(check_limits(&[limits(HISTORY_EVENTS_BUDGET, 365 * 24 * 3600)]).is_empty());
    }

    #[test]
    fn a_worst_case_past_the_event_budget_is_refused_naming_the_bounds() {
        let [problem] = &check_limits(&[limits(HISTORY_EVENTS_BUDGET + 1, 3600)])[..] else {
            panic!("one problem expected")
        };
        assert_eq!(problem.field, "orchestration");
        assert!(
            problem
                .value
                .contains(&(HISTORY_EVENTS_BUDGET + 1).to_string())
        );
        assert!(problem.allowed.contains("orchestration.bake_minutes"));
        assert!(problem.allowed.contains(&HISTORY_EVENTS_BUDGET.to_string()));
    }

    #[test]
    fn a_timeout_past_a_year_is_refused() {
        let year = u32::try_from(MAX_EXECUTION_SECONDS).unwrap();
        let [problem] = &check_limits(&[limits(100, year + 1)])[..] else {
            panic!("one problem expected")
        };
        assert!(problem.allowed.contains("one-year limit"));
    }
}
