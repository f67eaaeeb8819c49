"""The migration workflow, executed: the rendered `migration.asl.json` (out/dev/ unless MIGEN_WORKFLOWS_DIR says
otherwise) runs in moto's Amazon States Language interpreter against moto's SSM, S3, SNS, DMS, CloudWatch and
Lambda, through the `world` fixture (harness.py lists what it changes in the document and in moto).
Every failure path also runs the rendered rollback document, which the migration starts with
`states:startExecution.sync:2` and waits for.

These tests run chosen paths in a real interpreter: they prove the definition's paths, intrinsics and service
parameters work as written. Every path, with AWS's behaviours moto lacks (a task `starting` before it runs, a
throttled call, an outage, an operator at any wait), is explored against the workflows' guarantees in
tests/workflow_paths.rs.

Each test starts the execution as the runbook does (`start-execution --input '{}'`); the operator's approval is
given with send_task_success / send_task_failure on the task token published to the operations topic. Numbers the
tests depend on (the traffic steps, the checks of a bake, the waits, the retry interval) are read from the
document. Waits and retry intervals are recorded instead of slept; a test changes the world at a given wait (the
full load progresses, the CDC gate opens, the health alarm fires, an operator takes traffic back).

What moto cannot model, so these tests do not claim it (besides the list in harness.py):
- the validation function's logic: its answers are queued by the test (tests/lambdas covers the function);
- CloudWatch: the gates and the health composite are put in a state by the test, no metric is evaluated;
- the SendTaskFailure cause: moto's handler drops it, so the declined checkpoint holds the error name only;
- the approval timeout: the test lowers RequestApproval's TimeoutSeconds to 2 s (moto really waits it).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from .harness import ALARMS, CHECKPOINTS_BUCKET, PARAMETERS, ROLLBACK_BUCKET, Run, World, choice_rule, operand

PHASES_TO_APPROVAL = ["preparing", "full-load", "cdc", "validating", "awaiting-approval"]


# --- reading the document


def states(world: World) -> dict[str, Any]:
    states: dict[str, Any] = world.documents["migration"]["States"]
    return states


def traffic_steps(world: World) -> list[str]:
    steps: list[str] = states(world)["StartTrafficShift"]["Result"]["Steps"]
    assert steps, steps
    assert steps[-1] == "100", steps
    return steps


def bake_checks(world: World) -> int:
    """Health checks per traffic step: the step moves on once this many were made (and the last could be read)."""
    rule = choice_rule(world.documents["migration"], "IsStepHealthy", "NextTrafficStep")
    checks: int = operand(rule, "$.poll.Polls", "NumericGreaterThanEquals")
    return checks


def seconds(world: World, state: str) -> int:
    seconds: int = states(world)[state]["Seconds"]
    return seconds


# --- operating the workflow


def approval_request(world: World, execution_arn: str) -> dict[str, Any]:
    return world.await_message("approval-requested", execution_arn)


def approve(world: World, execution_arn: str) -> Run:
    token = approval_request(world, execution_arn)["TaskToken"]
    world.sfn.send_task_success(taskToken=token, output=json.dumps({"approvedBy": "alice"}))
    return world.wait(execution_arn)


def reject(world: World, execution_arn: str) -> Run:
    token = approval_request(world, execution_arn)["TaskToken"]
    world.sfn.send_task_failure(taskToken=token, error="Approval.Rejected", cause="not tonight")
    return world.wait(execution_arn)


def set_parameter(world: World, key: str, value: str) -> None:
    world.ssm.put_parameter(Name=PARAMETERS[key], Value=value, Type="String", Overwrite=True)


# --- observing it


def checkpoints(world: World, run: Run) -> dict[str, Any]:
    """{name: body} of the execution's checkpoints (checkpoints/<execution>/<name>.json)."""
    prefix = f"checkpoints/{run.name}/"
    saved = world.objects(CHECKPOINTS_BUCKET)
    assert all(key.startswith(prefix) and key.endswith(".json") for key in saved), list(saved)
    return {key[len(prefix) : -len(".json")]: body for key, body in saved.items()}


def phase_messages(world: World) -> list[str]:
    return [m["phase"] for m in world.messages() if m["event"] == "phase"]


def recorded_phases(run: Run) -> list[str]:
    """The phases the run wrote to the phase parameter, in order."""
    return [parameters["Value"] for state, parameters in run.scheduled() if state and state.startswith("Record")]


def splits_set(run: Run) -> list[str]:
    return [p["Value"] for p in run.task_parameters("SetTrafficSplit")]


def assert_traffic_untouched(world: World, run: Run) -> None:
    assert world.parameter("split") == "0"
    assert world.parameter("cutover") == "false"
    assert "SetTrafficSplit" not in run.entered
    assert "EnableCutover" not in run.entered


def assert_rolled_back(world: World, run: Run, failing_state: str) -> tuple[Run, dict[str, Any]]:
    """The run failed in `failing_state`, saved the error, and the rollback it started put everything back on
    production. Returns the rollback's run and the state it saved."""
    assert run.status == "FAILED", run.describe()
    assert run.error == "Migration.RolledBack"
    assert run.entered[-5:] == [failing_state, "SaveFailure", "KeepTheError", "RollBack", "RolledBack"]
    error = states(world)[failing_state]["Result"]
    assert checkpoints(world, run)["failed"]["error"] == error
    error = error["Error"]
    [started] = run.task_parameters("RollBack")
    assert started["StateMachineArn"] == world.state_machine_arn("rollback")
    assert started["Input"]["AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID"] == run.arn
    [rollback] = world.executions("rollback")
    assert rollback.status == "SUCCEEDED", rollback.describe()
    assert json.loads(rollback.execution["input"])["reason"] == f"{run.name} failed: {error}"
    assert world.parameter("split") == "0"
    assert world.parameter("cutover") == "false"
    assert world.parameter("phase") == "rolled-back"
    assert world.status(world.forward) == "stopped"
    [(key, saved)] = world.objects(ROLLBACK_BUCKET).items()
    assert key == f"rollback/{rollback.name}"
    assert saved["reason"] == f"{run.name} failed: {error}"
    rolled_back = [m for m in world.messages() if m["event"] == "rolled-back"]
    assert [m["reason"] for m in rolled_back] == [f"{run.name} failed: {error}"]
    return rollback, saved


# --- the paths


def test_migration_reaches_100_percent(world: World) -> None:
    world.queue_validation("consistent")
    steps = traffic_steps(world)
    checks = bake_checks(world)
    bakes = []

    def record_switches_when_a_bake_starts(n: int) -> None:
        if (n - 1) % checks == 0:
            bakes.append((world.parameter("split"), world.parameter("cutover")))

    world.waits.on("WaitForBake", record_switches_when_a_bake_starts)

    run = approve(world, world.start("migration", "{}"))

    assert run.status == "SUCCEEDED", run.describe()
    assert recorded_phases(run) == [*PHASES_TO_APPROVAL, "cutover", "complete"]
    assert world.parameter("phase") == "complete"
    assert world.parameter("split") == "100"
    assert world.parameter("cutover") == "true"
    assert splits_set(run) == steps
    order = run.entered
    assert order.index("ReadWorkflowParameters") < order.index("RecordPreparing")
    assert order.index("TestSourceConnection") < order.index("RecordFullLoad")
    assert world.waits.seconds("WaitForConnectionTests") == [seconds(world, "WaitForConnectionTests")]
    assert order.index("RecordCutover") < order.index("EnableCutover") < order.index("StartReverseTask")
    # The reverse task runs, and its gate is OK, before the split leaves 0.
    assert order.index("StartReverseTask") < order.index("IsReverseTaskRunning")
    assert order.index("IsReverseReplicationCaughtUp") < order.index("SetTrafficSplit")
    tested = run.task_parameters("TestSourceConnection") + run.task_parameters("TestTargetConnection")
    assert [(p["ReplicationInstanceArn"], p["EndpointArn"]) for p in tested] == [
        (world.instance, world.source),
        (world.instance, world.target),
    ]
    assert [p["StartReplicationTaskType"] for p in run.task_parameters("StartForwardTask")] == ["start-replication"]
    assert [p["StartReplicationTaskType"] for p in run.task_parameters("StartReverseTask")] == ["start-replication"]
    assert world.status(world.forward) == "running"
    assert world.status(world.reverse) == "running"
    # Before each step, the switches and both tasks are read again.
    assert run.count("ReadSwitchesBeforeStep") == run.count("DescribeTasksBeforeStep") == len(steps)
    # Each step bakes for the whole bake with cutover enabled: switches, tasks and alarms at each check.
    assert bakes == [(step, "true") for step in steps]
    for read in ("ReadSwitchesWhileBaking", "DescribeTasksWhileBaking", "DescribeAlarmsWhileBaking"):
        assert run.count(read) == checks * len(steps), read
    assert world.waits.seconds("WaitForBake") == [seconds(world, "WaitForBake")] * (checks * len(steps))
    [alarms] = {tuple(p["AlarmNames"]) for p in run.task_parameters("DescribeAlarmsWhileBaking")}
    assert set(alarms) == {ALARMS["health"], ALARMS["reverse-gate"]}
    [tasks] = {tuple(p["Filters"][0]["Values"]) for p in run.task_parameters("DescribeTasksWhileBaking")}
    assert set(tasks) == {world.forward, world.reverse}

    saved = checkpoints(world, run)
    assert set(saved) == {*PHASES_TO_APPROVAL, "cutover", *(f"traffic-{s}" for s in steps), "complete"}
    for phase in (*PHASES_TO_APPROVAL, "cutover", "complete"):
        assert saved[phase]["phase"] == {"Name": phase}
        assert saved[phase]["execution"] == run.arn
    for step in steps:
        assert saved[f"traffic-{step}"]["traffic"]["Percent"] == step
    assert saved["awaiting-approval"]["validation"]["Summary"]["verdict"] == "consistent"
    assert saved["cutover"]["approval"] == {"approvedBy": "alice"}

    messages = world.messages()
    assert {m["execution"] for m in messages} == {run.arn}
    assert [m["phase"] for m in messages if m["event"] == "phase"] == [*PHASES_TO_APPROVAL, "cutover", "complete"]
    assert [m["trafficSplitPercentage"] for m in messages if m["event"] == "traffic-step"] == steps
    [request] = [m for m in messages if m["event"] == "approval-requested"]
    assert request["validation"]["Summary"]["verdict"] == "consistent"
    assert request["expiresInHours"] * 3600 == states(world)["RequestApproval"]["TimeoutSeconds"]
    assert "--region ap-southeast-1" in request["approve"]
    assert "--region ap-southeast-1" in request["reject"]
    assert world.executions("rollback") == []


def test_full_load_taking_several_polls(world: World) -> None:
    world.queue_validation("consistent")
    progress = {1: 30, 2: 70, 3: 100}
    world.waits.on("WaitForFullLoad", lambda n: world.full_load_progress.update({world.forward: progress[n]}))

    run = reject(world, world.start("migration"))

    assert run.status == "SUCCEEDED", run.describe()
    assert run.count("DescribeFullLoad") == len(progress)
    assert world.waits.seconds("WaitForFullLoad") == [seconds(world, "WaitForFullLoad")] * len(progress)
    assert [o["reads"]["Forward"]["Progress"] for o in run.state_outputs("DescribeFullLoad")] == [[30], [70], [100]]
    assert [o["poll"]["Loaded"] for o in run.state_outputs("CountFullLoadPoll")] == [False, False, True]
    assert run.entered.index("RecordCdc") > run.entered.index("IsFullLoadComplete")
    assert phase_messages(world)[:3] == ["preparing", "full-load", "cdc"]


def test_cdc_catch_up_taking_several_polls(world: World) -> None:
    world.queue_validation("consistent")
    gate = ALARMS["forward-gate"]
    world.set_alarm(gate, "ALARM")
    later = {1: "INSUFFICIENT_DATA", 2: "ALARM", 3: "OK"}
    world.waits.on("WaitForCdcCatchUp", lambda n: world.set_alarm(gate, later[n]))

    run = reject(world, world.start("migration"))

    assert run.status == "SUCCEEDED", run.describe()
    assert run.count("DescribeCdcLatencyGate") == 4
    assert world.waits.seconds("WaitForCdcCatchUp") == [seconds(world, "WaitForCdcCatchUp")] * 3
    assert [o["reads"]["Gate"]["States"] for o in run.state_outputs("DescribeCdcLatencyGate")] == [
        ["ALARM"],
        ["INSUFFICIENT_DATA"],
        ["ALARM"],
        ["OK"],
    ]
    assert {p["AlarmNames"][0] for p in run.task_parameters("DescribeCdcLatencyGate")} == {gate}
    assert run.entered.index("RecordValidating") > run.entered.index("IsCdcCaughtUp")


def test_inconsistent_data_rolls_back(world: World) -> None:
    world.queue_validation("inconsistent")

    run = world.run("migration", "{}")

    rollback, saved = assert_rolled_back(world, run, "DataInconsistent")
    assert "RecordAwaitingApproval" not in run.entered
    assert recorded_phases(run) == ["preparing", "full-load", "cdc", "validating"]
    assert saved["phase"] == ["validating"]
    assert sorted(saved["taskStatuses"]) == ["ready", "running"]
    assert "StartDrainPolls" not in rollback.entered
    assert world.status(world.reverse) == "ready"
    assert set(checkpoints(world, run)) == {"preparing", "full-load", "cdc", "validating", "failed"}


def test_not_ready_then_consistent(world: World) -> None:
    world.queue_validation("not-ready", "not-ready", "consistent")

    run = reject(world, world.start("migration"))

    assert run.status == "SUCCEEDED", run.describe()
    assert run.count("Validate") == 3
    assert world.waits.seconds("WaitForValidation") == [seconds(world, "WaitForValidation")] * 2
    assert [o["poll"]["Polls"] for o in run.state_outputs("CountValidationPoll")] == [1, 2, 3]
    assert "RecordAwaitingApproval" in run.entered
    assert checkpoints(world, run)["awaiting-approval"]["validation"]["Summary"]["verdict"] == "consistent"


def assert_cutover_declined(world: World, run: Run, error: str) -> None:
    assert run.status == "SUCCEEDED", run.describe()
    assert run.entered[-4:] == [
        "RecordCutoverDeclined",
        "CheckpointCutoverDeclined",
        "NotifyCutoverDeclined",
        "CutoverDeclined",
    ]
    assert world.parameter("phase") == "cutover-declined"
    assert_traffic_untouched(world, run)
    assert "StartReverseTask" not in run.entered
    assert world.status(world.reverse) == "ready"
    assert world.status(world.forward) == "running"
    saved = checkpoints(world, run)
    assert set(saved) == {*PHASES_TO_APPROVAL, "cutover-declined"}
    assert saved["cutover-declined"]["declined"]["Error"] == error
    assert run.task_failures() == [("RequestApproval", error)]
    assert phase_messages(world) == [*PHASES_TO_APPROVAL, "cutover-declined"]
    assert world.executions("rollback") == []


def test_rejected_approval_declines_the_cutover(world: World) -> None:
    world.queue_validation("consistent")

    run = reject(world, world.start("migration", "{}"))

    assert_cutover_declined(world, run, "Approval.Rejected")


def test_unanswered_approval_declines_the_cutover(world: World) -> None:
    world.queue_validation("consistent")
    # The only edit to the document besides the service name: 24 h become 2 s (moto really waits the timeout).
    states(world)["RequestApproval"]["TimeoutSeconds"] = 2

    execution_arn = world.start("migration", "{}")
    approval_request(world, execution_arn)
    run = world.wait(execution_arn)

    assert_cutover_declined(world, run, "States.Timeout")


def test_alarm_during_the_traffic_shift_rolls_back(world: World) -> None:
    world.queue_validation("consistent")
    steps = traffic_steps(world)
    assert len(steps) >= 2
    # The health alarm fires while the second step bakes.
    world.waits.on(
        "WaitForBake", lambda n: world.parameter("split") == steps[1] and world.set_alarm(ALARMS["health"], "ALARM")
    )

    run = approve(world, world.start("migration"))

    rollback, saved = assert_rolled_back(world, run, "MigrationUnhealthy")
    assert splits_set(run) == steps[:2]
    assert run.count("DescribeAlarmsWhileBaking") == bake_checks(world) + 1
    assert saved["phase"] == ["cutover"]
    assert saved["taskStatuses"] == ["running", "running"]
    # The rollback moved traffic first, then drained the reverse task (its gate is OK) and stopped it.
    assert rollback.entered.index("RouteAllTrafficToProduction") < rollback.entered.index("ReadPhaseBeforeRollback")
    assert rollback.entered.index("WaitForLastChanges") < rollback.entered.index("StopReverseTask")
    assert world.status(world.reverse) == "stopped"
    traffic = {f"traffic-{s}" for s in steps[:2]}
    assert set(checkpoints(world, run)) == {*PHASES_TO_APPROVAL, "cutover", *traffic, "failed"}


def test_the_reverse_task_stopping_during_a_bake_rolls_back(world: World) -> None:
    world.queue_validation("consistent")
    world.waits.on("WaitForBake", lambda n: n == 2 and world.set_task_status(world.reverse, "stopped"))

    run = approve(world, world.start("migration"))

    rollback, _ = assert_rolled_back(world, run, "ReplicationStopped")
    assert splits_set(run) == traffic_steps(world)[:1]
    # The rollback found the reverse task stopped after a cutover: it resumed it to drain, then stopped it.
    assert [p["StartReplicationTaskType"] for p in rollback.task_parameters("ResumeReverseTask")] == [
        "resume-processing"
    ]
    assert "StopReverseTask" in rollback.entered
    assert world.status(world.reverse) == "stopped"


def test_an_operator_taking_traffic_back_ends_the_run_without_a_rollback_of_its_own(world: World) -> None:
    world.queue_validation("consistent")
    # The runbook's emergency move, during the first step's second check.
    world.waits.on("WaitForBake", lambda n: n == 2 and set_parameter(world, "split", "0"))

    run = approve(world, world.start("migration"))

    assert run.status == "FAILED", run.describe()
    assert run.error == "Migration.TakenBack"
    assert run.entered[-6:] == [
        "TakenBack",
        "IsARollbackRunning",
        "RecordTakenBack",
        "CheckpointTakenBack",
        "NotifyTakenBack",
        "TakenBackByOperator",
    ]
    assert world.parameter("phase") == "taken-back"
    assert world.parameter("split") == "0"
    assert splits_set(run) == traffic_steps(world)[:1]
    assert world.executions("rollback") == []
    [message] = [m for m in world.messages() if m["event"] == "taken-back"]
    assert "start the rollback workflow" in message["left"]


def test_a_completed_migration_is_not_run_again(world: World) -> None:
    for key, value in (("phase", "complete"), ("split", "100"), ("cutover", "true")):
        set_parameter(world, key, value)

    run = world.run("migration")

    assert run.status == "FAILED", run.describe()
    assert run.error == "Migration.Refused"
    assert run.entered == ["Initialize", "ReadWorkflowParameters", "AssessStart", "MayMigrationStart", "Refused"]
    assert world.parameter("split") == "100"
    assert world.parameter("phase") == "complete"
    assert world.messages() == []


def test_validation_service_error_is_retried(world: World) -> None:
    world.queue_validation("consistent")
    invokes = world.fail_lambda_invokes(1)
    [retry] = [r for r in states(world)["Validate"]["Retry"] if "Lambda.ServiceException" in r["ErrorEquals"]]

    run = reject(world, world.start("migration"))

    assert run.status == "SUCCEEDED", run.describe()
    assert len(invokes) == 2
    assert world.retries == [float(retry["IntervalSeconds"])]
    assert run.task_failures() == [("Validate", "Lambda.ServiceException"), ("RequestApproval", "Approval.Rejected")]
    assert run.count("Validate") == 1
    assert checkpoints(world, run)["awaiting-approval"]["validation"]["Summary"]["verdict"] == "consistent"


def test_second_run_resumes_the_forward_task(world: World) -> None:
    world.queue_validation("inconsistent", "consistent")
    first = world.run("migration")
    assert first.status == "FAILED", first.describe()
    assert world.status(world.forward) == "stopped"

    second = reject(world, world.start("migration"))

    assert second.status == "SUCCEEDED", second.describe()
    assert [p["StartReplicationTaskType"] for p in first.task_parameters("StartForwardTask")] == ["start-replication"]
    assert "ResumeForwardTask" not in first.entered
    assert "StartForwardTask" not in second.entered
    assert [p["StartReplicationTaskType"] for p in second.task_parameters("ResumeForwardTask")] == ["resume-processing"]
    assert world.status(world.forward) == "running"
    assert world.parameter("phase") == "cutover-declined"


@pytest.mark.parametrize("status", ["stopped", "failed"])
def test_a_stopped_or_failed_forward_task_is_resumed(world: World, status: str) -> None:
    world.set_task_status(world.forward, status)
    world.queue_validation("consistent")

    run = reject(world, world.start("migration"))

    assert run.status == "SUCCEEDED", run.describe()
    assert "StartForwardTask" not in run.entered
    assert [p["StartReplicationTaskType"] for p in run.task_parameters("ResumeForwardTask")] == ["resume-processing"]
    assert world.status(world.forward) == "running"


def test_a_running_forward_task_is_not_started_again(world: World) -> None:
    world.set_task_status(world.forward, "running")
    world.queue_validation("consistent")

    run = reject(world, world.start("migration"))

    assert run.status == "SUCCEEDED", run.describe()
    entered = run.entered
    assert entered[entered.index("HowToStartForwardTask") + 1] == "StartFullLoadPolls"
    assert "StartForwardTask" not in entered
    assert "ResumeForwardTask" not in entered


def assert_rolled_back_before_the_full_load(world: World, run: Run, failing_state: str) -> None:
    assert run.status == "FAILED", run.describe()
    assert run.error == "Migration.RolledBack"
    assert run.entered[-5:] == [failing_state, "SaveFailure", "KeepTheError", "RollBack", "RolledBack"]
    assert checkpoints(world, run)["failed"]["error"] == states(world)[failing_state]["Result"]
    [rollback] = world.executions("rollback")
    assert rollback.status == "SUCCEEDED", rollback.describe()
    assert world.parameter("phase") == "rolled-back"
    assert "StartForwardTask" not in run.entered


def test_a_forward_task_that_cannot_start_rolls_back(world: World) -> None:
    """A forward task being modified cannot be started: the migration rolls back, and the rollback awaits the end
    of the modification instead of stopping the task."""
    world.set_task_status(world.forward, "modifying")
    world.waits.on("WaitForForwardTaskStop", lambda n: n == 1 and world.set_task_status(world.forward, "stopped"))

    run = world.run("migration")

    assert_rolled_back_before_the_full_load(world, run, "ForwardTaskNotStartable")
    [rollback] = world.executions("rollback")
    assert "StopForwardTask" not in rollback.entered
    assert world.status(world.forward) == "stopped"


def test_a_rollback_that_cannot_complete_fails_the_migration_saying_so(world: World) -> None:
    """A forward task that stays `modifying`: the rollback pages that it did not stop, and the migration does not
    claim a rollback: it fails with Migration.RollbackNotCompleted and publishes the rollback's error."""
    world.set_task_status(world.forward, "modifying")

    run = world.run("migration")

    assert run.status == "FAILED", run.describe()
    assert run.error == "Migration.RollbackNotCompleted"
    assert run.entered[-3:] == ["RollBack", "NotifyRollbackNotCompleted", "RollbackNotCompleted"]
    [rollback] = world.executions("rollback")
    assert rollback.error == "Rollback.ForwardTaskNotStopped"
    assert world.parameter("split") == "0"
    assert world.parameter("cutover") == "false"
    assert world.parameter("phase") == "rolling-back"
    assert world.status(world.forward) == "modifying"


def test_a_failed_connection_test_rolls_back(world: World) -> None:
    world.waits.on("WaitForConnectionTests", lambda n: world.fail_connection_test(world.target))

    run = world.run("migration")

    assert_rolled_back_before_the_full_load(world, run, "ConnectionFailed")
    assert [o["poll"]["TargetFailed"] for o in run.state_outputs("CountConnectionTestsPoll")] == [True]


def test_the_input_is_ignored(world: World) -> None:
    world.queue_validation("consistent")
    junk = {"traffic": {"Steps": ["100"], "Index": 0}, "phase": {"Name": "complete"}, "reason": "junk", "error": {}}

    execution_arn = world.start("migration", json.dumps(junk))
    run = reject(world, execution_arn)

    assert run.status == "SUCCEEDED", run.describe()
    assert run.state_outputs("Initialize") == [{"environment": "dev", "execution": execution_arn}]
    assert "junk" not in json.dumps(checkpoints(world, run))
    assert recorded_phases(run) == [*PHASES_TO_APPROVAL, "cutover-declined"]
