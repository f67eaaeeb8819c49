"""The rollback workflow, executed: the rendered `rollback.asl.json` (out/dev/ unless MIGEN_WORKFLOWS_DIR says
otherwise) runs in moto's Amazon States Language interpreter against moto's SSM, S3, SNS, DMS and CloudWatch,
through the `world` fixture (harness.py lists what it changes in the document and in moto).

The reverse task's drain: while the reverse task runs, the rollback polls it and the reverse CDC-latency gate (a
metric alarm) every minute, trusts an OK gate only after the minimum number of polls that IsDrainOver names, then
waits once more (WaitForLastChanges) and stops the task; without an OK gate within the maximum number of polls it
leaves the task running and fails. The tests read both numbers and every wait from the document; the waits are
recorded instead of slept, and the gate's state is set by the test at a given poll.

What moto cannot model, so these tests do not claim it (besides the list in harness.py):
- DMS error names: moto names a failed SDK call `dms.<Error>Exception` where AWS says `DatabaseMigration.<Error>`,
  so the `DatabaseMigration.InvalidResourceStateFault` catch (a task that stops between the describe and the stop)
  and the `DatabaseMigration.ResourceNotFoundFault` catch (AWS's answer to a filter that matches no task) cannot be
  triggered. moto answers such a filter with an empty list instead, which the workflow also treats as "nothing to
  stop" (test_rollback_when_no_task_exists);
- the gate's metric: no CDC latency is measured, the test sets the alarm's state; so "the gate's window lies after
  the settings TTL" is checked only as "no stop before the minimum number of polls";
- the context object's `$$.Execution.StartTime` is a Python datetime in moto, which `States.JsonToString` cannot
  serialize, so the saved state names the execution (its ARN) rather than its start time.
"""

import pytest

from .harness import ALARMS, PARAMETERS, ROLLBACK_BUCKET, choice_rule, operand


@pytest.fixture
def mid_migration(world):
    """The parameters as a migration in CDC, at 25 % with cutover enabled, leaves them."""
    for key, value in (("phase", "cdc"), ("split", "25"), ("cutover", "true")):
        world.ssm.put_parameter(Name=PARAMETERS[key], Value=value, Type="String", Overwrite=True)
    return world


def drain_bounds(world):
    """(minimum polls before an OK gate is trusted, polls after which the drain gives up), from IsDrainOver."""
    document = world.documents["rollback"]
    trusted = choice_rule(document, "IsDrainOver", "WaitForLastChanges")
    minimum = operand(trusted, "$.drain.Polls", "NumericGreaterThanEquals")
    maximum = operand(choice_rule(document, "IsDrainOver", "WaitForDrain"), "$.drain.Polls", "NumericLessThan")
    assert 1 < minimum < maximum
    return minimum, maximum


def wait_seconds(world, state):
    return world.documents["rollback"]["States"][state]["Seconds"]


def assert_traffic_on_production(world, run):
    assert world.parameter("split") == "0"
    assert world.parameter("cutover") == "false"
    order = run.entered
    # Traffic goes back to production before any DMS call.
    assert order.index("RouteAllTrafficToProduction") < order.index("DescribeForwardTask")
    assert order.index("DisableCutover") < order.index("DescribeForwardTask")


def assert_rolled_back(world, run):
    assert run.status == "SUCCEEDED", run.describe()
    assert_traffic_on_production(world, run)
    assert world.parameter("phase") == "rolled-back"


def saved_states(world):
    saved = world.objects(ROLLBACK_BUCKET)
    assert all(key.startswith("rollback/") for key in saved)
    return list(saved.values())


def test_rollback_when_nothing_was_started(mid_migration):
    world = mid_migration
    run = world.run("rollback", '{"reason": "operator drill"}')

    assert_rolled_back(world, run)
    assert "StopForwardTask" not in run.entered
    assert "StartDrain" not in run.entered
    assert world.status(world.forward) == "ready"
    assert world.objects(ROLLBACK_BUCKET) == {
        f"rollback/{run.name}": {
            "environment": "dev",
            "execution": run.arn,
            "reason": "operator drill",
            "phase": "cdc",
            "trafficSplitPercentage": "25",
            "enableCutover": "true",
            "forwardTaskStatus": ["ready"],
            "reverseTaskStatus": ["ready"],
        }
    }
    [message] = world.messages()
    assert message["event"] == "rolled-back"
    assert message["reason"] == "operator drill"
    assert message["before"]["phase"] == "cdc"


def test_rollback_stops_the_running_forward_task(mid_migration):
    world = mid_migration
    world.dms.start_replication_task(ReplicationTaskArn=world.forward, StartReplicationTaskType="start-replication")
    assert world.status(world.forward) == "running"

    run = world.run("rollback")

    assert_rolled_back(world, run)
    assert "StopForwardTask" in run.entered
    assert world.status(world.forward) == "stopped"
    [saved] = saved_states(world)
    assert saved["reason"] == "manual"
    assert saved["forwardTaskStatus"] == ["running"]
    assert [m["event"] for m in world.messages()] == ["rolled-back"]


def test_rollback_run_twice_succeeds_both_times(mid_migration):
    world = mid_migration
    world.dms.start_replication_task(ReplicationTaskArn=world.forward, StartReplicationTaskType="start-replication")

    first = world.run("rollback", '{"reason": "first"}')
    second = world.run("rollback", '{"reason": "second"}')

    assert_rolled_back(world, first)
    assert_rolled_back(world, second)
    assert "StopForwardTask" in first.entered
    assert "StopForwardTask" not in second.entered
    assert world.status(world.forward) == "stopped"
    saved = {s["reason"]: s for s in saved_states(world)}
    assert set(saved) == {"first", "second"}
    assert saved["second"]["phase"] == "rolled-back"
    assert saved["second"]["trafficSplitPercentage"] == "0"
    assert saved["second"]["forwardTaskStatus"] == ["stopped"]
    assert [m["event"] for m in world.messages()] == ["rolled-back", "rolled-back"]


def test_rollback_skips_an_already_stopped_forward_task(mid_migration):
    world = mid_migration
    world.dms.start_replication_task(ReplicationTaskArn=world.forward, StartReplicationTaskType="start-replication")
    world.dms.stop_replication_task(ReplicationTaskArn=world.forward)

    run = world.run("rollback")

    assert_rolled_back(world, run)
    assert "StopForwardTask" not in run.entered
    assert world.status(world.forward) == "stopped"
    [saved] = saved_states(world)
    assert saved["forwardTaskStatus"] == ["stopped"]


def test_rollback_drains_then_stops_a_running_reverse_task(mid_migration):
    """The gate is OK from the first poll, but is trusted only at the minimum number of polls."""
    world = mid_migration
    world.dms.start_replication_task(ReplicationTaskArn=world.reverse, StartReplicationTaskType="start-replication")
    minimum, _ = drain_bounds(world)

    run = world.run("rollback")

    assert_rolled_back(world, run)
    assert run.count("DescribeReverseLatencyGate") == minimum
    assert run.count("DescribeDrainingReverseTask") == minimum
    assert world.waits.seconds("WaitForDrain") == [wait_seconds(world, "WaitForDrain")] * minimum
    assert world.waits.seconds("WaitForLastChanges") == [wait_seconds(world, "WaitForLastChanges")]
    order = run.entered
    last_poll = len(order) - 1 - order[::-1].index("IsDrainOver")
    assert order[last_poll:last_poll + 3] == ["IsDrainOver", "WaitForLastChanges", "StopReverseTask"]
    assert order.index("StopReverseTask") < order.index("RecordRolledBack")
    [gate] = {p["AlarmNames"][0] for p in run.task_parameters("DescribeReverseLatencyGate")}
    assert gate == ALARMS["reverse-gate"]
    assert world.status(world.reverse) == "stopped"
    [saved] = saved_states(world)
    assert saved["reverseTaskStatus"] == ["running"]


def test_rollback_drain_waits_for_the_gate_to_open(mid_migration):
    """The gate is not OK at the minimum number of polls: the drain goes on until it is, then stops the task."""
    world = mid_migration
    world.dms.start_replication_task(ReplicationTaskArn=world.reverse, StartReplicationTaskType="start-replication")
    minimum, maximum = drain_bounds(world)
    opens_at = minimum + 2
    assert opens_at < maximum
    world.set_alarm(ALARMS["reverse-gate"], "ALARM")
    states = {1: "INSUFFICIENT_DATA", opens_at: "OK"}
    world.waits.on("WaitForDrain", lambda n: n in states and world.set_alarm(ALARMS["reverse-gate"], states[n]))

    run = world.run("rollback")

    assert_rolled_back(world, run)
    assert run.count("DescribeReverseLatencyGate") == opens_at
    assert [o["drain"]["CaughtUp"] for o in run.state_outputs("CountDrainPoll")] == [False] * (opens_at - 1) + [True]
    assert "WaitForLastChanges" in run.entered
    assert world.status(world.reverse) == "stopped"


def test_rollback_drain_timeout_leaves_the_reverse_task_running(mid_migration):
    world = mid_migration
    world.dms.start_replication_task(ReplicationTaskArn=world.reverse, StartReplicationTaskType="start-replication")
    _, maximum = drain_bounds(world)
    world.set_alarm(ALARMS["reverse-gate"], "ALARM")

    run = world.run("rollback")

    assert run.status == "FAILED", run.describe()
    assert run.error == "Rollback.Failed"
    assert_traffic_on_production(world, run)
    assert world.parameter("phase") == "rolling-back"
    assert run.count("DescribeReverseLatencyGate") == maximum
    assert world.waits.seconds("WaitForDrain") == [wait_seconds(world, "WaitForDrain")] * maximum
    assert run.entered[-3:] == ["DrainTimedOut", "NotifyRollbackFailed", "RollbackFailed"]
    assert "WaitForLastChanges" not in run.entered
    assert "StopReverseTask" not in run.entered
    assert world.status(world.reverse) == "running"
    [message] = world.messages()
    assert message["event"] == "rollback-failed"
    assert message["error"]["Error"] == "Rollback.DrainTimedOut"


def test_rollback_when_the_reverse_task_stops_while_draining(mid_migration):
    world = mid_migration
    world.dms.start_replication_task(ReplicationTaskArn=world.reverse, StartReplicationTaskType="start-replication")
    world.set_alarm(ALARMS["reverse-gate"], "ALARM")
    world.waits.on("WaitForDrain", lambda n: n == 1 and world.set_task_status(world.reverse, "stopped"))

    run = world.run("rollback")

    assert_rolled_back(world, run)
    assert run.count("DescribeReverseLatencyGate") == 1
    assert "StopReverseTask" not in run.entered
    assert run.entered[run.entered.index("IsDrainOver") + 1] == "RecordRolledBack"


def test_rollback_when_no_task_exists(mid_migration):
    world = mid_migration
    for arn in (world.forward, world.reverse):
        world.dms.delete_replication_task(ReplicationTaskArn=arn)

    run = world.run("rollback")

    assert_rolled_back(world, run)
    [saved] = saved_states(world)
    assert saved["forwardTaskStatus"] == []
    assert saved["reverseTaskStatus"] == []
