//! The orchestration layer: the Step Functions workflows that drive the migration and undo it.
//!
//! - [`migration`]: `payment-migration-migration-<env>`, started with `--input '{}'`: preparation, replication,
//!   CDC catch-up, validation, a human's approval, cutover and the traffic shift in the spec's steps, each step
//!   baked under the migration-health alarm. Any failure starts the rollback workflow and waits for it.
//! - [`rollback`]: `payment-migration-rollback-<env>`: traffic to production first, then the DMS tasks stopped
//!   (the reverse task only once it has drained), the state before the change saved, the phase recorded.
//!
//! Each workflow is a Standard state machine with its own execution role, whose policy is derived from the
//! integrations its definition uses, an encrypted log group (level ALL, without execution data) and X-Ray
//! tracing. Its definition is also written beside the template as `<workflow>.asl.json`, byte for byte the
//! `Definition` the template embeds.

pub mod migration;
pub mod rollback;

use serde_json::json;

use crate::asl::{Catcher, Definition, ErrorName, Retrier};
use crate::cfn::{Attributes, Expr, Handle, LogicalId, Output};
use crate::resources::iam::{ManagedPolicy, PolicyDocument, Principal, Role, Statement};
use crate::resources::kms::Key;
use crate::resources::stepfunctions::{
    EncryptionConfiguration, LogLevel, LoggingConfiguration, StateMachine, StateMachineType,
    TracingConfiguration,
};

use super::configuration::Configuration;
use super::migration::Replication;
use super::monitoring::Alarms;
use super::notification::Notification;
use super::stack::{Layer, Stack};
use super::storage::Storage;
use super::validation::Validation;

pub use migration::{MIGRATION_ASL_FILE, migration_state_machine_name};
pub use rollback::{ROLLBACK_ASL_FILE, rollback_state_machine_name};

pub struct Orchestration {
    pub migration: Handle<StateMachine>,
    pub rollback: Handle<StateMachine>,
}

/// What the workflows act on.
pub struct Resources<'a> {
    pub key: &'a Handle<Key>,
    pub configuration: &'a Configuration,
    pub replication: &'a Replication,
    pub storage: &'a Storage,
    pub notification: &'a Notification,
    pub validation: &'a Validation,
    pub alarms: &'a Alarms,
}

/// Parameter Store, S3 and SNS calls are idempotent here; retry what is transient (throttling, a 5xx).
pub(super) fn transient() -> Retrier {
    Retrier::new(vec![ErrorName::TaskFailed])
        .interval_seconds(1)
        .max_attempts(3)
        .backoff_rate(2.0)
}

/// Catches every error into `$.error` and goes to `state`.
pub(super) fn catch_all(state: &str) -> Catcher {
    Catcher::new(vec![ErrorName::All], state).result_path("$.error")
}

/// A task's status list: `$.ReplicationTasks[*].Status` is `["running"]`, `["stopped"]`, … or `[]`, never an
/// error, so the Choice after it reads a Boolean rather than an index that may not exist.
pub(super) fn statuses() -> serde_json::Value {
    json!({"Statuses.$": "$.ReplicationTasks[*].Status"})
}

/// `ResultPath: null` is not expressible as a path string; `$.discarded` keeps the input and drops the result
/// into one field that nothing reads.
pub(super) fn null_path() -> &'static str {
    "$.discarded"
}

/// Panics with every problem of a definition the layer built: these are programming errors, caught by the tests
/// of every spec, never by a user's input.
pub(super) fn built(
    name: &str,
    result: Result<Definition, Vec<crate::asl::AslError>>,
) -> Definition {
    result.unwrap_or_else(|errors| {
        let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
        panic!("the {name} workflow is invalid: {}", list.join("; "))
    })
}

pub fn build(stack: &mut Stack, resources: &Resources) -> Orchestration {
    let env = stack.env;
    let rollback_definition = rollback::definition(env, resources);
    let rollback = workflow(
        stack,
        resources.key,
        "rollback",
        &rollback_state_machine_name(env),
        &rollback_definition,
        ROLLBACK_ASL_FILE,
    );
    let migration_definition = migration::definition(env, resources, &rollback);
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

/// One workflow: its log group, execution role and policies, the state machine, and the standalone ASL
/// document beside the template.
fn workflow(
    stack: &mut Stack,
    key: &Handle<Key>,
    purpose: &str,
    name: &str,
    definition: &Definition,
    asl_file: &str,
) -> Handle<StateMachine> {
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
    let mut statements = definition.policy_statements();
    // The execution data is encrypted with the stack's key, as the execution role.
    statements.push(
        Statement::allow(
            "EncryptExecutionData",
            &["kms:Decrypt", "kms:GenerateDataKey"],
        )
        .resource(key.arn()),
    );
    let policy = stack.add(
        Layer::Orchestration,
        &format!("{purpose} policy"),
        ManagedPolicy::new(PolicyDocument::new(statements))
            .description(format!(
                "Exactly the calls of the {name} workflow, on its resources"
            ))
            .attach_to(role.role_name()),
    );
    let mut unscoped: Vec<Statement> = definition.unscoped_statement().into_iter().collect();
    unscoped.push(
        Statement::allow(
            "DeliverExecutionLogs",
            &[
                "logs:CreateLogDelivery",
                "logs:DeleteLogDelivery",
                "logs:DescribeLogGroups",
                "logs:DescribeResourcePolicies",
                "logs:GetLogDelivery",
                "logs:ListLogDeliveries",
                "logs:PutResourcePolicy",
                "logs:UpdateLogDelivery",
            ],
        )
        .resource("*"),
    );
    unscoped.push(
        Statement::allow(
            "SendTraces",
            &[
                "xray:GetSamplingRules",
                "xray:GetSamplingTargets",
                "xray:PutTelemetryRecords",
                "xray:PutTraceSegments",
            ],
        )
        .resource("*"),
    );
    let mut reasons: Vec<&str> = definition
        .unscoped_actions()
        .iter()
        .map(|a| a.reason)
        .collect();
    reasons.push(
        "CloudWatch Logs authorizes the log-delivery actions Step Functions logging needs only on all resources",
    );
    reasons.push(
        "X-Ray authorizes sending trace segments and reading sampling rules only on all resources",
    );
    let reason = reasons.join("; ");
    let unscoped_policy = stack.add_with(
        Layer::Orchestration,
        &format!("{purpose} unscoped policy"),
        ManagedPolicy::new(PolicyDocument::new(unscoped))
            .description(format!(
                "Actions of the {name} workflow that AWS authorizes only on *"
            ))
            .attach_to(role.role_name()),
        Attributes::new().suppress_guard_rule("MIGEN_IAM_NO_WILDCARD_ACTIONS", &reason),
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

    let state_machine = StateMachine::new(role.arn(), definition)
        .state_machine_name(Expr::lit(name))
        .state_machine_type(StateMachineType::Standard)
        // Execution data would put payment references into the log group; the history keeps them.
        .logging_configuration(LoggingConfiguration::new(
            LogLevel::All,
            false,
            log_group.arn(),
        ))
        .tracing_configuration(TracingConfiguration::enabled(true))
        .encryption_configuration(EncryptionConfiguration::customer_managed_key(key.arn()));
    let handle = stack.add_with(
        Layer::Orchestration,
        &format!("{purpose} state machine"),
        state_machine,
        Attributes::new()
            .depends_on(&log_group)
            .depends_on(&policy)
            .depends_on(&unscoped_policy),
    );
    stack.add_artifact(asl_file, definition.to_pretty_string());
    handle
}
