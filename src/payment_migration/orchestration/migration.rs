//! The **migration** workflow, `payment-migration-migration-<env>`, started as the original runbook does
//! (`aws stepfunctions start-execution --state-machine-arn … --input '{}'`): its input is ignored, and every
//! setting comes from the definition (the spec's pace and bounds) or Parameter Store.
//!
//! Phases, each announced the same way (`workflow/phase` written, the workflow's state saved to the checkpoints
//! bucket as `checkpoints/<execution>/<phase>.json`, the operations topic told):
//!
//! 1. `preparing`: test the forward task's source and target endpoint connections (bounded polls);
//! 2. `full-load`: start the forward task (`start-replication` when it never ran, `resume-processing` when it is
//!    stopped or failed, nothing when it already runs) and poll until the full load is complete and CDC runs;
//! 3. `cdc`: wait until the forward CDC-latency gate is OK (latency under `migration.max_cdc_latency_seconds`);
//! 4. `validating`: invoke the validation function; `consistent` goes on, `inconsistent` rolls back, `not-ready`
//!    waits and asks again, bounded;
//! 5. `awaiting-approval`: publish an approval request with a task token to the operations topic and wait for an
//!    operator's `send-task-success` or `send-task-failure --error Approval.Rejected`; a rejection or the
//!    timeout ends the run as `cutover-declined`, traffic untouched;
//! 6. `cutover`: set `enable-cutover`, start the reverse task (so every write made on the migration side flows
//!    back to production, and a later rollback loses none), then set the traffic split to each of the spec's
//!    steps, checkpointed as `traffic-<percent>.json`; each bakes for `orchestration.bake_minutes` while the
//!    migration-health composite alarm is read every minute: anything but OK rolls back;
//! 7. `complete`.
//!
//! Every failure (a caught error, a bound reached, a verdict, an alarm) is recorded in `$.error`, saved as
//! `checkpoints/<execution>/failed.json`, and the rollback workflow is started with it as the reason; the
//! migration waits for the rollback and then fails with `Migration.RolledBack`.

use serde_json::{Value, json};

use crate::asl::integration::{
    StartReplicationTaskType, cloudwatch_describe_alarm, cloudwatch_describe_composite_alarm,
    dms_describe_connections, dms_describe_replication_task, dms_start_replication_task,
    dms_test_connection, lambda_invoke_with, s3_put_object_formatted, sfn_start_execution_sync,
    sns_publish, sns_publish_wait_for_task_token, ssm_put_parameter,
};
use crate::asl::{
    Catcher, Choice, Condition, Definition, ErrorName, Fail, Input, Pass, StateMachineDefinition,
    Succeed, Task, Wait,
};
use crate::cfn::Handle;
use crate::resources::dms::ReplicationTask;
use crate::resources::stepfunctions::StateMachine;
use crate::spec::Environment;

use super::{Resources, built, catch_all, null_path, statuses, transient};

/// The standalone ASL document of the migration workflow, written beside the templates.
pub const MIGRATION_ASL_FILE: &str = "migration.asl.json";
/// Where in the checkpoints bucket the workflow saves its state at each phase.
pub const CHECKPOINT_PREFIX: &str = "checkpoints/";
/// The error an operator gives `send-task-failure` to reject the cutover.
pub const APPROVAL_REJECTED: &str = "Approval.Rejected";

/// Seconds between two looks at the endpoint connection tests, and how many looks.
pub const CONNECTION_POLL_SECONDS: u32 = 30;
pub const CONNECTION_MAX_POLLS: u32 = 10;
/// Seconds between two looks at the full load.
pub const FULL_LOAD_POLL_SECONDS: u32 = 300;
/// Seconds between two looks at the CDC-latency gate, and at the health alarm while a step bakes.
pub const GATE_POLL_SECONDS: u32 = 60;
/// Seconds between two validations that answered `not-ready`.
pub const VALIDATION_RETRY_SECONDS: u32 = 300;

/// Where every failure goes: it records the error and starts the rollback.
const FAILED: &str = "SaveFailure";

/// The state machine's physical name, `payment-migration-migration-<env>`.
pub fn migration_state_machine_name(env: &Environment) -> String {
    format!("{}-migration-{}", super::super::stack::SYSTEM, env.name)
}

/// Polls the full load may take.
pub fn full_load_max_polls(env: &Environment) -> u32 {
    (env.orchestration.full_load_timeout_hours * 3600).div_ceil(FULL_LOAD_POLL_SECONDS)
}

/// Polls CDC may take to catch up.
pub fn cdc_max_polls(env: &Environment) -> u32 {
    (env.orchestration.cdc_catch_up_minutes * 60).div_ceil(GATE_POLL_SECONDS)
}

/// Validations that may answer `not-ready`.
pub fn validation_max_attempts(env: &Environment) -> u32 {
    (env.orchestration.validation_timeout_minutes * 60).div_ceil(VALIDATION_RETRY_SECONDS)
}

/// A failure the workflow decides on (a bound, a verdict, an alarm): sets `$.error` like a caught error.
fn failure(error: &str, cause: impl Into<String>) -> Pass {
    Pass::new()
        .result(json!({"Error": error, "Cause": cause.into()}))
        .result_path("$.error")
        .next(FAILED)
}

/// The three states that announce a phase: `Record<Name>` writes `workflow/phase`, `Checkpoint<Name>` saves the
/// workflow's state, `Notify<Name>` tells the operations topic; then `next`.
fn phase(
    definition: StateMachineDefinition,
    resources: &Resources,
    env: &Environment,
    name: &str,
    phase: &str,
    next: &str,
) -> StateMachineDefinition {
    let record = format!("Record{name}");
    let checkpoint = format!("Checkpoint{name}");
    let notify = format!("Notify{name}");
    definition
        .state(
            record,
            Task::new(ssm_put_parameter(
                &resources.configuration.phase,
                Input::text(phase),
            ))
            .result_selector(json!({"Name": phase}))
            .result_path("$.phase")
            .retry(transient())
            .catch(catch_all(FAILED))
            .next(checkpoint.clone()),
        )
        .state(
            checkpoint,
            Task::new(
                s3_put_object_formatted(
                    &resources.storage.checkpoints,
                    CHECKPOINT_PREFIX,
                    &format!("{{}}/{phase}.json"),
                    &["$$.Execution.Name"],
                    Input::path("States.JsonToString($)"),
                )
                .encrypted_with(resources.key),
            )
            .result_path(null_path())
            .retry(transient())
            .catch(catch_all(FAILED))
            .next(notify.clone()),
        )
        .state(
            notify,
            Task::new(
                sns_publish(
                    &resources.notification.operations_topic,
                    Input::json(json!({
                        "event": "phase",
                        "phase": phase,
                        "environment": env.name,
                        "execution.$": "$$.Execution.Id",
                    })),
                )
                .encrypted_with(resources.key),
            )
            .parameter(
                "Subject",
                json!(format!("Payment migration {}: {phase}", env.name)),
            )
            .result_path(null_path())
            .retry(transient())
            .catch(catch_all(FAILED))
            .next(next),
        )
}

/// Starts `task` the way its status allows: `start-replication` on a task that never ran (`ready`),
/// `resume-processing` on one that stopped or failed, nothing on one that runs or is starting; any other status
/// (creating, modifying, stopping, deleting…) is a failure. States are named `<Prefix>…`; then `next`.
fn start_task(
    definition: StateMachineDefinition,
    prefix: &str,
    task: &Handle<ReplicationTask>,
    next: &str,
) -> StateMachineDefinition {
    let describe = format!("Describe{prefix}BeforeStart");
    let decide = format!("HowToStart{prefix}");
    let start = format!("Start{prefix}");
    let resume = format!("Resume{prefix}");
    let not_startable = format!("{prefix}NotStartable");
    let status =
        |s: &str| Condition::string_equals(format!("$.start{prefix}.Statuses[0]"), s.to_string());
    definition
        .state(
            describe.clone(),
            Task::new(dms_describe_replication_task(task))
                .result_selector(statuses())
                .result_path(format!("$.start{prefix}"))
                .retry(transient())
                .catch(catch_all(FAILED))
                .next(decide.clone()),
        )
        .state(
            decide,
            Choice::new()
                .comment("start-replication is valid only on a task's first run")
                .when(
                    Condition::is_present(format!("$.start{prefix}.Statuses[0]"), false),
                    not_startable.clone(),
                )
                .when(status("ready"), start.clone())
                .when(
                    Condition::or(vec![status("stopped"), status("failed")]),
                    resume.clone(),
                )
                .when(
                    Condition::or(vec![status("running"), status("starting")]),
                    next.to_string(),
                )
                .otherwise(not_startable.clone()),
        )
        .state(
            start,
            Task::new(dms_start_replication_task(
                task,
                StartReplicationTaskType::StartReplication,
            ))
            .result_path(null_path())
            .catch(catch_all(FAILED))
            .next(next.to_string()),
        )
        .state(
            resume,
            Task::new(dms_start_replication_task(
                task,
                StartReplicationTaskType::ResumeProcessing,
            ))
            .result_path(null_path())
            .catch(catch_all(FAILED))
            .next(next.to_string()),
        )
        .state(
            not_startable,
            failure(
                "Migration.TaskNotStartable",
                format!(
                    "The {prefix} is absent, or neither ready, stopped, failed nor running (it is being created, \
                     modified, stopped or deleted); run the migration again once it settles"
                ),
            ),
        )
}

/// The migration workflow's definition; failures start `rollback`.
pub fn definition(
    env: &Environment,
    resources: &Resources,
    rollback: &Handle<StateMachine>,
) -> Definition {
    let Resources {
        key,
        configuration,
        replication,
        notification,
        validation,
        alarms,
        ..
    } = resources;
    let key = *key;
    let topic = &notification.operations_topic;
    let orchestration = &env.orchestration;
    let steps: Vec<Value> = orchestration
        .traffic_steps
        .iter()
        .map(|p| json!(p.to_string()))
        .collect();
    let bake_polls = orchestration.bake_minutes * 60 / GATE_POLL_SECONDS;
    let approval_seconds = orchestration.approval_timeout_hours * 3600;
    let subject = format!("Payment migration {}", env.name);
    let rollback_name = super::rollback_state_machine_name(env);

    let mut d = StateMachineDefinition::new("Initialize")
        .comment(format!(
            "Migrates the {} payment database: preparation, full load, CDC catch-up, validation, approval, \
             cutover in steps of {:?} % with {} min bakes under the migration-health alarm. Any failure starts \
             {rollback_name}. Start it with --input '{{}}': the input is not read.",
            env.name, orchestration.traffic_steps, orchestration.bake_minutes
        ))
        .state(
            "Initialize",
            Pass::new()
                .comment("The input is ignored: every setting comes from the definition or Parameter Store")
                .parameters(json!({
                    "environment": env.name,
                    "execution.$": "$$.Execution.Id",
                }))
                .next("RecordPreparing"),
        );

    // 1. Preparation: both endpoints of the forward task must connect.
    d = phase(
        d,
        resources,
        env,
        "Preparing",
        "preparing",
        "TestSourceConnection",
    );
    for (name, endpoint, next) in [
        (
            "Source",
            &replication.forward_source,
            "TestTargetConnection",
        ),
        (
            "Target",
            &replication.forward_target,
            "StartConnectionPolls",
        ),
    ] {
        d = d.state(
            format!("Test{name}Connection"),
            Task::new(dms_test_connection(&replication.instance, endpoint))
                .result_path(null_path())
                .retry(transient())
                .catch(catch_all(FAILED))
                .next(next),
        );
    }
    d = d
        .state(
            "StartConnectionPolls",
            Pass::new()
                .result(json!({"Polls": 0}))
                .result_path("$.connections")
                .next("WaitForConnectionTests"),
        )
        .state(
            "WaitForConnectionTests",
            Wait::seconds(CONNECTION_POLL_SECONDS).next("DescribeSourceConnection"),
        )
        .state(
            "DescribeSourceConnection",
            Task::new(dms_describe_connections(&replication.forward_source))
                .result_selector(json!({"Statuses.$": "$.Connections[*].Status"}))
                .result_path("$.sourceConnection")
                .retry(transient())
                .catch(catch_all(FAILED))
                .next("DescribeTargetConnection"),
        )
        .state(
            "DescribeTargetConnection",
            Task::new(dms_describe_connections(&replication.forward_target))
                .result_selector(json!({"Statuses.$": "$.Connections[*].Status"}))
                .result_path("$.targetConnection")
                .retry(transient())
                .catch(catch_all(FAILED))
                .next("CountConnectionPoll"),
        )
        .state(
            "CountConnectionPoll",
            Pass::new()
                .parameters(json!({
                    "Polls.$": "States.MathAdd($.connections.Polls, 1)",
                    "SourceConnected.$": "States.ArrayContains($.sourceConnection.Statuses, 'successful')",
                    "TargetConnected.$": "States.ArrayContains($.targetConnection.Statuses, 'successful')",
                    "SourceFailed.$": "States.ArrayContains($.sourceConnection.Statuses, 'failed')",
                    "TargetFailed.$": "States.ArrayContains($.targetConnection.Statuses, 'failed')",
                }))
                .result_path("$.connections")
                .next("AreEndpointsConnected"),
        )
        .state(
            "AreEndpointsConnected",
            Choice::new()
                .when(
                    Condition::and(vec![
                        Condition::boolean_equals("$.connections.SourceConnected", true),
                        Condition::boolean_equals("$.connections.TargetConnected", true),
                    ]),
                    "RecordFullLoad",
                )
                .when(
                    Condition::or(vec![
                        Condition::boolean_equals("$.connections.SourceFailed", true),
                        Condition::boolean_equals("$.connections.TargetFailed", true),
                    ]),
                    "ConnectionFailed",
                )
                .when(
                    Condition::numeric_less_than("$.connections.Polls", CONNECTION_MAX_POLLS),
                    "WaitForConnectionTests",
                )
                .otherwise("ConnectionTestTimedOut"),
        )
        .state(
            "ConnectionFailed",
            failure(
                "Migration.ConnectionFailed",
                "DMS could not connect to the source or the target endpoint: see the endpoint's connection \
                 test in the DMS console (security groups, the secret's host and port, TLS)",
            ),
        )
        .state(
            "ConnectionTestTimedOut",
            failure(
                "Migration.ConnectionTestTimedOut",
                format!(
                    "The endpoint connection tests did not finish within {} s",
                    CONNECTION_POLL_SECONDS * CONNECTION_MAX_POLLS
                ),
            ),
        );

    // 2. Replication: start the forward task, then wait for the full load.
    d = phase(
        d,
        resources,
        env,
        "FullLoad",
        "full-load",
        "DescribeForwardTaskBeforeStart",
    );
    d = start_task(
        d,
        "ForwardTask",
        &replication.forward_task,
        "StartFullLoadPolls",
    );
    let full_load_polls = full_load_max_polls(env);
    d = d
        .state(
            "StartFullLoadPolls",
            Pass::new()
                .result(json!({"Polls": 0}))
                .result_path("$.fullLoad")
                .next("WaitForFullLoad"),
        )
        .state(
            "WaitForFullLoad",
            Wait::seconds(FULL_LOAD_POLL_SECONDS).next("DescribeFullLoad"),
        )
        .state(
            "DescribeFullLoad",
            Task::new(dms_describe_replication_task(&replication.forward_task))
                .result_selector(json!({
                    "Statuses.$": "$.ReplicationTasks[*].Status",
                    "Progress.$": "$.ReplicationTasks[*].ReplicationTaskStats.FullLoadProgressPercent",
                }))
                .result_path("$.forward")
                .retry(transient())
                .catch(catch_all(FAILED))
                .next("CountFullLoadPoll"),
        )
        .state(
            "CountFullLoadPoll",
            Pass::new()
                .parameters(json!({
                    "Polls.$": "States.MathAdd($.fullLoad.Polls, 1)",
                    "Running.$": "States.ArrayContains($.forward.Statuses, 'running')",
                    "Loaded.$": "States.ArrayContains($.forward.Progress, 100)",
                    "Failed.$": "States.ArrayContains($.forward.Statuses, 'failed')",
                    "Stopped.$": "States.ArrayContains($.forward.Statuses, 'stopped')",
                }))
                .result_path("$.fullLoad")
                .next("IsFullLoadComplete"),
        )
        .state(
            "IsFullLoadComplete",
            Choice::new()
                .comment("Full load complete and CDC running: the task runs with 100 % loaded")
                .when(
                    Condition::and(vec![
                        Condition::boolean_equals("$.fullLoad.Running", true),
                        Condition::boolean_equals("$.fullLoad.Loaded", true),
                    ]),
                    "RecordCdc",
                )
                .when(
                    Condition::or(vec![
                        Condition::boolean_equals("$.fullLoad.Failed", true),
                        Condition::boolean_equals("$.fullLoad.Stopped", true),
                    ]),
                    "ForwardTaskStopped",
                )
                .when(
                    Condition::numeric_less_than("$.fullLoad.Polls", full_load_polls),
                    "WaitForFullLoad",
                )
                .otherwise("FullLoadTimedOut"),
        )
        .state(
            "ForwardTaskStopped",
            failure(
                "Migration.ForwardTaskStopped",
                "The forward task stopped or failed during the full load: see its last failure message in the \
                 DMS console and its CloudWatch log group",
            ),
        )
        .state(
            "FullLoadTimedOut",
            failure(
                "Migration.FullLoadTimedOut",
                format!(
                    "The full load did not complete within {} h (orchestration.full_load_timeout_hours)",
                    orchestration.full_load_timeout_hours
                ),
            ),
        );

    // 3. CDC catch-up.
    let cdc_polls = cdc_max_polls(env);
    d = phase(d, resources, env, "Cdc", "cdc", "StartCdcPolls");
    d = d
        .state(
            "StartCdcPolls",
            Pass::new()
                .result(json!({"Polls": 0}))
                .result_path("$.cdc")
                .next("DescribeCdcLatencyGate"),
        )
        .state(
            "DescribeCdcLatencyGate",
            Task::new(cloudwatch_describe_alarm(&alarms.forward_cdc_latency))
                .comment("OK once the forward task's CDC latency has stayed under the spec's maximum for the gate's window")
                .result_selector(json!({"States.$": "$.MetricAlarms[*].StateValue"}))
                .result_path("$.gate")
                .retry(transient())
                .catch(catch_all(FAILED))
                .next("CountCdcPoll"),
        )
        .state(
            "CountCdcPoll",
            Pass::new()
                .parameters(json!({
                    "Polls.$": "States.MathAdd($.cdc.Polls, 1)",
                    "CaughtUp.$": "States.ArrayContains($.gate.States, 'OK')",
                }))
                .result_path("$.cdc")
                .next("IsCdcCaughtUp"),
        )
        .state(
            "IsCdcCaughtUp",
            Choice::new()
                .when(
                    Condition::boolean_equals("$.cdc.CaughtUp", true),
                    "RecordValidating",
                )
                .when(
                    Condition::numeric_less_than("$.cdc.Polls", cdc_polls),
                    "WaitForCdc",
                )
                .otherwise("CdcTimedOut"),
        )
        .state(
            "WaitForCdc",
            Wait::seconds(GATE_POLL_SECONDS).next("DescribeCdcLatencyGate"),
        )
        .state(
            "CdcTimedOut",
            failure(
                "Migration.CdcTimedOut",
                format!(
                    "CDC latency did not stay under {} s within {} min (orchestration.cdc_catch_up_minutes)",
                    env.migration.max_cdc_latency_seconds, orchestration.cdc_catch_up_minutes
                ),
            ),
        );

    // 4. Validation.
    let attempts = validation_max_attempts(env);
    d = phase(
        d,
        resources,
        env,
        "Validating",
        "validating",
        "StartValidation",
    );
    d = d
        .state(
            "StartValidation",
            Pass::new()
                .result(json!({"Attempts": 0}))
                .result_path("$.validationAttempts")
                .next("Validate"),
        )
        .state(
            "Validate",
            Task::new(lambda_invoke_with(
                &validation.function,
                Input::json(json!({"execution.$": "$$.Execution.Id"})),
            ))
            .with_lambda_retry()
            .result_selector(json!({"Verdict.$": "$.Payload.verdict"}))
            .result_path("$.validation")
            .catch(catch_all(FAILED))
            .next("CountValidation"),
        )
        .state(
            "CountValidation",
            Pass::new()
                .parameters(json!({"Attempts.$": "States.MathAdd($.validationAttempts.Attempts, 1)"}))
                .result_path("$.validationAttempts")
                .next("ValidationVerdict"),
        )
        .state(
            "ValidationVerdict",
            Choice::new()
                .when(
                    Condition::string_equals("$.validation.Verdict", "consistent"),
                    "RecordAwaitingApproval",
                )
                .when(
                    Condition::string_equals("$.validation.Verdict", "inconsistent"),
                    "DataInconsistent",
                )
                .when(
                    Condition::and(vec![
                        Condition::string_equals("$.validation.Verdict", "not-ready"),
                        Condition::numeric_less_than("$.validationAttempts.Attempts", attempts),
                    ]),
                    "WaitBeforeRevalidating",
                )
                .when(
                    Condition::string_equals("$.validation.Verdict", "not-ready"),
                    "ValidationTimedOut",
                )
                .otherwise("UnknownVerdict"),
        )
        .state(
            "WaitBeforeRevalidating",
            Wait::seconds(VALIDATION_RETRY_SECONDS).next("Validate"),
        )
        .state(
            "DataInconsistent",
            failure(
                "Migration.DataInconsistent",
                "The validation found source and target disagreeing: see its report under validation/ in the \
                 checkpoints bucket",
            ),
        )
        .state(
            "ValidationTimedOut",
            failure(
                "Migration.ValidationTimedOut",
                format!(
                    "The validation still answered not-ready after {} min (orchestration.validation_timeout_minutes)",
                    orchestration.validation_timeout_minutes
                ),
            ),
        )
        .state(
            "UnknownVerdict",
            failure(
                "Migration.UnknownVerdict",
                "The validation function answered neither consistent, inconsistent nor not-ready",
            ),
        );

    // 5. Approval.
    d = phase(
        d,
        resources,
        env,
        "AwaitingApproval",
        "awaiting-approval",
        "RequestApproval",
    );
    d = d
        .state(
            "RequestApproval",
            Task::new(
                sns_publish_wait_for_task_token(
                    topic,
                    json!({
                        "event": "approval-requested",
                        "environment": env.name,
                        "execution.$": "$$.Execution.Id",
                        "validation.$": "$.validation",
                        "approve": "aws stepfunctions send-task-success --task-token TOKEN --task-output '{\"approvedBy\":\"NAME\"}'",
                        "reject": format!("aws stepfunctions send-task-failure --task-token TOKEN --error {APPROVAL_REJECTED} --cause 'WHY'"),
                        "expiresInHours": orchestration.approval_timeout_hours,
                    }),
                )
                .encrypted_with(key),
            )
            .comment("An operator answers with the TaskToken of the message; without an answer the run ends")
            .parameter(
                "Subject",
                json!(format!("{subject}: approve the cutover?")),
            )
            .timeout_seconds(approval_seconds)
            .result_path("$.approval")
            .catch(
                Catcher::new(
                    vec![ErrorName::custom(APPROVAL_REJECTED)],
                    "RecordCutoverDeclined",
                )
                .result_path("$.declined"),
            )
            .catch(
                Catcher::new(vec![ErrorName::Timeout], "RecordCutoverDeclined")
                    .result_path("$.declined"),
            )
            .catch(catch_all(FAILED))
            .next("RecordCutover"),
        );
    d = phase(
        d,
        resources,
        env,
        "CutoverDeclined",
        "cutover-declined",
        "CutoverDeclined",
    );
    d = d.state(
        "CutoverDeclined",
        Succeed::new().comment(
            "Rejected or not answered in time: traffic stays on production, replication runs",
        ),
    );

    // 6. Cutover and the traffic shift.
    d = phase(d, resources, env, "Cutover", "cutover", "EnableCutover");
    d = d.state(
        "EnableCutover",
        Task::new(ssm_put_parameter(
            &configuration.enable_cutover,
            Input::text("true"),
        ))
        .result_path(null_path())
        .retry(transient())
        .catch(catch_all(FAILED))
        .next("DescribeReverseTaskBeforeStart"),
    );
    d = start_task(
        d,
        "ReverseTask",
        &replication.reverse_task,
        "StartTrafficShift",
    );
    d = d
        .state(
            "StartTrafficShift",
            Pass::new()
                .comment("The spec's traffic steps, in percent")
                .result(json!({"Steps": steps, "Index": 0}))
                .result_path("$.traffic")
                .next("CountTrafficSteps"),
        )
        .state(
            "CountTrafficSteps",
            Pass::new()
                .parameters(json!({
                    "Steps.$": "$.traffic.Steps",
                    "Index.$": "$.traffic.Index",
                    "Count.$": "States.ArrayLength($.traffic.Steps)",
                    "Percent.$": "States.ArrayGetItem($.traffic.Steps, $.traffic.Index)",
                }))
                .result_path("$.traffic")
                .next("SetTrafficSplit"),
        )
        .state(
            "SetTrafficSplit",
            Task::new(ssm_put_parameter(
                &configuration.traffic_split_percentage,
                Input::path("$.traffic.Percent"),
            ))
            .result_path(null_path())
            .retry(transient())
            .catch(catch_all(FAILED))
            .next("CheckpointTrafficStep"),
        )
        .state(
            "CheckpointTrafficStep",
            Task::new(
                s3_put_object_formatted(
                    &resources.storage.checkpoints,
                    CHECKPOINT_PREFIX,
                    "{}/traffic-{}.json",
                    &["$$.Execution.Name", "$.traffic.Percent"],
                    Input::path("States.JsonToString($)"),
                )
                .encrypted_with(key),
            )
            .result_path(null_path())
            .retry(transient())
            .catch(catch_all(FAILED))
            .next("NotifyTrafficStep"),
        )
        .state(
            "NotifyTrafficStep",
            Task::new(
                sns_publish(
                    topic,
                    Input::json(json!({
                        "event": "traffic-step",
                        "environment": env.name,
                        "execution.$": "$$.Execution.Id",
                        "trafficSplitPercentage.$": "$.traffic.Percent",
                    })),
                )
                .encrypted_with(key),
            )
            .parameter("Subject", json!(format!("{subject}: traffic step")))
            .result_path(null_path())
            .retry(transient())
            .catch(catch_all(FAILED))
            .next("StartBake"),
        )
        .state(
            "StartBake",
            Pass::new()
                .result(json!({"Polls": 0}))
                .result_path("$.bake")
                .next("WaitWhileBaking"),
        )
        .state(
            "WaitWhileBaking",
            Wait::seconds(GATE_POLL_SECONDS).next("CheckMigrationHealth"),
        )
        .state(
            "CheckMigrationHealth",
            Task::new(cloudwatch_describe_composite_alarm(&alarms.health))
                .result_selector(json!({"States.$": "$.CompositeAlarms[*].StateValue"}))
                .result_path("$.health")
                .retry(transient())
                .catch(catch_all(FAILED))
                .next("CountBakePoll"),
        )
        .state(
            "CountBakePoll",
            Pass::new()
                .parameters(json!({
                    "Polls.$": "States.MathAdd($.bake.Polls, 1)",
                    "Healthy.$": "States.ArrayContains($.health.States, 'OK')",
                }))
                .result_path("$.bake")
                .next("IsMigrationHealthy"),
        )
        .state(
            "IsMigrationHealthy",
            Choice::new()
                .comment("Only an OK health alarm lets a step go on: ALARM, INSUFFICIENT_DATA or no alarm rolls back")
                .when(
                    Condition::boolean_equals("$.bake.Healthy", false),
                    "MigrationUnhealthy",
                )
                .when(
                    Condition::numeric_less_than("$.bake.Polls", bake_polls),
                    "WaitWhileBaking",
                )
                .otherwise("NextTrafficStep"),
        )
        .state(
            "MigrationUnhealthy",
            failure(
                "Migration.Unhealthy",
                "The migration-health alarm was not OK while a traffic step baked: see which of its alarms fired",
            ),
        )
        .state(
            "NextTrafficStep",
            Pass::new()
                .parameters(json!({
                    "Steps.$": "$.traffic.Steps",
                    "Index.$": "States.MathAdd($.traffic.Index, 1)",
                    "Count.$": "$.traffic.Count",
                }))
                .result_path("$.traffic")
                .next("IsShiftComplete"),
        )
        .state(
            "IsShiftComplete",
            Choice::new()
                .when(
                    Condition::numeric_less_than_path("$.traffic.Index", "$.traffic.Count"),
                    "CountTrafficSteps",
                )
                .otherwise("RecordComplete"),
        );

    // 7. Done.
    d = phase(
        d,
        resources,
        env,
        "Complete",
        "complete",
        "MigrationComplete",
    );
    d = d.state(
        "MigrationComplete",
        Succeed::new()
            .comment("All traffic on the migration backend; reverse CDC keeps production current"),
    );

    // Failures: save the error, run the rollback, fail.
    d = d
        .state(
            FAILED,
            Task::new(
                s3_put_object_formatted(
                    &resources.storage.checkpoints,
                    CHECKPOINT_PREFIX,
                    "{}/failed.json",
                    &["$$.Execution.Name"],
                    Input::path("States.JsonToString($)"),
                )
                .encrypted_with(key),
            )
            .comment("Keeps the state and the error for the post-mortem; a failure here must not block the rollback")
            .result_path(null_path())
            .retry(transient())
            .catch(Catcher::new(vec![ErrorName::All], "RollBack").result_path("$.saveError"))
            .next("RollBack"),
        )
        .state(
            "RollBack",
            Task::new(sfn_start_execution_sync(
                rollback,
                Input::json(json!({
                    "reason.$": "States.Format('{} failed: {}', $$.Execution.Name, $.error.Error)",
                    "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id",
                })),
            ))
            .comment(format!("Runs {rollback_name} and waits for it"))
            .result_path(null_path())
            .catch(Catcher::new(vec![ErrorName::All], "NotifyRollbackNotCompleted").result_path("$.rollbackError"))
            .next("RolledBack"),
        )
        .state(
            "RolledBack",
            Fail::new()
                .error("Migration.RolledBack")
                .cause(format!(
                    "The migration failed and {rollback_name} rolled it back; the error is in \
                     {CHECKPOINT_PREFIX}<execution>/failed.json of the checkpoints bucket"
                )),
        )
        .state(
            "NotifyRollbackNotCompleted",
            Task::new(
                sns_publish(
                    topic,
                    Input::json(json!({
                        "event": "rollback-not-completed",
                        "environment": env.name,
                        "execution.$": "$$.Execution.Id",
                        "error.$": "$.error",
                        "rollbackError.$": "$.rollbackError",
                    })),
                )
                .encrypted_with(key),
            )
            .parameter(
                "Subject",
                json!(format!("{subject}: ROLLBACK NOT COMPLETED, act now")),
            )
            .result_path(null_path())
            .retry(transient())
            .catch(Catcher::new(vec![ErrorName::All], "RollbackNotCompleted").result_path("$.notifyError"))
            .next("RollbackNotCompleted"),
        )
        .state(
            "RollbackNotCompleted",
            Fail::new().error("Migration.RollbackNotCompleted").cause(format!(
                "The migration failed and {rollback_name} did not complete: start it by hand and watch it"
            )),
        );
    built(
        "migration",
        d.timeout_seconds(execution_timeout(env)).build(),
    )
}

/// The longest a run may take: every bound at its maximum, plus an hour for the calls and their retries.
pub fn execution_timeout(env: &Environment) -> u32 {
    let o = &env.orchestration;
    let bakes = o.traffic_steps.len() as u32 * o.bake_minutes * 60;
    CONNECTION_POLL_SECONDS * CONNECTION_MAX_POLLS
        + o.full_load_timeout_hours * 3600
        + o.cdc_catch_up_minutes * 60
        + o.validation_timeout_minutes * 60
        + o.approval_timeout_hours * 3600
        + bakes
        + super::rollback::MAX_DRAIN_MINUTES * 60
        + 3600
}
