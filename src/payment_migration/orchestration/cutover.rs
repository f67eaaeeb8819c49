//! The migration's cutover phase: the only part of either workflow that sends payments to the migration side.
//!
//! 1. Before anything: the split must still be `0`, the switch `false` and the phase `cutover` (an operator may
//!    have acted during the approval's long wait), and the forward task running.
//! 2. `enable-cutover` to `true`; the reverse task started (or resumed), and awaited until it is `running` and its
//!    CDC-latency gate is OK: a write taken on the migration side from now on flows back to production.
//! 3. For each of the spec's steps: the switches and both tasks read again (the split must be what this
//!    execution last wrote, the switch still on, both tasks running); the split raised; then the step bakes,
//!    checking the switches, both tasks, the migration-health alarm and the reverse gate at each look.
//!
//! A change of the split or the switch that this execution did not make ends it in `taken-back`; a task that
//! stops, an alarm, the reverse gate or health that cannot be read for too long end it through the rollback.

use serde_json::{Value, json};

use crate::asl::integration::ssm_put_parameter;
use crate::asl::{
    Catcher, Choice, Condition, ErrorName, Fail, Handling, Input, Pass, Path, Poll, Sequence,
    Succeed,
};
use crate::spec::Environment;

use super::super::configuration::Phase;
use super::pace::{self, Pace};
use super::pieces::{
    ALARMS, CALL, DISCARDED, GATE, POLL, POLL_READ, READS, SWITCHES, TASKS, UNKNOWN, UNREAD,
    announce, both_running, call, checkpoint, contains, handled, notify, read_bake_alarms,
    read_gate, read_switches, read_task, read_tasks, start_task, task_facts, unknown,
    unknown_alarms, unknown_switches, unknown_tasks,
};
use super::{FAILED, Resources, TAKEN_BACK, failure};

/// The traffic shift's progress: the spec's `Steps`, the split before each (`From`), the step being made
/// (`Index`), its `Percent` and the split this execution `Last` wrote before it.
pub(super) const TRAFFIC: Path = Path::new("$.traffic");
/// The facts a one-off decision is taken on.
const CHECK: Path = Path::new("$.check");
/// A step's health checks: `Polls`, `Unknowns` and the facts of the last check.
const BAKE: Path = POLL;
/// Waiting for the reverse task to run, then for its gate.
const REVERSE: Path = POLL;
const REVERSE_GATE: Path = POLL;

/// The cutover phase, entered at `RecordCutover`; it ends in `RecordComplete`.
pub(super) fn cutover(r: &Resources, env: &Environment, pace: &Pace) -> Sequence {
    announce(r, env, "Cutover", Phase::Cutover, FAILED)
        .append(before_cutover(r))
        .append(start_reverse(r))
        .append(traffic_steps(r, env, pace))
        .append(announce(r, env, "Complete", Phase::Complete, FAILED))
        .then(
            "MigrationComplete",
            Succeed::new().comment(
                "All traffic on the migration backend with both tasks running: reverse CDC keeps production current",
            ),
        )
}

fn before_cutover(r: &Resources) -> Sequence {
    let values = SWITCHES.at("Values");
    let forward = READS.at("Forward");
    handled(FAILED)
        .then("ReadSwitchesBeforeCutover", read_switches(r))
        .then(
            "DescribeForwardTaskBeforeCutover",
            read_task(&r.replication.forward_task, &forward),
        )
        .then(
            "AssessCutover",
            Pass::new()
                .parameters(json!({
                    "SwitchCount.$": format!("States.ArrayLength({values})"),
                    "SplitAtZero.$": contains(&values, "0"),
                    "CutoverOff.$": contains(&values, "false"),
                    "StillCutover.$": contains(&values, Phase::Cutover.as_str()),
                    "ForwardRunning.$": contains(&format!("{forward}.Statuses"), "running"),
                }))
                .result_path(CHECK),
        )
        .then(
            "MayCutOver",
            Choice::new()
                .comment("Nothing may have moved since the approval was asked for, and CDC must be running")
                .when(
                    Condition::or(vec![
                        Condition::not(Condition::numeric_equals(CHECK.at("SwitchCount"), 3)),
                        Condition::boolean_equals(CHECK.at("SplitAtZero"), false),
                        Condition::boolean_equals(CHECK.at("CutoverOff"), false),
                        Condition::boolean_equals(CHECK.at("StillCutover"), false),
                    ]),
                    TAKEN_BACK,
                )
                .when(
                    Condition::boolean_equals(CHECK.at("ForwardRunning"), false),
                    "ForwardTaskNotRunning",
                )
                .otherwise("EnableCutover"),
        )
        .then(
            "ForwardTaskNotRunning",
            failure(
                "Migration.ForwardTaskNotRunning",
                "The forward task was not running when the cutover began: the migration side would miss \
                 production's latest writes",
            ),
        )
        .then(
            "EnableCutover",
            call(ssm_put_parameter(
                &r.configuration.enable_cutover,
                Input::text("true"),
            ))
            .result_path(DISCARDED),
        )
}

/// Starts the reverse task and waits until it runs and its gate is OK.
fn start_reverse(r: &Resources) -> Sequence {
    let reverse_task = &r.replication.reverse_task;
    let started = Poll::new(
        "ReverseTask",
        REVERSE,
        pace::TASK_START.interval_seconds,
        pace::TASK_START.max_polls,
    );
    let read = read_task(reverse_task, &READS.at("Reverse"));
    let gone = read.integration().error("ResourceNotFoundFault");
    let started = started
        .forgetting(READS, json!({"Reverse": {"Statuses": unknown()}}))
        .reads(Sequence::new().then(
            "DescribeStartingReverseTask",
            read.catch(Catcher::new(vec![gone], "ReverseTaskNotRunning").result_path(UNREAD)),
        ))
        .tolerating_failed_reads(POLL_READ, UNREAD)
        .fact("Statuses.$", json!(READS.at("Reverse.Statuses")))
        .fact(
            "Running.$",
            contains(&READS.at("Reverse.Statuses"), "running"),
        )
        .fact(
            "Failed.$",
            contains(&READS.at("Reverse.Statuses"), "failed"),
        )
        .fact(
            "Stopped.$",
            contains(&READS.at("Reverse.Statuses"), "stopped"),
        )
        .fact(
            "Stopping.$",
            contains(&READS.at("Reverse.Statuses"), "stopping"),
        )
        .fact(
            "Found.$",
            json!(format!(
                "States.ArrayLength({})",
                READS.at("Reverse.Statuses")
            )),
        )
        .decided_by("IsReverseTaskRunning")
        .when(
            Condition::boolean_equals(REVERSE.at("Running"), true),
            "StartReverseGatePolls",
        )
        .when(
            Condition::or(vec![
                Condition::boolean_equals(REVERSE.at("Failed"), true),
                Condition::boolean_equals(REVERSE.at("Stopped"), true),
                Condition::boolean_equals(REVERSE.at("Stopping"), true),
                Condition::numeric_equals(REVERSE.at("Found"), 0),
            ]),
            "ReverseTaskNotRunning",
        )
        .otherwise("ReverseTaskStartTimedOut");
    let gate = Poll::new(
        "ReverseGate",
        REVERSE_GATE,
        pace::REVERSE_GATE.interval_seconds,
        pace::REVERSE_GATE.max_polls,
    )
    .forgetting(READS, json!({"Gate": {"States": unknown()}}))
    .reads(Sequence::new().then(
        "DescribeReverseGate",
        read_gate(&r.alarms.reverse_cdc_latency, "reverse"),
    ))
    .tolerating_failed_reads(POLL_READ, UNREAD)
    .fact("CaughtUp.$", contains(&GATE.at("States"), "OK"))
    .decided_by("IsReverseReplicationCaughtUp")
    .when(
        Condition::boolean_equals(REVERSE_GATE.at("CaughtUp"), true),
        "StartTrafficShift",
    )
    .otherwise("ReverseReplicationNotCaughtUp");
    start_task(
        reverse_task,
        "ReverseTask",
        &started.start_state(),
        "ReverseTaskNotStartable",
        FAILED,
    )
    .then(
        "ReverseTaskNotStartable",
        failure(
            "Migration.ReverseTaskNotStartable",
            "The reverse task is absent, or being created, modified, stopped or deleted: no write taken on the \
             migration side could flow back to production, so no traffic moved",
        ),
    )
    .append(started.into_sequence())
    .then(
        "ReverseTaskNotRunning",
        failure(
            "Migration.ReverseTaskNotRunning",
            "The reverse task stopped or failed instead of running: see its last failure message in the DMS \
             console; no traffic moved",
        ),
    )
    .then(
        "ReverseTaskStartTimedOut",
        failure(
            "Migration.ReverseTaskStartTimedOut",
            format!(
                "The reverse task was not running {} s after it was started; no traffic moved",
                pace::TASK_START.seconds()
            ),
        ),
    )
    .append(gate.into_sequence())
    .then(
        "ReverseReplicationNotCaughtUp",
        failure(
            "Migration.ReverseReplicationNotCaughtUp",
            format!(
                "The reverse task's CDC-latency gate was not OK within {} s of its start; no traffic moved",
                pace::REVERSE_GATE.seconds()
            ),
        ),
    )
}

/// The spec's steps, each checked before and baked after.
fn traffic_steps(r: &Resources, env: &Environment, pace: &Pace) -> Sequence {
    let steps: Vec<Value> = env
        .orchestration
        .traffic_steps
        .iter()
        .map(|p| json!(p.to_string()))
        .collect();
    let mut from = vec![json!("0")];
    from.extend(steps.iter().take(steps.len().saturating_sub(1)).cloned());
    let rounds = u32::try_from(steps.len())
        .unwrap_or(u32::MAX)
        .saturating_sub(1);
    Sequence::new()
        .then(
            "StartTrafficShift",
            Pass::new()
                .comment("The spec's traffic steps in percent, and the split before each")
                .result(json!({"Steps": steps, "From": from, "Index": 0}))
                .result_path(TRAFFIC),
        )
        .then(
            "PrepareTrafficStep",
            Pass::new()
                .parameters(json!({
                    "Steps.$": TRAFFIC.at("Steps"),
                    "From.$": TRAFFIC.at("From"),
                    "Index.$": TRAFFIC.at("Index"),
                    "Count.$": format!("States.ArrayLength({})", TRAFFIC.at("Steps")),
                    "Percent.$": format!("States.ArrayGetItem({}, {})", TRAFFIC.at("Steps"), TRAFFIC.at("Index")),
                    "Last.$": format!("States.ArrayGetItem({}, {})", TRAFFIC.at("From"), TRAFFIC.at("Index")),
                }))
                .result_path(TRAFFIC),
        )
        .bounded_loop("PrepareTrafficStep", rounds)
        .append(before_step(r))
        .append(raise_split(r, env))
        .append(bake(r, pace))
        .then(
            "NextTrafficStep",
            Pass::new()
                .parameters(json!({
                    "Steps.$": TRAFFIC.at("Steps"),
                    "From.$": TRAFFIC.at("From"),
                    "Index.$": format!("States.MathAdd({}, 1)", TRAFFIC.at("Index")),
                    "Count.$": TRAFFIC.at("Count"),
                }))
                .result_path(TRAFFIC),
        )
        .then(
            "IsShiftComplete",
            Choice::new()
                .when(
                    Condition::numeric_less_than_path(TRAFFIC.at("Index"), TRAFFIC.at("Count")),
                    "PrepareTrafficStep",
                )
                .otherwise("RecordComplete"),
        )
}

/// Before a step raises the split: the split is what this execution last wrote, the switch is on, both tasks
/// run.
fn before_step(r: &Resources) -> Sequence {
    let values = SWITCHES.at("Values");
    let mut facts = serde_json::Map::new();
    facts.insert(
        "SwitchCount.$".into(),
        json!(format!("States.ArrayLength({values})")),
    );
    facts.insert(
        "SplitAsWritten.$".into(),
        json!(format!(
            "States.ArrayContains({values}, {})",
            TRAFFIC.at("Last")
        )),
    );
    facts.insert("CutoverOn.$".into(), contains(&values, "true"));
    for (key, value) in task_facts() {
        facts.insert(key.into(), value);
    }
    handled(FAILED)
        .then("ReadSwitchesBeforeStep", read_switches(r))
        .then("DescribeTasksBeforeStep", read_tasks(r))
        .then(
            "AssessTrafficStep",
            Pass::new().parameters(Value::Object(facts)).result_path(CHECK),
        )
        .then(
            "MayRaiseTraffic",
            Choice::new()
                .comment("The operator's hand wins: a split or switch this execution did not set ends it")
                .when(
                    Condition::or(vec![
                        Condition::not(Condition::numeric_equals(CHECK.at("SwitchCount"), 3)),
                        Condition::boolean_equals(CHECK.at("SplitAsWritten"), false),
                        Condition::boolean_equals(CHECK.at("CutoverOn"), false),
                    ]),
                    TAKEN_BACK,
                )
                .when(Condition::not(both_running(CHECK)), "ReplicationStopped")
                .otherwise("SetTrafficSplit"),
        )
}

fn raise_split(r: &Resources, env: &Environment) -> Sequence {
    handled(FAILED)
        .then(
            "SetTrafficSplit",
            call(ssm_put_parameter(
                &r.configuration.traffic_split_percentage,
                Input::path(TRAFFIC.at("Percent")),
            ))
            .result_path(DISCARDED),
        )
        .then(
            "CheckpointTrafficStep",
            call(checkpoint(
                r,
                "{}/traffic-{}.json",
                &["$$.Execution.Name", &TRAFFIC.at("Percent")],
            ))
            .result_path(DISCARDED),
        )
        .then(
            "NotifyTrafficStep",
            call(notify(
                r,
                json!({
                    "event": "traffic-step",
                    "environment": env.name,
                    "execution.$": "$$.Execution.Id",
                    "trafficSplitPercentage.$": TRAFFIC.at("Percent"),
                }),
            ))
            .parameter(
                "Subject",
                json!(format!("Payment migration {}: traffic step", env.name)),
            )
            .result_path(DISCARDED),
        )
}

/// A step's bake: `pace.bake.max_polls` checks that could be read, each of the switches, both tasks, the
/// migration-health alarm and the reverse gate; up to [`pace::UNKNOWN_CHECKS_TOLERATED`] more that could not.
fn bake(r: &Resources, pace: &Pace) -> Sequence {
    let poll = bake_poll(r, pace);
    let wait = poll.wait_state();
    poll.into_sequence()
        .append(count_unknown_check(pace, wait))
        .append(bake_failures())
}

/// What each bake check decides on, from the switches (`SwitchesUnknown`, `SwitchCount`, `SplitAsWritten`,
/// `CutoverOn`), both tasks (`TasksUnknown` and the [`task_facts`]), the migration-health alarm (`HealthUnknown`,
/// `HealthOk`) and the reverse gate (`GateUnknown`, `GateOk`).
fn bake_facts() -> Vec<(String, Value)> {
    let values = SWITCHES.at("Values");
    let fact = |key: &str, list: String, value: &str| (key.to_string(), contains(&list, value));
    let mut facts = vec![
        fact("SwitchesUnknown.$", values.clone(), UNKNOWN),
        (
            "SwitchCount.$".to_string(),
            json!(format!("States.ArrayLength({values})")),
        ),
        (
            "SplitAsWritten.$".to_string(),
            json!(format!(
                "States.ArrayContains({values}, {})",
                TRAFFIC.at("Percent")
            )),
        ),
        fact("CutoverOn.$", values.clone(), "true"),
        fact("TasksUnknown.$", TASKS.at("Statuses"), UNKNOWN),
        fact("HealthUnknown.$", ALARMS.at("Health"), UNKNOWN),
        fact("HealthOk.$", ALARMS.at("Health"), "OK"),
        fact("GateUnknown.$", ALARMS.at("ReverseGate"), UNKNOWN),
        fact("GateOk.$", ALARMS.at("ReverseGate"), "OK"),
    ];
    facts.extend(task_facts().map(|(k, v)| (k.to_string(), v)));
    facts
}

/// The bake's poll `Bake`: each round reads the switches, both tasks and the alarms (a read that fails leaves
/// them unknown) and decides at `IsStepHealthy`: an operator's change is [`TAKEN_BACK`], a stopped task, an
/// unhealthy migration or a lagging reverse gate fail the step, an unknown check is counted, and enough healthy
/// checks go on to `NextTrafficStep`.
fn bake_poll(r: &Resources, pace: &Pace) -> Poll {
    let checks = pace.bake.max_polls;
    let tolerated = pace::UNKNOWN_CHECKS_TOLERATED;
    let known_and = |unknown: &str, fact: &str, value: bool| {
        Condition::and(vec![
            Condition::boolean_equals(BAKE.at(unknown), false),
            Condition::boolean_equals(BAKE.at(fact), value),
        ])
    };
    let mut poll = Poll::new("Bake", BAKE, pace.bake.interval_seconds, checks + tolerated)
        .initially("Unknowns", json!(0))
        .forgetting(
            READS,
            json!({"Switches": unknown_switches(), "Tasks": unknown_tasks(), "Alarms": unknown_alarms()}),
        )
        .reads(
            Sequence::new()
                .then("ReadSwitchesWhileBaking", read_switches(r))
                .then("DescribeTasksWhileBaking", read_tasks(r))
                .then("DescribeAlarmsWhileBaking", read_bake_alarms(r)),
        )
        .tolerating_failed_reads(POLL_READ, UNREAD)
        .fact("Unknowns.$", json!(BAKE.at("Unknowns")));
    for (key, value) in bake_facts() {
        poll = poll.fact(&key, value);
    }
    poll.decided_by("IsStepHealthy")
        .when(
            Condition::and(vec![
                Condition::boolean_equals(BAKE.at("SwitchesUnknown"), false),
                Condition::or(vec![
                    Condition::not(Condition::numeric_equals(BAKE.at("SwitchCount"), 3)),
                    Condition::boolean_equals(BAKE.at("SplitAsWritten"), false),
                    Condition::boolean_equals(BAKE.at("CutoverOn"), false),
                ]),
            ]),
            TAKEN_BACK,
        )
        .when(
            Condition::and(vec![
                Condition::boolean_equals(BAKE.at("TasksUnknown"), false),
                Condition::not(both_running(BAKE)),
            ]),
            "ReplicationStopped",
        )
        .when(
            known_and("HealthUnknown", "HealthOk", false),
            "MigrationUnhealthy",
        )
        .when(
            known_and("GateUnknown", "GateOk", false),
            "ReverseReplicationLagging",
        )
        .when(
            Condition::or(
                [
                    "SwitchesUnknown",
                    "TasksUnknown",
                    "HealthUnknown",
                    "GateUnknown",
                ]
                .iter()
                .map(|f| Condition::boolean_equals(BAKE.at(f), true))
                .collect(),
            ),
            "CountUnknownCheck",
        )
        .when(
            Condition::numeric_greater_than_equals(BAKE.at("Polls"), checks),
            "NextTrafficStep",
        )
        .otherwise("HealthUnknown")
}

/// A check that could not be read is counted (`CountUnknownCheck`): more than
/// [`pace::UNKNOWN_CHECKS_TOLERATED`] in a step roll back (`HealthUnknown`); otherwise the poll goes back to its
/// `wait` while it has rounds left.
fn count_unknown_check(pace: &Pace, wait: String) -> Sequence {
    let checks = pace.bake.max_polls;
    let tolerated = pace::UNKNOWN_CHECKS_TOLERATED;
    Sequence::new()
        .then(
            "CountUnknownCheck",
            Pass::new()
                .parameters(json!({
                    "Polls.$": BAKE.at("Polls"),
                    "Unknowns.$": format!("States.MathAdd({}, 1)", BAKE.at("Unknowns")),
                }))
                .result_path(BAKE)
                .next("AreTooManyChecksUnknown"),
        )
        .then(
            "AreTooManyChecksUnknown",
            Choice::new()
                .comment(format!(
                    "A check that could not be read is not a healthy one; more than {tolerated} in a step roll back"
                ))
                .when(
                    Condition::numeric_greater_than(BAKE.at("Unknowns"), tolerated),
                    "HealthUnknown",
                )
                .when(
                    Condition::numeric_less_than(BAKE.at("Polls"), checks + tolerated),
                    wait,
                )
                .otherwise("HealthUnknown"),
        )
}

/// How a bake fails, each recorded in `$.error` for the rollback: a DMS task stopped, the migration-health alarm
/// not OK, the reverse task's CDC-latency gate not OK, or too many checks unknown.
fn bake_failures() -> Sequence {
    let tolerated = pace::UNKNOWN_CHECKS_TOLERATED;
    Sequence::new()
        .then(
            "ReplicationStopped",
            failure(
                "Migration.ReplicationStopped",
                "A DMS task was not running during the traffic shift: without the reverse task writes taken on the \
                 migration side would not reach production, without the forward task production's would not \
                 reach the migration side (the statuses are in failed.json, $.reads.Tasks)",
            ),
        )
        .then(
            "MigrationUnhealthy",
            failure(
                "Migration.Unhealthy",
                "The migration-health alarm was not OK while a traffic step baked: see which of its alarms fired",
            ),
        )
        .then(
            "ReverseReplicationLagging",
            failure(
                "Migration.ReverseReplicationLagging",
                "The reverse task's CDC-latency gate was not OK while a traffic step baked: writes on the \
                 migration side reach production late",
            ),
        )
        .then(
            "HealthUnknown",
            failure(
                "Migration.HealthUnknown",
                format!(
                    "More than {tolerated} health checks of a traffic step could not be read (the switches, the \
                     tasks or the alarms): with health unknown, traffic goes back to production"
                ),
            ),
        )
}

/// Where an operator's change leads: the phase `taken-back` (unless a rollback is already writing the phase),
/// a message saying what is left, and a failed execution that starts no rollback of its own.
pub(super) fn taken_back(r: &Resources, env: &Environment) -> Sequence {
    let found = Path::new("$.takeBack");
    Sequence::new()
        .then(
            TAKEN_BACK,
            Pass::new()
                .parameters(json!({
                    "RollingBack.$": contains(&SWITCHES.at("Values"), Phase::RollingBack.as_str()),
                    "RolledBack.$": contains(&SWITCHES.at("Values"), Phase::RolledBack.as_str()),
                }))
                .result_path(found),
        )
        .then(
            "IsARollbackRunning",
            Choice::new()
                .comment("A rollback that already runs owns the phase")
                .when(
                    Condition::or(vec![
                        Condition::boolean_equals(found.at("RollingBack"), true),
                        Condition::boolean_equals(found.at("RolledBack"), true),
                    ]),
                    "NotifyTakenBack",
                )
                .otherwise("RecordTakenBack"),
        )
        .append(
            Sequence::handled(
                Handling::retrying(CALL)
                    .catching(Catcher::new(vec![ErrorName::All], "NotifyTakenBack").result_path(UNREAD)),
            )
            .then(
                "RecordTakenBack",
                call(ssm_put_parameter(
                    &r.configuration.phase,
                    Input::text(Phase::TakenBack.as_str()),
                ))
                .result_path(DISCARDED),
            )
            .then(
                "CheckpointTakenBack",
                call(checkpoint(r, "{}/taken-back.json", &["$$.Execution.Name"]))
                    .result_path(DISCARDED),
            ),
        )
        .append(
            Sequence::handled(Handling::retrying(CALL).catching(
                Catcher::new(vec![ErrorName::All], "TakenBackByOperator").result_path(UNREAD),
            ))
            .then(
                "NotifyTakenBack",
                call(notify(
                    r,
                    json!({
                        "event": "taken-back",
                        "environment": env.name,
                        "execution.$": "$$.Execution.Id",
                        "found.$": READS.as_str(),
                        "left": "The migration stopped shifting traffic because the split or the cutover switch \
                                 changed without it. It started no rollback: if none runs, start the rollback \
                                 workflow, which sends every payment to production, drains the reverse task and \
                                 stops both tasks.",
                    }),
                ))
                .parameter(
                    "Subject",
                    json!(format!(
                        "Payment migration {}: traffic taken back by an operator",
                        env.name
                    )),
                )
                .result_path(DISCARDED),
            ),
        )
        .then(
            "TakenBackByOperator",
            Fail::new().error("Migration.TakenBack").cause(
                "The split or the cutover switch changed without this execution: it stopped shifting traffic and \
                 left the rollback to the operator",
            ),
        )
}
