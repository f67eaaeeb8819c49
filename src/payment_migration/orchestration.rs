//! The orchestration layer: the Step Functions workflows that drive the migration. This file holds the
//! **rollback** workflow, `payment-migration-rollback-<env>`, which an operator (or an alarm's runbook) starts to
//! put every payment back on production:
//!
//! 1. read where the run was (`workflow/phase`, the traffic split, the cutover switch), then at once set the split
//!    to `0` and `enable-cutover` to `false`: within the authorizer's settings TTL every request goes to
//!    production, before anything slow happens;
//! 2. record `workflow/phase` = `rolling-back`, describe both DMS tasks, and save the rollback state (reason,
//!    phase, the values before the change, the tasks' statuses) to the rollback bucket under `rollback/`;
//! 3. stop the forward task if it is running;
//! 4. if the reverse task is running (a cutover happened, so writes made on the migration database flow back to
//!    production), let it drain for a fixed bake time, polling its status, then stop it;
//! 5. record `rolled-back` and tell the operations topic. Any failure is published and fails the execution.
//!
//! Running it again, or when nothing was started, does no harm: the writes set the same values, a task that is
//! not running is not stopped, and DMS's "not running" error on a stop (a task that stopped between the describe
//! and the stop) is taken as done.
//!
//! The drain is a fixed bake time, not a CDC-latency measurement: the authorizer reads the split at most
//! [`SETTINGS_TTL_SECONDS`] late, and the spec promises CDC latency under `migration.max_cdc_latency_seconds`, so
//! after `TTL + 2 × max latency` no write made on the migration database is still in flight. Measuring the
//! reverse task's `CDCLatencyTarget` would need a CloudWatch integration the workflow does not have yet.

use serde_json::json;

use crate::asl::integration::{
    dms_describe_replication_task, dms_stop_replication_task, s3_put_object, sns_publish,
    ssm_get_parameter, ssm_put_parameter,
};
use crate::asl::{
    Catcher, Choice, Condition, Definition, ErrorName, Fail, Input, Pass, Retrier,
    StateMachineDefinition, Succeed, Task, Wait,
};
use crate::cfn::{Attributes, Expr, Handle, LogicalId, Output};
use crate::resources::iam::{ManagedPolicy, PolicyDocument, Principal, Role, Statement};
use crate::resources::kms::Key;
use crate::resources::stepfunctions::{
    EncryptionConfiguration, LogLevel, LoggingConfiguration, StateMachine, StateMachineType,
    TracingConfiguration,
};
use crate::spec::Environment;

use super::api::SETTINGS_TTL_SECONDS;
use super::configuration::Configuration;
use super::migration::Replication;
use super::notification::Notification;
use super::stack::{Layer, Stack};
use super::storage::Storage;

/// The standalone ASL document of the rollback workflow, written beside the templates.
pub const ROLLBACK_ASL_FILE: &str = "rollback.asl.json";
/// Where in the rollback bucket the workflow saves what it found.
pub const ROLLBACK_STATE_PREFIX: &str = "rollback/";
/// Seconds between two looks at the reverse task while it drains.
pub const DRAIN_POLL_SECONDS: u32 = 30;

/// The DMS error for stopping a task that is not running: a rollback asked for that state anyway.
const NOT_RUNNING: &str = "DatabaseMigration.InvalidResourceStateFault";
/// The DMS error for a describe whose filter matches no task: nothing to stop.
const NO_SUCH_TASK: &str = "DatabaseMigration.ResourceNotFoundFault";
/// Where every caught failure goes.
const NOTIFY_FAILURE: &str = "NotifyRollbackFailed";

/// The state machine's physical name, `payment-migration-rollback-<env>`.
pub fn rollback_state_machine_name(env: &Environment) -> String {
    format!("{}-rollback-{}", super::stack::SYSTEM, env.name)
}

/// How long the reverse task drains before it is stopped: the authorizer's settings TTL plus twice the CDC
/// latency the spec allows, in whole polls (at least two).
pub fn drain_polls(env: &Environment) -> u32 {
    let bake = SETTINGS_TTL_SECONDS + 2 * env.migration.max_cdc_latency_seconds;
    bake.div_ceil(DRAIN_POLL_SECONDS).max(2)
}

pub struct Orchestration {
    pub rollback: Handle<StateMachine>,
}

/// Catch everything left over: publish the error, then fail.
fn on_failure() -> Catcher {
    Catcher::new(vec![ErrorName::All], NOTIFY_FAILURE).result_path("$.error")
}

/// Parameter Store, S3 and SNS calls are idempotent here; retry what is transient (throttling, a 5xx).
fn transient() -> Retrier {
    Retrier::new(vec![ErrorName::TaskFailed])
        .interval_seconds(1)
        .max_attempts(3)
        .backoff_rate(2.0)
}

/// A task's status list: `$.ReplicationTasks[*].Status` is `["running"]`, `["stopped"]`, … or `[]`, never an
/// error, so the Choice after it reads a Boolean rather than an index that may not exist.
fn statuses() -> serde_json::Value {
    json!({"Statuses.$": "$.ReplicationTasks[*].Status"})
}

/// The rollback workflow's definition.
pub fn rollback_definition(
    env: &Environment,
    key: &Handle<Key>,
    configuration: &Configuration,
    replication: &Replication,
    storage: &Storage,
    notification: &Notification,
) -> Definition {
    let topic = &notification.operations_topic;
    let polls = drain_polls(env);
    let drain_seconds = polls * DRAIN_POLL_SECONDS;
    let subject = format!("Payment migration {}: rollback", env.name);
    StateMachineDefinition::new("NormalizeInput")
        .comment(format!(
            "Rolls the {} payment migration back: traffic to production first, then the DMS tasks stopped \
             (the reverse task after a {drain_seconds} s drain), the state saved under {ROLLBACK_STATE_PREFIX} and \
             the phase rolled-back. Safe to run again.",
            env.name
        ))
        // The drain, plus a generous hour for the calls and their retries.
        .timeout_seconds(drain_seconds + 3600)
        .state(
            "NormalizeInput",
            Choice::new()
                .comment("The execution input's optional reason; \"manual\" when none is given")
                .when(Condition::is_present("$.reason", true), "KeepReason")
                .otherwise("DefaultReason"),
        )
        .state(
            "KeepReason",
            Pass::new()
                .parameters(json!({"reason.$": "$.reason"}))
                .next("ReadPhase"),
        )
        .state(
            "DefaultReason",
            Pass::new()
                .parameters(json!({"reason": "manual"}))
                .next("ReadPhase"),
        )
        .state(
            "ReadPhase",
            Task::new(ssm_get_parameter(&configuration.phase))
                .comment("Where the migration was when the rollback started")
                .result_selector(json!({"Value.$": "$.Parameter.Value"}))
                .result_path("$.before.phase")
                .retry(transient())
                .catch(on_failure())
                .next("ReadTrafficSplit"),
        )
        .state(
            "ReadTrafficSplit",
            Task::new(ssm_get_parameter(&configuration.traffic_split_percentage))
                .result_selector(json!({"Value.$": "$.Parameter.Value"}))
                .result_path("$.before.trafficSplitPercentage")
                .retry(transient())
                .catch(on_failure())
                .next("ReadEnableCutover"),
        )
        .state(
            "ReadEnableCutover",
            Task::new(ssm_get_parameter(&configuration.enable_cutover))
                .result_selector(json!({"Value.$": "$.Parameter.Value"}))
                .result_path("$.before.enableCutover")
                .retry(transient())
                .catch(on_failure())
                .next("RouteAllTrafficToProduction"),
        )
        .state(
            "RouteAllTrafficToProduction",
            Task::new(ssm_put_parameter(
                &configuration.traffic_split_percentage,
                Input::text("0"),
            ))
            .comment("First: the authorizer sends every request to production within its settings TTL")
            .result_path(null_path())
            .retry(transient())
            .catch(on_failure())
            .next("DisableCutover"),
        )
        .state(
            "DisableCutover",
            Task::new(ssm_put_parameter(
                &configuration.enable_cutover,
                Input::text("false"),
            ))
            .result_path(null_path())
            .retry(transient())
            .catch(on_failure())
            .next("RecordRollingBack"),
        )
        .state(
            "RecordRollingBack",
            Task::new(ssm_put_parameter(
                &configuration.phase,
                Input::text("rolling-back"),
            ))
            .result_path(null_path())
            .retry(transient())
            .catch(on_failure())
            .next("DescribeForwardTask"),
        )
        .state(
            "DescribeForwardTask",
            Task::new(dms_describe_replication_task(&replication.forward_task))
                .result_selector(statuses())
                .result_path("$.forward")
                .catch(
                    Catcher::new(vec![ErrorName::custom(NO_SUCH_TASK)], "ForwardTaskAbsent")
                        .result_path(null_path()),
                )
                .catch(on_failure())
                .next("DescribeReverseTask"),
        )
        .state(
            "ForwardTaskAbsent",
            Pass::new()
                .result(json!({"Statuses": []}))
                .result_path("$.forward")
                .next("DescribeReverseTask"),
        )
        .state(
            "DescribeReverseTask",
            Task::new(dms_describe_replication_task(&replication.reverse_task))
                .result_selector(statuses())
                .result_path("$.reverse")
                .catch(
                    Catcher::new(vec![ErrorName::custom(NO_SUCH_TASK)], "ReverseTaskAbsent")
                        .result_path(null_path()),
                )
                .catch(on_failure())
                .next("AssembleRollbackState"),
        )
        .state(
            "ReverseTaskAbsent",
            Pass::new()
                .result(json!({"Statuses": []}))
                .result_path("$.reverse")
                .next("AssembleRollbackState"),
        )
        .state(
            "AssembleRollbackState",
            Pass::new()
                .comment("What the rollback found, before it changed anything")
                .parameters(json!({
                    "environment": env.name,
                    "execution.$": "$$.Execution.Id",
                    "reason.$": "$.reason",
                    "phase.$": "$.before.phase.Value",
                    "trafficSplitPercentage.$": "$.before.trafficSplitPercentage.Value",
                    "enableCutover.$": "$.before.enableCutover.Value",
                    "forwardTaskStatus.$": "$.forward.Statuses",
                    "reverseTaskStatus.$": "$.reverse.Statuses",
                }))
                .result_path("$.state")
                .next("SaveRollbackState"),
        )
        .state(
            "SaveRollbackState",
            Task::new(
                s3_put_object(
                    &storage.rollback_state,
                    ROLLBACK_STATE_PREFIX,
                    Input::path("$$.Execution.Name"),
                    Input::path("States.JsonToString($.state)"),
                )
                .encrypted_with(key),
            )
            .result_path(null_path())
            .retry(transient())
            .catch(on_failure())
            .next("CheckForwardTask"),
        )
        .state(
            "CheckForwardTask",
            Pass::new()
                .parameters(json!({
                    "Statuses.$": "$.forward.Statuses",
                    "Running.$": "States.ArrayContains($.forward.Statuses, 'running')",
                }))
                .result_path("$.forward")
                .next("IsForwardTaskRunning"),
        )
        .state(
            "IsForwardTaskRunning",
            Choice::new()
                .comment("Stop only a running task; stopped, ready, failed or absent needs nothing")
                .when(
                    Condition::boolean_equals("$.forward.Running", true),
                    "StopForwardTask",
                )
                .otherwise("CheckReverseTask"),
        )
        .state(
            "StopForwardTask",
            Task::new(dms_stop_replication_task(&replication.forward_task))
                .result_path(null_path())
                .catch(
                    Catcher::new(vec![ErrorName::custom(NOT_RUNNING)], "CheckReverseTask")
                        .result_path(null_path()),
                )
                .catch(on_failure())
                .next("CheckReverseTask"),
        )
        .state(
            "CheckReverseTask",
            Pass::new()
                .parameters(json!({
                    "Statuses.$": "$.reverse.Statuses",
                    "Running.$": "States.ArrayContains($.reverse.Statuses, 'running')",
                }))
                .result_path("$.reverse")
                .next("IsReverseTaskRunning"),
        )
        .state(
            "IsReverseTaskRunning",
            Choice::new()
                .comment(
                    "A running reverse task means a cutover happened: writes made on the migration database \
                     still flow back to production, so let it drain before stopping it",
                )
                .when(
                    Condition::boolean_equals("$.reverse.Running", true),
                    "StartDrain",
                )
                .otherwise("RecordRolledBack"),
        )
        .state(
            "StartDrain",
            Pass::new()
                .result(json!({"Polls": 0}))
                .result_path("$.drain")
                .next("WaitForDrain"),
        )
        .state(
            "WaitForDrain",
            Wait::seconds(DRAIN_POLL_SECONDS).next("DescribeDrainingReverseTask"),
        )
        .state(
            "DescribeDrainingReverseTask",
            Task::new(dms_describe_replication_task(&replication.reverse_task))
                .result_selector(statuses())
                .result_path("$.reverse")
                .catch(
                    Catcher::new(vec![ErrorName::custom(NO_SUCH_TASK)], "RecordRolledBack")
                        .result_path(null_path()),
                )
                .catch(on_failure())
                .next("CountDrainPoll"),
        )
        .state(
            "CountDrainPoll",
            Pass::new()
                .parameters(json!({
                    "Polls.$": "States.MathAdd($.drain.Polls, 1)",
                    "Running.$": "States.ArrayContains($.reverse.Statuses, 'running')",
                }))
                .result_path("$.drain")
                .next("IsDrainOver"),
        )
        .state(
            "IsDrainOver",
            Choice::new()
                .comment(format!(
                    "{polls} polls of {DRAIN_POLL_SECONDS} s: the settings TTL ({SETTINGS_TTL_SECONDS} s) plus \
                     twice the spec's maximum CDC latency ({} s)",
                    env.migration.max_cdc_latency_seconds
                ))
                .when(
                    Condition::boolean_equals("$.drain.Running", false),
                    "RecordRolledBack",
                )
                .when(
                    Condition::numeric_less_than("$.drain.Polls", polls),
                    "WaitForDrain",
                )
                .otherwise("StopReverseTask"),
        )
        .state(
            "StopReverseTask",
            Task::new(dms_stop_replication_task(&replication.reverse_task))
                .result_path(null_path())
                .catch(
                    Catcher::new(vec![ErrorName::custom(NOT_RUNNING)], "RecordRolledBack")
                        .result_path(null_path()),
                )
                .catch(on_failure())
                .next("RecordRolledBack"),
        )
        .state(
            "RecordRolledBack",
            Task::new(ssm_put_parameter(
                &configuration.phase,
                Input::text("rolled-back"),
            ))
            .result_path(null_path())
            .retry(transient())
            .catch(on_failure())
            .next("NotifyRolledBack"),
        )
        .state(
            "NotifyRolledBack",
            Task::new(
                sns_publish(
                    topic,
                    Input::json(json!({
                        "event": "rolled-back",
                        "environment": env.name,
                        "execution.$": "$$.Execution.Id",
                        "reason.$": "$.reason",
                        "before.$": "$.state",
                    })),
                )
                .encrypted_with(key),
            )
            .parameter("Subject", json!(subject))
            .result_path(null_path())
            .retry(transient())
            .catch(
                Catcher::new(vec![ErrorName::All], "RolledBackUnannounced")
                    .result_path("$.error"),
            )
            .next("RolledBack"),
        )
        .state("RolledBack", Succeed::new())
        .state(
            "RolledBackUnannounced",
            Fail::new()
                .comment("The rollback is done, but the operations topic was not told")
                .error("Rollback.NotificationFailed")
                .cause("Traffic is on production and the phase is rolled-back; publishing to the topic failed"),
        )
        .state(
            NOTIFY_FAILURE,
            Task::new(
                sns_publish(
                    topic,
                    Input::json(json!({
                        "event": "rollback-failed",
                        "environment": env.name,
                        "execution.$": "$$.Execution.Id",
                        "error.$": "$.error",
                    })),
                )
                .encrypted_with(key),
            )
            .parameter("Subject", json!(format!("{subject} FAILED")))
            .result_path(null_path())
            .retry(transient())
            .catch(Catcher::new(vec![ErrorName::All], "RollbackFailed").result_path("$.notifyError"))
            .next("RollbackFailed"),
        )
        .state(
            "RollbackFailed",
            Fail::new()
                .error("Rollback.Failed")
                .cause("A step of the rollback failed; the error was published to the operations topic"),
        )
        .build()
        .unwrap_or_else(|errors| {
            let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
            panic!("the rollback workflow is invalid: {}", list.join("; "))
        })
}

/// `ResultPath: null` is not expressible as a path string; `$.discarded` keeps the input and drops the result
/// into one field that nothing reads.
fn null_path() -> &'static str {
    "$.discarded"
}

pub fn build(
    stack: &mut Stack,
    key: &Handle<Key>,
    configuration: &Configuration,
    replication: &Replication,
    storage: &Storage,
    notification: &Notification,
) -> Orchestration {
    let env = stack.env;
    let definition =
        rollback_definition(env, key, configuration, replication, storage, notification);
    let name = rollback_state_machine_name(env);

    // Step Functions writes through CloudWatch Logs' vended-log delivery; AWS advises names under
    // /aws/vendedlogs/ so the account's log resource policy does not grow with every state machine.
    let log_group = stack.service_log_group(
        Layer::Orchestration,
        "rollback log group",
        &format!("/aws/vendedlogs/states/{name}"),
        key,
    );

    let role = stack.add(
        Layer::Orchestration,
        "rollback role",
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
        "rollback policy",
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
        "rollback unscoped policy",
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

    let state_machine = StateMachine::new(role.arn(), &definition)
        .state_machine_name(Expr::lit(&name))
        .state_machine_type(StateMachineType::Standard)
        // Execution data would put payment references into the log group; the history keeps them.
        .logging_configuration(LoggingConfiguration::new(
            LogLevel::All,
            false,
            log_group.arn(),
        ))
        .tracing_configuration(TracingConfiguration::enabled(true))
        .encryption_configuration(EncryptionConfiguration::customer_managed_key(key.arn()));
    let rollback = stack.add_with(
        Layer::Orchestration,
        "rollback state machine",
        state_machine,
        Attributes::new()
            .depends_on(&log_group)
            .depends_on(&policy)
            .depends_on(&unscoped_policy),
    );
    stack.add_artifact(ROLLBACK_ASL_FILE, definition.to_pretty_string());
    stack.template.output(
        LogicalId::verbatim("RollbackStateMachineArn"),
        Output::new(
            "Rollback workflow (rollback_state_machine_arn)",
            rollback.state_machine_arn(),
        ),
    );
    Orchestration { rollback }
}
