"""The rollback workflow, executed: the rendered `out/dev/rollback.asl.json` (not a copy) runs in moto's Amazon
States Language interpreter against moto's SSM, S3, SNS and DMS.

What the test changes in the document, and why:
- each `${Placeholder}` is bound to the moto resource that CloudFormation's DefinitionSubstitutions would bind;
- `aws-sdk:databasemigration:` becomes `aws-sdk:dms:`: the interpreter knows only boto3's service name;
- the reverse task's drain test shortens the Wait to 1 second, so the bounded drain loop runs in seconds.

What moto cannot model, so these tests do not claim it:
- KMS encryption of the topic and the bucket (they are created unencrypted here), and IAM: the execution role's
  policy is checked by cfn-lint, cfn-guard and the Rust tests, not here;
- DMS error names: moto names a failed SDK call `dms.<Error>Exception` where AWS says
  `DatabaseMigration.<Error>`, so the `DatabaseMigration.InvalidResourceStateFault` catch (a task that stops
  between the describe and the stop) and the `DatabaseMigration.ResourceNotFoundFault` catch (AWS's answer to a
  filter that matches no task) cannot be triggered. moto answers such a filter with an empty list instead, which
  the workflow also treats as "nothing to stop" (test_rollback_when_no_task_exists);
- a task that was created but never started is "creating" in moto and "ready" in AWS; the fixtures move it to
  "ready" through moto's backend;
- the context object's `$$.Execution.StartTime` is a Python datetime in moto, which `States.JsonToString` cannot
  serialize, so the saved state names the execution (its ARN) rather than its start time.
"""

import json
import pathlib
import re
import time
import uuid

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dms.models import dms_backends

ROOT = pathlib.Path(__file__).resolve().parents[2]
ASL = ROOT / "out" / "dev" / "rollback.asl.json"
REGION = "ap-southeast-1"
ENV = "dev"
PARAMETERS = {
    "phase": f"/migration/{ENV}/workflow/phase",
    "split": f"/migration/{ENV}/workflow/traffic-split-percentage",
    "cutover": f"/migration/{ENV}/workflow/enable-cutover",
}
BUCKET = f"payment-migration-rollback-state-{ENV}"
ROLE_ARN = f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:role/rollback"


@pytest.fixture
def aws():
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}):
        yield World()


class World:
    """The resources the workflow touches, in moto, and the workflow created from the rendered document."""

    def __init__(self):
        self.ssm = boto3.client("ssm", region_name=REGION)
        self.s3 = boto3.client("s3", region_name=REGION)
        self.sns = boto3.client("sns", region_name=REGION)
        self.sqs = boto3.client("sqs", region_name=REGION)
        self.dms = boto3.client("dms", region_name=REGION)
        self.sfn = boto3.client("stepfunctions", region_name=REGION)

        # As the stack creates them: a migration at 25 % with cutover enabled, in CDC.
        self.ssm.put_parameter(Name=PARAMETERS["phase"], Value="cdc", Type="String")
        self.ssm.put_parameter(Name=PARAMETERS["split"], Value="25", Type="String")
        self.ssm.put_parameter(Name=PARAMETERS["cutover"], Value="true", Type="String")
        self.s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        self.topic = self.sns.create_topic(Name=f"payment-migration-operations-{ENV}")["TopicArn"]
        queue = self.sqs.create_queue(QueueName="operations")["QueueUrl"]
        queue_arn = self.sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        self.sns.subscribe(TopicArn=self.topic, Protocol="sqs", Endpoint=queue_arn)
        self.queue = queue
        self.forward = self._task("forward")
        self.reverse = self._task("reverse")

    def _task(self, name):
        arn = self.dms.create_replication_task(
            ReplicationTaskIdentifier=f"payment-migration-{name}-{ENV}",
            SourceEndpointArn="arn:aws:dms:ap-southeast-1:123456789012:endpoint:source",
            TargetEndpointArn="arn:aws:dms:ap-southeast-1:123456789012:endpoint:target",
            ReplicationInstanceArn="arn:aws:dms:ap-southeast-1:123456789012:rep:instance",
            MigrationType="cdc",
            TableMappings="{}",
        )["ReplicationTask"]["ReplicationTaskArn"]
        # CloudFormation leaves a new task "ready"; moto leaves it "creating".
        dms_backends[DEFAULT_ACCOUNT_ID][REGION].replication_tasks[arn].ready()
        return arn

    def forget_tasks(self):
        for arn in (self.forward, self.reverse):
            self.dms.delete_replication_task(ReplicationTaskArn=arn)

    def status(self, arn):
        tasks = self.dms.describe_replication_tasks(Filters=[{"Name": "replication-task-arn", "Values": [arn]}])
        return tasks["ReplicationTasks"][0]["Status"]

    def parameter(self, key):
        return self.ssm.get_parameter(Name=PARAMETERS[key])["Parameter"]["Value"]

    def document(self, drain_wait_seconds=None):
        text = ASL.read_text()
        bindings = {
            "ConfigurationWorkflowPhaseParameterName": PARAMETERS["phase"],
            "ConfigurationWorkflowTrafficSplitPercentageParameterName": PARAMETERS["split"],
            "ConfigurationWorkflowEnableCutoverParameterName": PARAMETERS["cutover"],
            "MigrationForwardTaskArn": self.forward,
            "MigrationReverseTaskArn": self.reverse,
            "NotificationOperationsTopicArn": self.topic,
            "StorageRollbackStateBucketName": BUCKET,
        }
        for name, value in bindings.items():
            text = text.replace("${" + name + "}", value)
        unbound = re.findall(r"\$\{[A-Za-z0-9]+\}", text)
        assert not unbound, f"placeholders the test does not bind: {unbound}"
        text = text.replace("arn:aws:states:::aws-sdk:databasemigration:", "arn:aws:states:::aws-sdk:dms:")
        document = json.loads(text)
        if drain_wait_seconds is not None:
            document["States"]["WaitForDrain"]["Seconds"] = drain_wait_seconds
        return json.dumps(document)

    def rollback(self, execution_input=None, drain_wait_seconds=None):
        """Creates the workflow (once per document) and runs it to the end; returns the execution and its history."""
        arn = self.sfn.create_state_machine(
            name=f"payment-migration-rollback-{ENV}",
            definition=self.document(drain_wait_seconds),
            roleArn=ROLE_ARN,
            type="STANDARD",
        )["stateMachineArn"]
        # AWS names an execution with a UUID when none is given; moto names it "None".
        started = self.sfn.start_execution(
            stateMachineArn=arn, name=str(uuid.uuid4()), input=json.dumps(execution_input or {})
        )
        deadline = time.monotonic() + 60
        while True:
            execution = self.sfn.describe_execution(executionArn=started["executionArn"])
            if execution["status"] != "RUNNING":
                break
            assert time.monotonic() < deadline, "the rollback did not finish within 60 s"
            time.sleep(0.2)
        history = self.sfn.get_execution_history(executionArn=started["executionArn"], maxResults=1000)["events"]
        return execution, history

    def objects(self):
        listed = self.s3.list_objects_v2(Bucket=BUCKET)
        return [
            json.loads(self.s3.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read()) | {"_key": o["Key"]}
            for o in listed.get("Contents", [])
        ]

    def messages(self):
        received = self.sqs.receive_message(QueueUrl=self.queue, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        return [json.loads(json.loads(m["Body"])["Message"]) for m in received.get("Messages", [])]


def entered(history):
    return [e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e]


def assert_rolled_back(aws, execution, history):
    assert execution["status"] == "SUCCEEDED", (execution, history[-3:])
    assert aws.parameter("split") == "0"
    assert aws.parameter("cutover") == "false"
    assert aws.parameter("phase") == "rolled-back"
    order = entered(history)
    # Traffic goes back to production before any DMS call.
    assert order.index("RouteAllTrafficToProduction") < order.index("DescribeForwardTask")
    assert order.index("DisableCutover") < order.index("DescribeForwardTask")


def test_rollback_when_nothing_was_started(aws):
    execution, history = aws.rollback({"reason": "operator drill"})

    assert_rolled_back(aws, execution, history)
    assert "StopForwardTask" not in entered(history)
    assert "StartDrain" not in entered(history)
    assert aws.status(aws.forward) == "ready"
    [saved] = aws.objects()
    assert saved["_key"].startswith("rollback/")
    assert saved["reason"] == "operator drill"
    assert saved["phase"] == "cdc"
    assert saved["trafficSplitPercentage"] == "25"
    assert saved["enableCutover"] == "true"
    assert saved["forwardTaskStatus"] == ["ready"]
    assert saved["reverseTaskStatus"] == ["ready"]
    [message] = aws.messages()
    assert message["event"] == "rolled-back"
    assert message["reason"] == "operator drill"


def test_rollback_stops_the_running_forward_task(aws):
    aws.dms.start_replication_task(ReplicationTaskArn=aws.forward, StartReplicationTaskType="start-replication")
    assert aws.status(aws.forward) == "running"

    execution, history = aws.rollback()

    assert_rolled_back(aws, execution, history)
    assert "StopForwardTask" in entered(history)
    assert aws.status(aws.forward) == "stopped"
    [saved] = aws.objects()
    assert saved["reason"] == "manual"
    assert saved["forwardTaskStatus"] == ["running"]
    assert [m["event"] for m in aws.messages()] == ["rolled-back"]


def test_rollback_run_twice_succeeds_both_times(aws):
    aws.dms.start_replication_task(ReplicationTaskArn=aws.forward, StartReplicationTaskType="start-replication")

    first, first_history = aws.rollback({"reason": "first"})
    second, second_history = aws.rollback({"reason": "second"})

    assert_rolled_back(aws, first, first_history)
    assert_rolled_back(aws, second, second_history)
    assert "StopForwardTask" in entered(first_history)
    assert "StopForwardTask" not in entered(second_history)
    assert aws.status(aws.forward) == "stopped"
    saved = {s["reason"]: s for s in aws.objects()}
    assert set(saved) == {"first", "second"}
    assert saved["second"]["phase"] == "rolled-back"
    assert saved["second"]["trafficSplitPercentage"] == "0"
    assert saved["second"]["forwardTaskStatus"] == ["stopped"]
    assert [m["event"] for m in aws.messages()] == ["rolled-back", "rolled-back"]


def test_rollback_skips_an_already_stopped_forward_task(aws):
    aws.dms.start_replication_task(ReplicationTaskArn=aws.forward, StartReplicationTaskType="start-replication")
    aws.dms.stop_replication_task(ReplicationTaskArn=aws.forward)

    execution, history = aws.rollback()

    assert_rolled_back(aws, execution, history)
    assert "StopForwardTask" not in entered(history)
    assert aws.status(aws.forward) == "stopped"
    [saved] = aws.objects()
    assert saved["forwardTaskStatus"] == ["stopped"]


def test_rollback_drains_then_stops_a_running_reverse_task(aws):
    aws.dms.start_replication_task(ReplicationTaskArn=aws.reverse, StartReplicationTaskType="start-replication")
    polls = json.loads(ASL.read_text())["States"]["IsDrainOver"]["Choices"][1]["NumericLessThan"]

    execution, history = aws.rollback(drain_wait_seconds=1)

    assert_rolled_back(aws, execution, history)
    order = entered(history)
    assert order.count("WaitForDrain") == polls
    assert order.index("StopReverseTask") > order.index("WaitForDrain")
    assert aws.status(aws.reverse) == "stopped"


def test_rollback_when_no_task_exists(aws):
    aws.forget_tasks()

    execution, history = aws.rollback()

    assert_rolled_back(aws, execution, history)
    [saved] = aws.objects()
    assert saved["forwardTaskStatus"] == []
    assert saved["reverseTaskStatus"] == []
