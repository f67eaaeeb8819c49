//! The **rollback** workflow, `payment-migration-rollback-<env>`, which an operator, an alarm's runbook or the
//! migration workflow starts to put every payment back on production:
//!
//! 1. **Traffic first.** The split to `0`, then `enable-cutover` to `false`, each retried for about three
//!    minutes; within the authorizer's settings TTL every request goes to production. Nothing runs before these
//!    two writes, so nothing can keep them from happening; if Parameter Store refuses them that long, the
//!    execution pages `Rollback.TrafficNotMoved` (or `Rollback.CutoverNotDisabled`, with the split at 0) and
//!    fails.
//! 2. What it found is read and saved (the phase, both tasks' statuses), and `rolling-back` recorded; a read or
//!    write that fails here is noted and the rollback goes on.
//! 3. **The forward task stopped**: a `running` or `starting` task is stopped, a `stopping` or `modifying` one
//!    awaited, until it is stopped (bounded; `Rollback.ForwardTaskNotStopped` if it will not).
//! 4. **The reverse task drained, then stopped.** It carries back to production the writes taken on the
//!    migration side. A `starting` one is awaited until it runs; a `stopped` or `failed` one is resumed once,
//!    unless an earlier rollback already drained it (the phase it found is `rolled-back`); a `ready` or absent
//!    one never ran and has nothing to drain. A running task drains until its CDC-latency gate is OK over a
//!    window that starts after the settings TTL, then one more maximum latency, then it is stopped and awaited.
//!    A task that cannot be made to run, stops before its drain is confirmed, or does not drain within
//!    [`MAX_DRAIN_MINUTES`] is left as it is and the execution pages `Rollback.ReplicationBackIncomplete`.
//! 5. `rolled-back` recorded and announced.
//!
//! Every page is published to the operations topic with what the rollback found and what it left; the execution
//! then fails with the page's error (its failure alarm pages even if the topic could not be reached). Running it again, or when nothing was started, does no harm: the writes set
//! the same values, a task that is not running is not stopped, a reverse task drained before is left alone.

use serde_json::{Value, json};

use crate::asl::integration::{
    StartReplicationTaskType, dms_start_replication_task, dms_stop_replication_task, s3_put_object,
    ssm_get_parameters, ssm_put_parameter,
};
use crate::asl::{
    Catcher, Choice, Condition, Definition, ErrorName, Fail, Handling, Input, Pass, Path, Poll,
    Sequence, StateMachineDefinition, Succeed, Wait,
};
use crate::cfn::Handle;
use crate::resources::dms::ReplicationTask;
use crate::spec::Environment;

use super::super::alerting::GATE_MINUTES;
use super::super::configuration::Phase;
use super::pace;
use super::pieces::{
    CALL, DISCARDED, GATE, POLL, POLL_READ, READS, TASKS, TRAFFIC_MOVE, UNKNOWN, UNREAD, call,
    contains, notify, read_gate, read_task, read_tasks, unknown, unknown_tasks,
};
use super::{Resources, TIMEOUT_MARGIN_PERCENT, built};

/// The standalone ASL document of the rollback workflow, written beside the templates.
pub const ROLLBACK_ASL_FILE: &str = "rollback.asl.json";
/// Where in the rollback bucket the workflow saves what it found.
pub const ROLLBACK_STATE_PREFIX: &str = "rollback/";
/// Seconds between two looks at the reverse task and its gate while it drains.
pub const DRAIN_POLL_SECONDS: u32 = 60;
/// How long the drain may take before the rollback gives up and leaves the reverse task running.
pub const MAX_DRAIN_MINUTES: u32 = 30;
/// Where every page goes.
const NOTIFY_FAILURE: &str = "NotifyRollbackFailed";

const FOUND: Path = Path::new("$.found");
const FORWARD: Path = POLL;
const REVERSE: Path = POLL;
const RESUMES: Path = Path::new("$.resumes");
const DRAIN: Path = POLL;
const REVERSE_STOP: Path = POLL;
/// The facts the drain's last look is decided on.
const CONFIRM: Path = Path::new("$.confirm");

/// The state machine's physical name, `payment-migration-rollback-<env>`.
pub fn rollback_state_machine_name(env: &Environment) -> String {
    format!("{}-rollback-{}", super::super::stack::SYSTEM, env.name)
}

/// Polls before the gate's OK counts: its window of [`GATE_MINUTES`] must start after the settings TTL.
pub fn drain_min_polls(env: &Environment) -> u32 {
    (env.api.settings_ttl_seconds + GATE_MINUTES * 60).div_ceil(DRAIN_POLL_SECONDS)
}

/// Polls after which the drain gives up.
pub fn drain_max_polls() -> u32 {
    MAX_DRAIN_MINUTES * 60 / DRAIN_POLL_SECONDS
}

/// The rollback workflow's definition.
pub fn definition(env: &Environment, r: &Resources) -> Definition {
    let body = move_traffic(r)
        .append(record_what_was_found(r, env))
        .append(stop_forward(r))
        .append(settle_reverse(r))
        .append(drain_reverse(r, env))
        .append(stop_reverse(r))
        .append(finish(r, env))
        .append(pages(r, env));
    let definition = StateMachineDefinition::new("NormalizeInput")
        .comment(format!(
            "Rolls the {} payment migration back: traffic to production first, then the forward task stopped \
             and the reverse task drained (at most {MAX_DRAIN_MINUTES} min) and stopped, the state saved under \
             {ROLLBACK_STATE_PREFIX} and the phase rolled-back. Safe to run again.",
            env.name
        ))
        .timeout_from_worst_case(TIMEOUT_MARGIN_PERCENT)
        .sequence(body, None);
    built("rollback", definition.build())
}

/// The data a run starts with: the reason, and every read as not yet made.
fn initial(reason: Value) -> Value {
    json!({
        "reason": reason,
        "found": {"Values": unknown()},
        "reads": {"Tasks": unknown_tasks()},
        "resumes": {"Count": 0},
    })
}

/// The page a failure leads to: `$.error` says what is wrong and what is left.
fn page(error: &str, cause: impl Into<String>) -> Pass {
    Pass::new()
        .result(json!({"Error": error, "Cause": cause.into()}))
        .result_path("$.error")
        .next(NOTIFY_FAILURE)
}

fn move_traffic(r: &Resources) -> Sequence {
    let c = &r.configuration;
    let moving = |integration: crate::asl::Integration, on_error: &str| {
        call(integration)
            .result_path(DISCARDED)
            .retried(TRAFFIC_MOVE)
            .catch(Catcher::new(vec![ErrorName::All], on_error).result_path("$.callError"))
    };
    Sequence::new()
        .then(
            "NormalizeInput",
            Choice::new()
                .comment("The execution input's optional reason; \"manual\" when none is given")
                .when(Condition::is_present("$.reason", true), "KeepReason")
                .otherwise("DefaultReason"),
        )
        .then(
            "KeepReason",
            Pass::new()
                .parameters({
                    let mut start = initial(Value::Null);
                    start.as_object_mut().map(|m| m.remove("reason"));
                    start["reason.$"] = json!("$.reason");
                    start
                })
                .next("RouteAllTrafficToProduction"),
        )
        .then(
            "DefaultReason",
            Pass::new()
                .parameters(initial(json!("manual")))
                .next("RouteAllTrafficToProduction"),
        )
        .then(
            "RouteAllTrafficToProduction",
            moving(
                ssm_put_parameter(&c.traffic_split_percentage, Input::text("0")),
                "TrafficNotMoved",
            )
            .comment("First, before anything that could fail: every request goes to production within the settings TTL"),
        )
        .then(
            "DisableCutover",
            moving(
                ssm_put_parameter(&c.enable_cutover, Input::text("false")),
                "CutoverNotDisabled",
            ),
        )
}

/// Reads the phase, records `rolling-back`, reads both tasks and saves what was found; failures here are noted
/// and the rollback goes on.
fn record_what_was_found(r: &Resources, env: &Environment) -> Sequence {
    let c = &r.configuration;
    let go_on = |next: &str| {
        Sequence::handled(
            Handling::retrying(CALL)
                .catching(Catcher::new(vec![ErrorName::All], next).result_path(UNREAD)),
        )
    };
    let describe = read_tasks(r);
    let absent = describe.integration().error("ResourceNotFoundFault");
    go_on("RecordRollingBack")
        .then(
            "ReadPhaseBeforeRollback",
            call(ssm_get_parameters(&[&c.phase]))
                .comment("Where the migration was when the rollback started; the traffic moves never wait for it")
                .result_selector(json!({"Values.$": "$.Parameters[*].Value"}))
                .result_path(FOUND),
        )
        .append(go_on("DescribeTasks").then(
            "RecordRollingBack",
            call(ssm_put_parameter(
                &c.phase,
                Input::text(Phase::RollingBack.as_str()),
            ))
            .result_path(DISCARDED),
        ))
        .then(
            "DescribeTasks",
            describe
                .retried(CALL)
                .catch(Catcher::new(vec![absent], "NoTaskFound").result_path(UNREAD))
                .catch(
                    Catcher::new(vec![ErrorName::All], "AssembleRollbackState").result_path(UNREAD),
                )
                .next("AssembleRollbackState"),
        )
        .then(
            "NoTaskFound",
            Pass::new()
                .result(json!({"Statuses": [], "Identifiers": []}))
                .result_path(TASKS)
                .next("AssembleRollbackState"),
        )
        .then(
            "AssembleRollbackState",
            Pass::new()
                .comment(format!(
                    "What the rollback found (`{UNKNOWN}` where a read failed); the split and the switch were \
                     already set"
                ))
                .parameters(json!({
                    "environment": env.name,
                    "execution.$": "$$.Execution.Id",
                    "reason.$": "$.reason",
                    "phase.$": FOUND.at("Values"),
                    "taskStatuses.$": TASKS.at("Statuses"),
                    "tasks.$": TASKS.at("Identifiers"),
                }))
                .result_path("$.state"),
        )
        .append(
            go_on(&forward_poll().start_state()).then(
                "SaveRollbackState",
                call(
                    s3_put_object(
                        &r.storage.rollback_state,
                        ROLLBACK_STATE_PREFIX,
                        Input::path("$$.Execution.Name"),
                        Input::path("States.JsonToString($.state)"),
                    )
                    .encrypted_with(r.key),
                )
                .result_path(DISCARDED),
            ),
        )
}

/// The facts a task's status gives, at `counter`: one per status the rollback tells apart, and whether it was
/// read at all.
fn status_facts(poll: Poll, statuses: &str) -> Poll {
    let mut poll = poll
        .fact("Statuses.$", json!(statuses))
        .fact("Unknown.$", contains(statuses, UNKNOWN))
        .fact("Found.$", json!(format!("States.ArrayLength({statuses})")));
    for (fact, status) in [
        ("Running", "running"),
        ("Starting", "starting"),
        ("Stopping", "stopping"),
        ("Modifying", "modifying"),
        ("Stopped", "stopped"),
        ("Failed", "failed"),
        ("Ready", "ready"),
    ] {
        poll = poll.fact(&format!("{fact}.$"), contains(statuses, status));
    }
    poll
}

/// A read of `task` into `$.reads.<key>`: a failed read leaves `unknown`, and DMS's answer that the task does not
/// exist becomes an empty list (`<key>Absent`).
fn read_status(task: &Handle<ReplicationTask>, key: &str, name: &str, after: &str) -> Sequence {
    let read = read_task(task, &READS.at(key));
    let absent = read.integration().error("ResourceNotFoundFault");
    let read = read.retried(POLL_READ);
    let nothing = format!("{name}FoundNothing");
    Sequence::new()
        .then(
            name,
            read.catch(Catcher::new(vec![absent], nothing.clone()).result_path(UNREAD))
                .catch(Catcher::new(vec![ErrorName::All], after).result_path(UNREAD))
                .next(after),
        )
        .then(
            nothing,
            Pass::new()
                .result(json!({"Statuses": []}))
                .result_path(READS.at(key))
                .next(after),
        )
}

fn forward_poll() -> Poll {
    let polling = pace::TASK_STOP;
    Poll::new(
        "ForwardTaskStop",
        FORWARD,
        polling.interval_seconds,
        polling.max_polls,
    )
    .reading_first()
}

fn stop_forward(r: &Resources) -> Sequence {
    let task = &r.replication.forward_task;
    let poll = forward_poll();
    let count = poll.count_state();
    let is = |fact: &str| Condition::boolean_equals(FORWARD.at(fact), true);
    let poll = status_facts(
        poll.forgetting(READS, json!({"Forward": {"Statuses": unknown()}}))
            .reads(read_status(task, "Forward", "DescribeForwardTask", &count)),
        &READS.at("Forward.Statuses"),
    )
    .decided_by("IsForwardTaskStopped")
    .when(
        Condition::and(vec![
            Condition::or(vec![is("Running"), is("Starting")]),
            Condition::numeric_less_than(FORWARD.at("Polls"), pace::TASK_STOP.max_polls),
        ]),
        "StopForwardTask",
    )
    .when(
        Condition::not(Condition::or(vec![
            is("Running"),
            is("Starting"),
            is("Stopping"),
            is("Modifying"),
            is("Unknown"),
        ])),
        "StartReverseTaskPolls",
    )
    .otherwise("ForwardTaskNotStopped");
    let wait = poll.wait_state();
    poll.into_sequence()
        .append(stop(task, "StopForwardTask", &wait))
}

/// Stops `task`; whatever the answer (done, refused because it is not running, or failed), the next look at its
/// status decides.
fn stop(task: &Handle<ReplicationTask>, name: &str, then: &str) -> Sequence {
    let stop = call(dms_stop_replication_task(task))
        .result_path(DISCARDED)
        .retried(CALL);
    Sequence::new().then(
        name,
        stop.catch(Catcher::new(vec![ErrorName::All], then).result_path(UNREAD))
            .next(then),
    )
}

/// Waits until the reverse task is running (then drains it), or has nothing to drain.
fn settle_reverse(r: &Resources) -> Sequence {
    let task = &r.replication.reverse_task;
    let polling = pace::TASK_START;
    let poll = Poll::new(
        "ReverseTask",
        REVERSE,
        polling.interval_seconds,
        polling.max_polls,
    )
    .reading_first();
    let start = poll.start_state();
    let count = poll.count_state();
    let is = |fact: &str| Condition::boolean_equals(REVERSE.at(fact), true);
    let poll = status_facts(
        poll.forgetting(READS, json!({"Reverse": {"Statuses": unknown()}}))
            .reads(read_status(task, "Reverse", "DescribeReverseTask", &count)),
        &READS.at("Reverse.Statuses"),
    )
    .fact(
        "DrainedBefore.$",
        contains(&FOUND.at("Values"), Phase::RolledBack.as_str()),
    );
    // Phases after which payments may have reached the migration side (or the phase could not be read).
    let moved = [
        ("AfterCutover", Phase::Cutover.as_str()),
        ("AfterComplete", Phase::Complete.as_str()),
        ("AfterTakeBack", Phase::TakenBack.as_str()),
        ("AfterRollingBack", Phase::RollingBack.as_str()),
        ("PhaseUnknown", UNKNOWN),
    ];
    let mut poll = poll;
    for (fact, phase) in moved {
        poll = poll.fact(&format!("{fact}.$"), contains(&FOUND.at("Values"), phase));
    }
    let may_have_moved = Condition::or(moved.iter().map(|(fact, _)| is(fact)).collect());
    let gone = Condition::numeric_equals(REVERSE.at("Found"), 0);
    let poll = poll
        .decided_by("IsReverseTaskSettled")
        .when(is("Running"), "StartDrainPolls")
        .when(
            Condition::and(vec![is("Stopped"), is("DrainedBefore")]),
            "RecordRolledBack",
        )
        .when(
            Condition::or(vec![is("Stopped"), is("Failed")]),
            "MayResumeReverseTask",
        )
        .when(is("Ready"), "RecordRolledBack")
        .when(
            Condition::and(vec![gone.clone(), Condition::not(may_have_moved)]),
            "RecordRolledBack",
        )
        .when(gone, "ReverseTaskGone")
        .otherwise("ReverseTaskUnsettled");
    let resume = dms_start_replication_task(task, StartReplicationTaskType::ResumeProcessing);
    let changed = resume.error("InvalidResourceStateFault");
    let resume = call(resume).result_path(DISCARDED).retried(CALL);
    poll.into_sequence()
        .bounded_loop(start.clone(), 1)
        .then(
            "MayResumeReverseTask",
            Choice::new()
                .comment(
                    "A stopped or failed reverse task may hold writes not yet on production: resumed once to drain",
                )
                .when(Condition::numeric_less_than(RESUMES.at("Count"), 1), "ResumeReverseTask")
                .otherwise("ReverseTaskWillNotRun"),
        )
        .then(
            "ResumeReverseTask",
            resume
                .catch(Catcher::new(vec![changed], "CountReverseResume").result_path(UNREAD))
                .catch(
                    Catcher::new(vec![ErrorName::All], "ReverseTaskWillNotRun").result_path(UNREAD),
                )
                .next("CountReverseResume"),
        )
        .then(
            "CountReverseResume",
            Pass::new()
                .parameters(json!({"Count.$": format!("States.MathAdd({}, 1)", RESUMES.at("Count"))}))
                .result_path(RESUMES)
                .next(start),
        )
}

fn drain_reverse(r: &Resources, env: &Environment) -> Sequence {
    let task = &r.replication.reverse_task;
    let min_polls = drain_min_polls(env);
    let max_polls = drain_max_polls();
    let poll = Poll::new("Drain", DRAIN, DRAIN_POLL_SECONDS, max_polls);
    let count = poll.count_state();
    let poll = poll
        .forgetting(
            READS,
            json!({"Reverse": {"Statuses": unknown()}, "Gate": {"States": unknown()}}),
        )
        .reads(
            read_status(
                task,
                "Reverse",
                "DescribeDrainingReverseTask",
                "DescribeReverseLatencyGate",
            )
            .then(
                "DescribeReverseLatencyGate",
                read_gate(&r.alarms.reverse_cdc_latency, "reverse")
                    .retried(POLL_READ)
                    .catch(Catcher::new(vec![ErrorName::All], count.clone()).result_path(UNREAD)),
            ),
        )
        .fact(
            "Unknown.$",
            contains(&READS.at("Reverse.Statuses"), UNKNOWN),
        )
        .fact(
            "Running.$",
            contains(&READS.at("Reverse.Statuses"), "running"),
        )
        .fact("CaughtUp.$", contains(&GATE.at("States"), "OK"))
        .decided_by("IsDrainOver")
        .when(
            Condition::and(vec![
                Condition::boolean_equals(DRAIN.at("Unknown"), false),
                Condition::boolean_equals(DRAIN.at("Running"), false),
            ]),
            "ReverseStoppedWhileDraining",
        )
        .when(
            Condition::and(vec![
                Condition::boolean_equals(DRAIN.at("CaughtUp"), true),
                Condition::numeric_greater_than_equals(DRAIN.at("Polls"), min_polls),
            ]),
            "WaitForLastChanges",
        )
        .otherwise("DrainTimedOut");
    let wait = poll.wait_state();
    let confirm_is = |fact: &str, value: bool| Condition::boolean_equals(CONFIRM.at(fact), value);
    poll.into_sequence()
        .then(
            "WaitForLastChanges",
            Wait::seconds(env.migration.max_cdc_latency_seconds)
                .comment("One more maximum latency, for the last change in flight")
                .next("ForgetBeforeStop"),
        )
        .then(
            "ForgetBeforeStop",
            Pass::new()
                .result(json!({"Reverse": {"Statuses": unknown()}, "Gate": {"States": unknown()}}))
                .result_path(READS)
                .next("DescribeReverseTaskBeforeStop"),
        )
        .append(read_status(
            task,
            "Reverse",
            "DescribeReverseTaskBeforeStop",
            "DescribeReverseGateBeforeStop",
        ))
        .then(
            "DescribeReverseGateBeforeStop",
            read_gate(&r.alarms.reverse_cdc_latency, "reverse")
                .retried(POLL_READ)
                .catch(Catcher::new(vec![ErrorName::All], "AssessDrain").result_path(UNREAD))
                .next("AssessDrain"),
        )
        .then(
            "AssessDrain",
            Pass::new()
                .parameters(json!({
                    "Unknown.$": contains(&READS.at("Reverse.Statuses"), UNKNOWN),
                    "Running.$": contains(&READS.at("Reverse.Statuses"), "running"),
                    "CaughtUp.$": contains(&GATE.at("States"), "OK"),
                }))
                .result_path(CONFIRM)
                .next("IsDrainConfirmed"),
        )
        .then(
            "IsDrainConfirmed",
            Choice::new()
                .comment("Stopped only if, after that last wait, it still runs with its gate OK; else the drain goes on")
                .when(
                    Condition::and(vec![confirm_is("Running", true), confirm_is("CaughtUp", true)]),
                    "StopReverseTask",
                )
                .when(
                    Condition::and(vec![confirm_is("Unknown", false), confirm_is("Running", false)]),
                    "ReverseStoppedWhileDraining",
                )
                .when(
                    Condition::numeric_less_than(DRAIN.at("Polls"), max_polls),
                    wait,
                )
                .otherwise("DrainTimedOut"),
        )
        .append(stop(task, "StopReverseTask", "StartReverseTaskStopPolls"))
}

fn stop_reverse(r: &Resources) -> Sequence {
    let task = &r.replication.reverse_task;
    let polling = pace::TASK_STOP;
    let poll = Poll::new(
        "ReverseTaskStop",
        REVERSE_STOP,
        polling.interval_seconds,
        polling.max_polls,
    );
    let count = poll.count_state();
    let is = |fact: &str| Condition::boolean_equals(REVERSE_STOP.at(fact), true);
    status_facts(
        poll.forgetting(READS, json!({"ReverseStopped": {"Statuses": unknown()}}))
            .reads(read_status(
                task,
                "ReverseStopped",
                "DescribeStoppingReverseTask",
                &count,
            )),
        &READS.at("ReverseStopped.Statuses"),
    )
    .decided_by("IsReverseTaskStopped")
    .when(
        Condition::or(vec![
            is("Stopped"),
            is("Failed"),
            is("Ready"),
            Condition::numeric_equals(REVERSE_STOP.at("Found"), 0),
        ]),
        "RecordRolledBack",
    )
    .otherwise("ReverseTaskNotStopped")
    .into_sequence()
}

fn finish(r: &Resources, env: &Environment) -> Sequence {
    let subject = format!("Payment migration {}: rollback", env.name);
    Sequence::handled(
        Handling::retrying(CALL).catching(
            Catcher::new(vec![ErrorName::All], "PhaseNotRecorded").result_path(UNREAD),
        ),
    )
    .then(
        "RecordRolledBack",
        call(ssm_put_parameter(
            &r.configuration.phase,
            Input::text(Phase::RolledBack.as_str()),
        ))
        .result_path(DISCARDED),
    )
    .append(
        Sequence::handled(Handling::retrying(CALL).catching(
            Catcher::new(vec![ErrorName::All], "RolledBackUnannounced").result_path("$.error"),
        ))
        .then(
            "NotifyRolledBack",
            call(notify(
                r,
                json!({
                    "event": "rolled-back",
                    "environment": env.name,
                    "execution.$": "$$.Execution.Id",
                    "reason.$": "$.reason",
                    "before.$": "$.state",
                }),
            ))
            .parameter("Subject", json!(subject))
            .result_path(DISCARDED)
            .next("RolledBack"),
        ),
    )
    .then("RolledBack", Succeed::new())
    .then(
        "RolledBackUnannounced",
        Fail::new()
            .comment("The rollback is done, but the operations topic was not told")
            .error("Rollback.NotificationFailed")
            .cause("Traffic is on production and both tasks are stopped; publishing to the topic failed"),
    )
}

/// Every way the rollback can fail, each a page that says what is left.
fn pages(r: &Resources, env: &Environment) -> Sequence {
    let latency = env.migration.max_cdc_latency_seconds;
    let incomplete = "Rollback.ReplicationBackIncomplete";
    let left_running = "Traffic is on production (split 0, cutover off). Replication back to production is \
                        INCOMPLETE: writes taken on the migration database may not have reached production.";
    Sequence::new()
        .then(
            "TrafficNotMoved",
            page(
                "Rollback.TrafficNotMoved",
                "The traffic split could not be set to 0: payments may still reach the migration side. Set \
                 workflow/traffic-split-percentage to 0 and workflow/enable-cutover to false by hand now, then \
                 run the rollback again.",
            ),
        )
        .then(
            "CutoverNotDisabled",
            page(
                "Rollback.CutoverNotDisabled",
                "The split is 0, so every payment goes to production, but enable-cutover could not be set to \
                 false. The DMS tasks were not touched: set the switch by hand and run the rollback again.",
            ),
        )
        .then(
            "ForwardTaskNotStopped",
            page(
                "Rollback.ForwardTaskNotStopped",
                format!(
                    "Traffic is on production (split 0, cutover off), but the forward task did not stop within \
                     {} s. The reverse task was not touched: stop the forward task by hand and run the rollback \
                     again.",
                    pace::TASK_STOP.seconds()
                ),
            ),
        )
        .then(
            "ReverseTaskUnsettled",
            page(
                incomplete,
                format!(
                    "{left_running} The reverse task neither ran nor stopped within {} s (it is being created, \
                     modified, moved or deleted): see it in the DMS console.",
                    pace::TASK_START.seconds()
                ),
            ),
        )
        .then(
            "ReverseTaskGone",
            page(
                incomplete,
                format!(
                    "{left_running} The reverse task no longer exists, after a cutover (or the phase could not be \
                     read): what it had not carried back is not on production. Compare the two databases."
                ),
            ),
        )
        .then(
            "ReverseTaskWillNotRun",
            page(
                incomplete,
                format!(
                    "{left_running} The reverse task stopped or failed and could not be resumed to drain: see its \
                     last failure message, resume it by hand and run the rollback again."
                ),
            ),
        )
        .then(
            "ReverseStoppedWhileDraining",
            page(
                incomplete,
                format!(
                    "{left_running} The reverse task stopped before its drain was confirmed: resume it and run the \
                     rollback again."
                ),
            ),
        )
        .then(
            "DrainTimedOut",
            page(
                incomplete,
                format!(
                    "{left_running} The reverse task's CDC latency did not stay under {latency} s within \
                     {MAX_DRAIN_MINUTES} min; it was left running so that no change is stranded. Stop it once its \
                     latency is down."
                ),
            ),
        )
        .then(
            "PhaseNotRecorded",
            page(
                "Rollback.PhaseNotRecorded",
                "Traffic is on production and both tasks are stopped, the reverse task drained, but workflow/phase \
                 could not be set to rolled-back: run the rollback again (it finds nothing left to do) so that a \
                 new migration may start.",
            ),
        )
        .then(
            "ReverseTaskNotStopped",
            page(
                "Rollback.ReverseTaskNotStopped",
                format!(
                    "Traffic is on production and the reverse task drained, but it did not stop within {} s: stop \
                     it by hand.",
                    pace::TASK_STOP.seconds()
                ),
            ),
        )
        .append(
            Sequence::handled(Handling::retrying(CALL).catching(
                Catcher::new(vec![ErrorName::All], "RollbackFailed").result_path(UNREAD),
            ))
            .then(
                NOTIFY_FAILURE,
                call(notify(
                    r,
                    json!({
                        "event": "rollback-failed",
                        "environment": env.name,
                        "execution.$": "$$.Execution.Id",
                        "error.$": "$.error",
                        "found.$": READS.as_str(),
                    }),
                ))
                .parameter(
                    "Subject",
                    json!(format!("Payment migration {}: rollback FAILED", env.name)),
                )
                .result_path(DISCARDED),
            ),
        )
        .then(
            "RollbackFailed",
            Fail::new()
                .comment(
                    "Ends with the error the page named (Rollback.TrafficNotMoved, Rollback.ReplicationBackIncomplete, \
                     ...): the workflow-failed alarm pages on it even when the topic could not be reached",
                )
                .error_path("$.error.Error")
                .cause_path("$.error.Cause"),
        )
}
