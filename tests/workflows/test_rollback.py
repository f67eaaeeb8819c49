"""The rollback workflow, executed: the rendered `rollback.asl.json` (out/dev/ unless MIGEN_WORKFLOWS_DIR says
otherwise) runs in moto's Amazon States Language interpreter against moto's SSM, S3, SNS, DMS and CloudWatch,
through the `world` fixture (harness.py lists what it changes in the document and in moto).

What the rollback does, in order: traffic to production (the split, then the switch), what it found saved, the
forward task stopped, the reverse task settled (a stopped one resumed once), drained until its CDC-latency gate
is OK over a window after the settings TTL, confirmed once more after one more maximum latency, stopped, and the
phase `rolled-back`. Every failure is a page whose error the execution ends with. The tests read the drain's
bounds and every wait from the document; the waits are recorded instead of slept, and a test sets the gate's
state or a task's status at a given wait.

These are chosen paths in a real interpreter. Every path (a task `starting`, a throttled read, an operator at any
wait, DMS's ResourceNotFoundFault for a deleted task, the rollback run from any state the migration leaves and
run twice) is explored in tests/workflow_paths.rs. What moto cannot model, so these tests do not claim it
(besides the list in harness.py):
- DMS answers a filter that matches no task with an empty list (AWS: ResourceNotFoundFault): the tests with a
  deleted task take the empty-list path only;
- the gate's metric: no CDC latency is measured, the test sets the alarm's state; so "the gate's window lies after
  the settings TTL" is checked only as "no stop before the minimum number of polls".
"""

from __future__ import annotations

from typing import Any

import pytest

from .harness import ALARMS, PARAMETERS, ROLLBACK_BUCKET, Run, World, choice_rule, operand

INCOMPLETE = "Rollback.ReplicationBackIncomplete"


@pytest.fixture
def mid_migration(world: World) -> World:
    """The parameters as a migration in CDC, at 25 % with cutover enabled, leaves them."""
    return at_phase(world, "cdc")


def at_phase(world: World, phase: str, split: str = "25", cutover: str = "true") -> World:
    for key, value in (("phase", phase), ("split", split), ("cutover", cutover)):
        world.ssm.put_parameter(Name=PARAMETERS[key], Value=value, Type="String", Overwrite=True)
    return world


def start(world: World, arn: str) -> None:
    world.dms.start_replication_task(ReplicationTaskArn=arn, StartReplicationTaskType="start-replication")


# --- reading the document


def drain_bounds(world: World) -> tuple[int, int]:
    """(minimum polls before an OK gate is trusted, polls after which the drain gives up), from IsDrainOver."""
    document = world.documents["rollback"]
    trusted = choice_rule(document, "IsDrainOver", "WaitForLastChanges")
    minimum = operand(trusted, "$.poll.Polls", "NumericGreaterThanEquals")
    maximum = operand(choice_rule(document, "IsDrainOver", "WaitForDrain"), "$.poll.Polls", "NumericLessThan")
    assert 1 < minimum < maximum
    return minimum, maximum


def wait_seconds(world: World, state: str) -> int:
    seconds: int = world.documents["rollback"]["States"][state]["Seconds"]
    return seconds


def page_error(world: World, state: str) -> str:
    error: str = world.documents["rollback"]["States"][state]["Result"]["Error"]
    return error


# --- observing it


def assert_traffic_on_production(world: World, run: Run) -> None:
    assert world.parameter("split") == "0"
    assert world.parameter("cutover") == "false"
    # Traffic goes back to production before anything else is read or written.
    assert run.entered[run.entered.index("RouteAllTrafficToProduction") :][:2] == [
        "RouteAllTrafficToProduction",
        "DisableCutover",
    ]
    assert [state for state, _ in run.scheduled()][:2] == ["RouteAllTrafficToProduction", "DisableCutover"]


def assert_rolled_back(world: World, run: Run) -> None:
    assert run.status == "SUCCEEDED", run.describe()
    assert_traffic_on_production(world, run)
    assert world.parameter("phase") == "rolled-back"
    assert run.entered[-3:] == ["RecordRolledBack", "NotifyRolledBack", "RolledBack"]


def assert_paged(world: World, run: Run, page: str, error: str = INCOMPLETE) -> None:
    """The run ended in `page`: it failed with the page's error, told the topic, and left the phase
    `rolling-back` (a failed rollback is not a rolled-back one)."""
    assert run.status == "FAILED", run.describe()
    assert run.entered[-3:] == [page, "NotifyRollbackFailed", "RollbackFailed"]
    assert page_error(world, page) == error
    assert run.error == error
    assert "RecordRolledBack" not in run.entered
    [message] = [m for m in world.messages() if m["event"] == "rollback-failed"]
    assert message["error"]["Error"] == error
    assert message["execution"] == run.arn


def saved_states(world: World) -> list[dict[str, Any]]:
    saved = world.objects(ROLLBACK_BUCKET)
    assert all(key.startswith("rollback/") for key in saved)
    return list(saved.values())


def statuses(saved: dict[str, Any]) -> dict[str, str]:
    """{task identifier: status} of a saved state."""
    assert len(saved["tasks"]) == len(saved["taskStatuses"])
    return dict(zip(saved["tasks"], saved["taskStatuses"], strict=False))


# --- the paths


def test_rollback_when_nothing_was_started(mid_migration: World) -> None:
    world = mid_migration
    run = world.run("rollback", '{"reason": "operator drill"}')

    assert_rolled_back(world, run)
    assert "StopForwardTask" not in run.entered
    assert "StartDrainPolls" not in run.entered
    assert world.status(world.forward) == "ready"
    [(key, saved)] = world.objects(ROLLBACK_BUCKET).items()
    assert key == f"rollback/{run.name}"
    assert {k: v for k, v in saved.items() if k not in ("tasks", "taskStatuses")} == {
        "environment": "dev",
        "execution": run.arn,
        "reason": "operator drill",
        "phase": ["cdc"],
    }
    assert sorted(statuses(saved).values()) == ["ready", "ready"]
    [message] = world.messages()
    assert message["event"] == "rolled-back"
    assert message["reason"] == "operator drill"
    assert message["before"]["phase"] == ["cdc"]
    assert [p["Value"] for p in run.task_parameters("RecordRollingBack")] == ["rolling-back"]


def test_rollback_stops_the_running_forward_task(mid_migration: World) -> None:
    world = mid_migration
    start(world, world.forward)

    run = world.run("rollback")

    assert_rolled_back(world, run)
    assert run.count("StopForwardTask") == 1
    # Stopped, then awaited: the next look sees it stopped.
    after = run.entered[run.entered.index("StopForwardTask") :]
    assert after[:3] == ["StopForwardTask", "WaitForForwardTaskStop", "ForgetForwardTaskStop"]
    assert world.waits.seconds("WaitForForwardTaskStop") == [wait_seconds(world, "WaitForForwardTaskStop")]
    assert world.status(world.forward) == "stopped"
    [saved] = saved_states(world)
    assert saved["reason"] == "manual"
    assert "running" in saved["taskStatuses"]
    assert [m["event"] for m in world.messages()] == ["rolled-back"]


def test_rollback_run_twice_succeeds_both_times(mid_migration: World) -> None:
    world = mid_migration
    start(world, world.forward)

    first = world.run("rollback", '{"reason": "first"}')
    second = world.run("rollback", '{"reason": "second"}')

    assert_rolled_back(world, first)
    assert_rolled_back(world, second)
    assert "StopForwardTask" in first.entered
    assert "StopForwardTask" not in second.entered
    assert world.status(world.forward) == "stopped"
    saved = {s["reason"]: s for s in saved_states(world)}
    assert set(saved) == {"first", "second"}
    assert saved["second"]["phase"] == ["rolled-back"]
    assert "running" not in saved["second"]["taskStatuses"]
    assert [m["event"] for m in world.messages()] == ["rolled-back", "rolled-back"]


def test_rollback_skips_an_already_stopped_forward_task(mid_migration: World) -> None:
    world = mid_migration
    start(world, world.forward)
    world.dms.stop_replication_task(ReplicationTaskArn=world.forward)

    run = world.run("rollback")

    assert_rolled_back(world, run)
    assert "StopForwardTask" not in run.entered
    assert world.status(world.forward) == "stopped"


def test_rollback_awaits_a_stopping_forward_task(mid_migration: World) -> None:
    """A `stopping` forward task is not stopped again: it is looked at until it has stopped."""
    world = mid_migration
    world.set_task_status(world.forward, "stopping")
    world.waits.on("WaitForForwardTaskStop", lambda n: n == 2 and world.set_task_status(world.forward, "stopped"))

    run = world.run("rollback")

    assert_rolled_back(world, run)
    assert "StopForwardTask" not in run.entered
    assert run.count("DescribeForwardTask") == 3


def test_rollback_pages_when_the_forward_task_will_not_stop(mid_migration: World) -> None:
    """A forward task that stays `modifying` is not touched; once the bound is spent the rollback pages, and
    leaves the reverse task alone."""
    world = mid_migration
    world.set_task_status(world.forward, "modifying")
    maximum = operand(
        choice_rule(world.documents["rollback"], "IsForwardTaskStopped", "WaitForForwardTaskStop"),
        "$.poll.Polls",
        "NumericLessThan",
    )

    run = world.run("rollback")

    assert_paged(world, run, "ForwardTaskNotStopped", "Rollback.ForwardTaskNotStopped")
    assert_traffic_on_production(world, run)
    assert run.count("DescribeForwardTask") == maximum
    assert "DescribeReverseTask" not in run.entered
    assert world.parameter("phase") == "rolling-back"


def test_rollback_drains_then_stops_a_running_reverse_task(mid_migration: World) -> None:
    """The gate is OK from the first poll, but is trusted only at the minimum number of polls, and confirmed once
    more after one more maximum latency."""
    world = mid_migration
    start(world, world.reverse)
    minimum, _ = drain_bounds(world)

    run = world.run("rollback")

    assert_rolled_back(world, run)
    assert run.count("DescribeReverseLatencyGate") == minimum
    assert run.count("DescribeDrainingReverseTask") == minimum
    assert world.waits.seconds("WaitForDrain") == [wait_seconds(world, "WaitForDrain")] * minimum
    assert world.waits.seconds("WaitForLastChanges") == [wait_seconds(world, "WaitForLastChanges")]
    order = run.entered
    last_poll = len(order) - 1 - order[::-1].index("IsDrainOver")
    assert order[last_poll : last_poll + 8] == [
        "IsDrainOver",
        "WaitForLastChanges",
        "ForgetBeforeStop",
        "DescribeReverseTaskBeforeStop",
        "DescribeReverseGateBeforeStop",
        "AssessDrain",
        "IsDrainConfirmed",
        "StopReverseTask",
    ]
    gates = {
        p["AlarmNames"][0]
        for s in ("DescribeReverseLatencyGate", "DescribeReverseGateBeforeStop")
        for p in run.task_parameters(s)
    }
    assert gates == {ALARMS["reverse-gate"]}
    assert world.status(world.reverse) == "stopped"
    assert order.index("StopReverseTask") < order.index("RecordRolledBack")
    assert "DescribeStoppingReverseTask" in order[order.index("StopReverseTask") :]


def test_rollback_drain_waits_for_the_gate_to_open(mid_migration: World) -> None:
    """The gate is not OK at the minimum number of polls: the drain goes on until it is, then stops the task."""
    world = mid_migration
    start(world, world.reverse)
    minimum, maximum = drain_bounds(world)
    opens_at = minimum + 2
    assert opens_at < maximum
    world.set_alarm(ALARMS["reverse-gate"], "ALARM")
    states = {1: "INSUFFICIENT_DATA", opens_at: "OK"}
    world.waits.on("WaitForDrain", lambda n: n in states and world.set_alarm(ALARMS["reverse-gate"], states[n]))

    run = world.run("rollback")

    assert_rolled_back(world, run)
    assert run.count("DescribeReverseLatencyGate") == opens_at
    assert [o["poll"]["CaughtUp"] for o in run.state_outputs("CountDrainPoll")] == [False] * (opens_at - 1) + [True]
    assert world.status(world.reverse) == "stopped"


def test_rollback_drain_goes_on_when_the_last_look_finds_the_gate_closed(mid_migration: World) -> None:
    """The gate was OK, but after the last wait it is not: the task is not stopped, the drain goes on until the
    gate is OK again and confirmed."""
    world = mid_migration
    start(world, world.reverse)
    minimum, _ = drain_bounds(world)
    world.waits.on("WaitForLastChanges", lambda n: n == 1 and world.set_alarm(ALARMS["reverse-gate"], "ALARM"))
    world.waits.on("WaitForDrain", lambda n: n == minimum + 1 and world.set_alarm(ALARMS["reverse-gate"], "OK"))

    run = world.run("rollback")

    assert_rolled_back(world, run)
    assert [o["confirm"]["CaughtUp"] for o in run.state_outputs("AssessDrain")] == [False, True]
    assert run.count("WaitForLastChanges") == 2
    assert run.count("StopReverseTask") == 1
    assert run.count("DescribeReverseLatencyGate") == minimum + 1
    assert world.status(world.reverse) == "stopped"


def test_rollback_drain_timeout_leaves_the_reverse_task_running(mid_migration: World) -> None:
    world = mid_migration
    start(world, world.reverse)
    _, maximum = drain_bounds(world)
    world.set_alarm(ALARMS["reverse-gate"], "ALARM")

    run = world.run("rollback")

    assert_paged(world, run, "DrainTimedOut")
    assert_traffic_on_production(world, run)
    assert world.parameter("phase") == "rolling-back"
    assert run.count("DescribeReverseLatencyGate") == maximum
    assert world.waits.seconds("WaitForDrain") == [wait_seconds(world, "WaitForDrain")] * maximum
    assert "WaitForLastChanges" not in run.entered
    assert "StopReverseTask" not in run.entered
    assert world.status(world.reverse) == "running"


def test_rollback_pages_when_the_reverse_task_stops_while_draining(mid_migration: World) -> None:
    """A reverse task that stops before its drain was confirmed may hold writes production lacks: a page, not a
    success."""
    world = mid_migration
    start(world, world.reverse)
    world.set_alarm(ALARMS["reverse-gate"], "ALARM")
    world.waits.on("WaitForDrain", lambda n: n == 1 and world.set_task_status(world.reverse, "stopped"))

    run = world.run("rollback")

    assert_paged(world, run, "ReverseStoppedWhileDraining")
    assert run.count("DescribeReverseLatencyGate") == 1
    assert "StopReverseTask" not in run.entered
    assert world.parameter("phase") == "rolling-back"


def test_rollback_resumes_a_stopped_reverse_task_to_drain_it(world: World) -> None:
    """After a cutover, a stopped reverse task may hold writes taken on Aurora: it is resumed (once), drained and
    stopped."""
    at_phase(world, "cutover", split="50")
    start(world, world.reverse)
    world.dms.stop_replication_task(ReplicationTaskArn=world.reverse)

    run = world.run("rollback")

    assert_rolled_back(world, run)
    [resumed] = run.task_parameters("ResumeReverseTask")
    assert resumed["StartReplicationTaskType"] == "resume-processing"
    assert run.entered.index("ResumeReverseTask") < run.entered.index("StartDrainPolls")
    assert run.count("StopReverseTask") == 1
    assert world.status(world.reverse) == "stopped"


def test_rollback_does_not_resume_a_reverse_task_an_earlier_rollback_drained(world: World) -> None:
    at_phase(world, "rolled-back", split="0", cutover="false")
    start(world, world.reverse)
    world.dms.stop_replication_task(ReplicationTaskArn=world.reverse)

    run = world.run("rollback")

    assert_rolled_back(world, run)
    assert "ResumeReverseTask" not in run.entered
    assert world.status(world.reverse) == "stopped"


def test_rollback_when_no_task_exists(mid_migration: World) -> None:
    """Before a cutover, absent tasks mean nothing ever ran: nothing to stop, nothing to drain."""
    world = mid_migration
    for arn in (world.forward, world.reverse):
        world.dms.delete_replication_task(ReplicationTaskArn=arn)

    run = world.run("rollback")

    assert_rolled_back(world, run)
    [saved] = saved_states(world)
    assert saved["taskStatuses"] == []
    assert saved["tasks"] == []


def test_rollback_pages_when_the_reverse_task_is_gone_after_a_cutover(world: World) -> None:
    """After a cutover, an absent reverse task may have taken writes with it: a page saying so."""
    at_phase(world, "cutover", split="50")
    world.dms.delete_replication_task(ReplicationTaskArn=world.reverse)

    run = world.run("rollback")

    assert_paged(world, run, "ReverseTaskGone")
    assert_traffic_on_production(world, run)


def test_rollback_pages_when_traffic_cannot_be_moved(mid_migration: World) -> None:
    """Parameter Store refuses the split: retried, then a page; nothing else is read or written, and the phase is
    left as it was."""
    world = mid_migration
    failed = world.fail_parameter_writes("split")
    retry = [
        r for r in world.documents["rollback"]["States"]["RouteAllTrafficToProduction"]["Retry"] if r["MaxAttempts"]
    ]
    [attempts] = [r["MaxAttempts"] for r in retry]

    run = world.run("rollback")

    assert_paged(world, run, "TrafficNotMoved", "Rollback.TrafficNotMoved")
    assert len(failed) == 1 + attempts
    assert run.entered[:5] == [
        "NormalizeInput",
        "DefaultReason",
        "RouteAllTrafficToProduction",
        "TrafficNotMoved",
        "NotifyRollbackFailed",
    ]
    assert world.parameter("split") == "25"
    assert world.parameter("phase") == "cdc"
    assert world.objects(ROLLBACK_BUCKET) == {}
