//! The **rollback** workflow, `payment-migration-rollback-<env>`, which an operator, an alarm's runbook or the
//! migration workflow starts to put every payment back on production:
//!
//! 1. read where the run was (`workflow/phase`, the traffic split, the cutover switch), then at once set the split
//!    to `0` and `enable-cutover` to `false`: within the authorizer's settings TTL every request goes to
//!    production, before anything slow happens;
//! 2. record `workflow/phase` = `rolling-back`, describe both DMS tasks, and save the rollback state (reason,
//!    phase, the values before the change, the tasks' statuses) to the rollback bucket under `rollback/`;
//! 3. stop the forward task if it is running;
//! 4. if the reverse task is running (a cutover happened, so writes made on the migration database flow back to
//!    production), let it drain, then stop it (below);
//! 5. record `rolled-back` and tell the operations topic. Any failure is published and fails the execution.
//!
//! Running it again, or when nothing was started, does no harm: the writes set the same values, a task that is
//! not running is not stopped, and DMS's "not running" error on a stop (a task that stopped between the describe
//! and the stop) is taken as done.
//!
//! **The drain.** The authorizer may route a request to the migration backend up to [`SETTINGS_TTL_SECONDS`]
//! after the split went to 0; its write reaches production through the reverse task. The workflow polls the
//! reverse task's CDC-latency gate (OK after [`GATE_MINUTES`] minutes at or under
//! `migration.max_cdc_latency_seconds`) every minute, and trusts an OK only once the gate's whole window lies
//! after the TTL. Then it waits the maximum latency once more, for the last change in flight, and stops the task.
//! If the gate does not open within [`MAX_DRAIN_MINUTES`], the reverse task is left running (stopping it would
//! strand the changes not yet applied on production) and the execution fails with `Rollback.DrainTimedOut`.

use serde_json::json;

use crate::asl::integration::{
    cloudwatch_describe_alarm, dms_describe_replication_task, dms_stop_replication_task,
    s3_put_object, sns_publish, ssm_get_parameter, ssm_put_parameter,
};
use crate::asl::{
    Catcher, Choice, Condition, Definition, ErrorName, Fail, Input, Pass, StateMachineDefinition,
    Succeed, Task, Wait,
};
use crate::spec::Environment;

use super::super::api::SETTINGS_TTL_SECONDS;
use super::super::monitoring::GATE_MINUTES;
use super::{Resources, built, null_path, statuses, transient};

/// The standalone ASL document of the rollback workflow, written beside the templates.
pub const ROLLBACK_ASL_FILE: &str = "rollback.asl.json";
/// Where in the rollback bucket the workflow saves what it found.
pub const ROLLBACK_STATE_PREFIX: &str = "rollback/";
/// Seconds between two looks at the reverse task and its gate while it drains.
pub const DRAIN_POLL_SECONDS: u32 = 60;
/// How long the drain may take before the rollback gives up and leaves the reverse task running.
pub const MAX_DRAIN_MINUTES: u32 = 30;

/// The DMS error for stopping a task that is not running: a rollback asked for that state anyway.
const NOT_RUNNING: &str = "DatabaseMigration.InvalidResourceStateFault";
/// The DMS error for a describe whose filter matches no task: nothing to stop.
const NO_SUCH_TASK: &str = "DatabaseMigration.ResourceNotFoundFault";
/// Where every caught failure goes.
const NOTIFY_FAILURE: &str = "NotifyRollbackFailed";

/// The state machine's physical name, `payment-migration-rollback-<env>`.
pub fn rollback_state_machine_name(env: &Environment) -> String {
    format!("{}-rollback-{}", super::super::stack::SYSTEM, env.name)
}

/// Polls before the gate's OK counts: its window of [`GATE_MINUTES`] must start after the settings TTL.
pub fn drain_min_polls() -> u32 {
    (SETTINGS_TTL_SECONDS + GATE_MINUTES * 60).div_ceil(DRAIN_POLL_SECONDS)
}

/// Polls after which the drain gives up.
pub fn drain_max_polls() -> u32 {
    MAX_DRAIN_MINUTES * 60 / DRAIN_POLL_SECONDS
}

/// Catch everything left over: publish the error, then fail.
fn on_failure() -> Catcher {
    Catcher::new(vec![ErrorName::All], NOTIFY_FAILURE).result_path("$.error")
}

/// The rollback workflow's definition.
pub fn definition(env: &Environment, resources: &Resources) -> Definition {
    let Resources {
        key,
        configuration,
        replication,
        storage,
        notification,
        alarms,
        ..
    } = resources;
    let key = *key;
    let topic = &notification.operations_topic;
    let min_polls = drain_min_polls();
    let max_polls = drain_max_polls();
    let subject = format!("Payment migration {}: rollback", env.name);
    let definition = StateMachineDefinition::new("NormalizeInput")
        .comment(format!(
            "Rolls the {} payment migration back: traffic to production first, then the DMS tasks stopped \
             (the reverse task once drained, at most {MAX_DRAIN_MINUTES} min), the state saved under \
             {ROLLBACK_STATE_PREFIX} and the phase rolled-back. Safe to run again.",
            env.name
        ))
        // The drain, plus a generous hour for the calls and their retries.
        .timeout_seconds(MAX_DRAIN_MINUTES * 60 + 3600)
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
                .next("DescribeReverseLatencyGate"),
        )
        .state(
            "DescribeReverseLatencyGate",
            Task::new(cloudwatch_describe_alarm(&alarms.reverse_cdc_latency))
                .comment("OK once the reverse task's CDC latency has stayed under the spec's maximum for the gate's window")
                .result_selector(json!({"States.$": "$.MetricAlarms[*].StateValue"}))
                .result_path("$.gate")
                .retry(transient())
                .catch(on_failure())
                .next("CountDrainPoll"),
        )
        .state(
            "CountDrainPoll",
            Pass::new()
                .parameters(json!({
                    "Polls.$": "States.MathAdd($.drain.Polls, 1)",
                    "Running.$": "States.ArrayContains($.reverse.Statuses, 'running')",
                    "CaughtUp.$": "States.ArrayContains($.gate.States, 'OK')",
                }))
                .result_path("$.drain")
                .next("IsDrainOver"),
        )
        .state(
            "IsDrainOver",
            Choice::new()
                .comment(format!(
                    "Drained when the gate is OK after {min_polls} polls of {DRAIN_POLL_SECONDS} s (the settings \
                     TTL of {SETTINGS_TTL_SECONDS} s plus the gate's {GATE_MINUTES} min window); given up after \
                     {max_polls}"
                ))
                .when(
                    Condition::boolean_equals("$.drain.Running", false),
                    "RecordRolledBack",
                )
                .when(
                    Condition::and(vec![
                        Condition::boolean_equals("$.drain.CaughtUp", true),
                        Condition::numeric_greater_than_equals("$.drain.Polls", min_polls),
                    ]),
                    "WaitForLastChanges",
                )
                .when(
                    Condition::numeric_less_than("$.drain.Polls", max_polls),
                    "WaitForDrain",
                )
                .otherwise("DrainTimedOut"),
        )
        .state(
            "WaitForLastChanges",
            Wait::seconds(env.migration.max_cdc_latency_seconds)
                .comment("One more maximum latency, for the last change in flight")
                .next("StopReverseTask"),
        )
        .state(
            "DrainTimedOut",
            Pass::new()
                .result(json!({
                    "Error": "Rollback.DrainTimedOut",
                    "Cause": format!(
                        "The reverse task's CDC latency did not stay under {} s within {MAX_DRAIN_MINUTES} min; it \
                         was left running so that no change made on the migration database is stranded. Traffic \
                         is on production. Stop the task once its latency is down.",
                        env.migration.max_cdc_latency_seconds
                    ),
                }))
                .result_path("$.error")
                .next(NOTIFY_FAILURE),
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
        .build();
    built("rollback", definition)
}
