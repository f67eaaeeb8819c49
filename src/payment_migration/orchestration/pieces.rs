//! The pieces both workflows are built from: how calls are retried and timed, where their answers go, how a
//! phase is announced, how a DMS task is started by its status, and the reads a decision is taken on.

use serde_json::{Value, json};

use crate::asl::integration::{
    StartReplicationTaskType, cloudwatch_describe_alarm, cloudwatch_describe_alarms,
    dms_describe_replication_task, dms_describe_replication_tasks, dms_start_replication_task,
    s3_put_object_formatted, sns_publish, ssm_get_parameters, ssm_put_parameter,
};
use crate::asl::{
    Backoff, Catcher, Choice, Condition, ErrorName, Handling, Input, Integration, Path, Sequence,
    Task,
};
use crate::cfn::Handle;
use crate::resources::cloudwatch::Alarm;
use crate::resources::dms::ReplicationTask;
use crate::spec::Environment;

use super::super::configuration::Phase;
use super::Resources;

/// A call that is not part of a poll: three retries from 1 s, doubling, at most 10 s apart.
pub(super) const CALL: Backoff = Backoff {
    interval_seconds: 1,
    max_attempts: 3,
    rate: 2.0,
    max_delay_seconds: 10,
};
/// A read inside a poll: one retry; the poll comes round again anyway, and an unanswered read counts as
/// unknown, never as good news.
pub(super) const POLL_READ: Backoff = Backoff {
    interval_seconds: 1,
    max_attempts: 1,
    rate: 2.0,
    max_delay_seconds: 2,
};
/// The rollback's traffic move, which nothing may stop: eight retries from 1 s, doubling, at most 30 s apart
/// (about three minutes of a failing Parameter Store before it pages).
pub(super) const TRAFFIC_MOVE: Backoff = Backoff {
    interval_seconds: 1,
    max_attempts: 8,
    rate: 2.0,
    max_delay_seconds: 30,
};
/// How long an AWS API call may take before it counts as timed out.
pub(super) const CALL_TIMEOUT_SECONDS: u32 = 60;

/// Where answers nothing reads go (`ResultPath: null` is not a path string).
pub(super) const DISCARDED: Path = Path::new("$.discarded");
/// Where a read that failed leaves its error, for the execution history; the read's answer stays unknown. It is
/// under [`READS`], which each poll resets, so the error of one poll's read does not outlive the poll.
pub(super) const UNREAD: Path = Path::new("$.reads.Unread");
/// The answers the current decision is taken on.
pub(super) const READS: Path = Path::new("$.reads");
/// The count and facts of the poll loop under way. The loops run one after the other (a step's bake inside the
/// traffic shift counts its steps at `$.traffic`), so they share it: a loop's start replaces what the loop before
/// left, and a run does not carry how long each earlier wait took.
pub(super) const POLL: Path = Path::new("$.poll");
/// What a list read from AWS holds until a read answers: no DMS status, alarm state or parameter value is
/// spelt so.
pub(super) const UNKNOWN: &str = "unknown";

/// A Task calling `integration`, with the timeout every call needs (the worst case is computed from it).
pub(super) fn call(integration: Integration) -> Task {
    Task::new(integration).timeout_seconds(CALL_TIMEOUT_SECONDS)
}

/// Catches every error into `$.error` and goes to `state`.
pub(super) fn catch_all(state: &str) -> Catcher {
    Catcher::new(vec![ErrorName::All], state).result_path("$.error")
}

/// A sequence whose calls retry with [`CALL`] and whose left-over errors go to `on_error`.
pub(super) fn handled(on_error: &str) -> Sequence {
    Sequence::handled(Handling::retrying(CALL).catching(catch_all(on_error)))
}

/// `[value]` where `value` stands for "not read yet".
pub(super) fn unknown() -> Value {
    json!([UNKNOWN])
}

/// `States.ArrayContains(list, 'value')`.
pub(super) fn contains(list: &str, value: &str) -> Value {
    json!(format!("States.ArrayContains({list}, '{value}')"))
}

/// Announces `phase`: writes it to `workflow/phase` (`Record<name>`), saves the workflow's state as
/// `checkpoints/<execution>/<phase>.json` (`Checkpoint<name>`) and tells the operations topic (`Notify<name>`).
pub(super) fn announce(
    r: &Resources,
    env: &Environment,
    name: &str,
    phase: Phase,
    on_error: &str,
) -> Sequence {
    let phase = phase.as_str();
    handled(on_error)
        .then(
            format!("Record{name}"),
            call(ssm_put_parameter(
                &r.configuration.phase,
                Input::text(phase),
            ))
            .result_selector(json!({"Name": phase}))
            .result_path("$.phase"),
        )
        .then(
            format!("Checkpoint{name}"),
            call(checkpoint(
                r,
                &format!("{{}}/{phase}.json"),
                &["$$.Execution.Name"],
            ))
            .result_path(DISCARDED),
        )
        .then(
            format!("Notify{name}"),
            call(notify(
                r,
                json!({
                    "event": "phase",
                    "phase": phase,
                    "environment": env.name,
                    "execution.$": "$$.Execution.Id",
                }),
            ))
            .parameter(
                "Subject",
                json!(format!("Payment migration {}: {phase}", env.name)),
            )
            .result_path(DISCARDED),
        )
}

/// Where in the checkpoints bucket the workflow saves its state.
pub const CHECKPOINT_PREFIX: &str = "checkpoints/";

/// Saves the whole state under `checkpoints/` at the key `tail` formats from `arguments`.
pub(super) fn checkpoint(r: &Resources, tail: &str, arguments: &[&str]) -> Integration {
    s3_put_object_formatted(
        &r.storage.checkpoints,
        CHECKPOINT_PREFIX,
        tail,
        arguments,
        Input::path("States.JsonToString($)"),
    )
    .encrypted_with(r.key)
}

/// Publishes `message` to the operations topic.
pub(super) fn notify(r: &Resources, message: Value) -> Integration {
    sns_publish(&r.notification.operations_topic, Input::json(message)).encrypted_with(r.key)
}

/// Reads `workflow/phase`, the split and the cutover switch in one call, into `$.reads.Switches.Values`: their
/// values in no particular order (GetParameters does not keep the request's). No order is needed: the three
/// parameters' `AllowedPattern`s admit disjoint values (digits, `true`/`false`, the phases' words), so "the split
/// is 50" is "the values contain `50`", and three values means all three exist. Reading them in one call keeps a
/// check at one call where three would triple its history events.
pub(super) fn read_switches(r: &Resources) -> Task {
    let c = &r.configuration;
    call(ssm_get_parameters(&[
        &c.phase,
        &c.traffic_split_percentage,
        &c.enable_cutover,
    ]))
    .result_selector(json!({"Values.$": "$.Parameters[*].Value"}))
    .result_path(SWITCHES)
}

pub(super) const SWITCHES: Path = Path::new("$.reads.Switches");
pub(super) const TASKS: Path = Path::new("$.reads.Tasks");
pub(super) const ALARMS: Path = Path::new("$.reads.Alarms");

/// The switches before they are read.
pub(super) fn unknown_switches() -> Value {
    json!({"Values": unknown()})
}

/// Reads both DMS tasks in one call, into `$.reads.Tasks`: their `Statuses` and `Identifiers`, each in DMS's
/// order (the same for both lists, not the request's). "Both run" needs no order: two statuses, one distinct
/// value, `running` ([`both_running`]).
pub(super) fn read_tasks(r: &Resources) -> Task {
    let (forward, reverse) = (&r.replication.forward_task, &r.replication.reverse_task);
    call(dms_describe_replication_tasks(&[forward, reverse]))
        .result_selector(json!({
            "Statuses.$": "$.ReplicationTasks[*].Status",
            "Identifiers.$": "$.ReplicationTasks[*].ReplicationTaskIdentifier",
        }))
        .result_path(TASKS)
}

pub(super) fn unknown_tasks() -> Value {
    json!({"Statuses": unknown(), "Identifiers": []})
}

/// The facts (keys ending in `.$`) that tell whether both tasks run, from [`read_tasks`]'s statuses:
/// `TaskCount`, `DistinctStatuses`, `AnyRunning`; [`both_running`] combines them.
pub(super) fn task_facts() -> [(&'static str, Value); 3] {
    let statuses = TASKS.at("Statuses");
    [
        (
            "TaskCount.$",
            json!(format!("States.ArrayLength({statuses})")),
        ),
        (
            "DistinctStatuses.$",
            json!(format!(
                "States.ArrayLength(States.ArrayUnique({statuses}))"
            )),
        ),
        ("AnyRunning.$", contains(&statuses, "running")),
    ]
}

/// Both tasks run, from the [`task_facts`] at `facts`.
pub(super) fn both_running(facts: Path) -> crate::asl::Condition {
    use crate::asl::Condition;
    Condition::and(vec![
        Condition::numeric_equals(facts.at("TaskCount"), 2),
        Condition::numeric_equals(facts.at("DistinctStatuses"), 1),
        Condition::boolean_equals(facts.at("AnyRunning"), true),
    ])
}

/// Reads the migration-health composite alarm and the reverse task's CDC-latency gate in one call, into
/// `$.reads.Alarms` (`Health`, `ReverseGate`: lists of one state, or empty when the alarm does not exist).
pub(super) fn read_bake_alarms(r: &Resources) -> Task {
    let alarms = r.alarms;
    call(cloudwatch_describe_alarms(
        &[&alarms.reverse_cdc_latency],
        &[&alarms.health],
    ))
    .result_selector(json!({
        "Health.$": "$.CompositeAlarms[*].StateValue",
        "ReverseGate.$": "$.MetricAlarms[*].StateValue",
    }))
    .result_path(ALARMS)
}

/// Where a gate's state is read to.
pub(super) const GATE: Path = Path::new("$.reads.Gate");

/// Reads a CDC-latency gate (a metric alarm of `task_side`, "forward" or "reverse") into [`GATE`] (`States`: a
/// list of one state, or empty when the alarm does not exist).
pub(super) fn read_gate(gate: &Handle<Alarm>, task_side: &str) -> Task {
    call(cloudwatch_describe_alarm(gate))
        .comment(format!(
            "OK once the {task_side} task's CDC latency has stayed under the spec's maximum for the gate's window"
        ))
        .result_selector(json!({"States.$": "$.MetricAlarms[*].StateValue"}))
        .result_path(GATE)
}

pub(super) fn unknown_alarms() -> Value {
    json!({"Health": unknown(), "ReverseGate": unknown()})
}

/// Reads one task's status into `at` (`Statuses`: a list of one status, or empty when there is no such task).
pub(super) fn read_task(task: &Handle<ReplicationTask>, at: &str) -> Task {
    call(dms_describe_replication_task(task))
        .result_selector(json!({"Statuses.$": "$.ReplicationTasks[*].Status"}))
        .result_path(at.to_string())
}

/// Starts `task` the way its status allows: `start-replication` on a task that never ran (`ready`),
/// `resume-processing` on one that stopped or failed, nothing on one that runs or is starting; any other status
/// (creating, modifying, stopping, deleting, ...) or no task at all goes to `not_startable`. A start that DMS
/// refuses because the task's state changed meanwhile goes on to `next` too: what follows reads the status, and
/// that decides. States are named `<Prefix>…`.
pub(super) fn start_task(
    task: &Handle<ReplicationTask>,
    prefix: &str,
    next: &str,
    not_startable: &str,
    on_error: &str,
) -> Sequence {
    let found = Path::new("$.found");
    let status = |s: &str| Condition::string_equals(found.first("Statuses"), s.to_string());
    let describe = format!("Describe{prefix}BeforeStart");
    let decide = format!("HowToStart{prefix}");
    let start = format!("Start{prefix}");
    let resume = format!("Resume{prefix}");
    let starting = |kind: StartReplicationTaskType| {
        let integration = dms_start_replication_task(task, kind);
        let changed = integration.error("InvalidResourceStateFault");
        call(integration)
            .result_path(DISCARDED)
            .catch(Catcher::new(vec![changed], next.to_string()).result_path(UNREAD))
            .catch(catch_all(on_error))
            .next(next.to_string())
    };
    handled(on_error)
        .then(describe, read_task(task, found.as_str()))
        .then(
            decide,
            Choice::new()
                .comment("start-replication is valid only on a task's first run")
                .when(
                    Condition::is_present(found.first("Statuses"), false),
                    not_startable.to_string(),
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
                .otherwise(not_startable.to_string()),
        )
        .then(start, starting(StartReplicationTaskType::StartReplication))
        .then(resume, starting(StartReplicationTaskType::ResumeProcessing))
}
