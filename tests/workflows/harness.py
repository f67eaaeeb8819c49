"""The harness of the workflow tests: the rendered Step Functions documents, executed in moto's Amazon States
Language interpreter against moto's SSM, S3, SNS/SQS, DMS, CloudWatch and Lambda.

`World` creates in moto what the stack (out/dev/stack.ap-southeast-1.yaml; another environment's with `env`, as the
runbook tests do) creates for the workflows, binds every `${Placeholder}` of a rendered document to it (as the state
machines' DefinitionSubstitutions do), and creates the state machines under the stack's names. The documents are
read from out/dev/, or from the folder named by the environment variable MIGEN_WORKFLOWS_DIR (used to show that the
tests fail on a broken document).

What the harness changes in a document:
- `aws-sdk:databasemigration:` becomes `aws-sdk:dms:`: the interpreter knows only boto3's service name;
- nothing else, except where a test says so (the approval-timeout test lowers one TimeoutSeconds).

What it changes in moto (`patch_moto`; these are moto internals, to revisit on a moto upgrade).
For speed, with no change of behaviour:
- Wait states do not sleep: each wait is recorded (state name and seconds) in `world.waits`, and a test can hook a
  state's waits to change the world at that point (the full load progresses, an alarm clears or fires);
- Retry intervals do not sleep: they are recorded in `world.retries`;
- a `.sync:2` child execution is polled every 0.02 s instead of 0.5 s;
- JSONPath expressions are parsed once: jsonpath-ng rebuilds its parser tables on every parse (about 25 ms), which
  made one migration run take 10 s;
- the interpreter creates one boto3 client per service and test instead of one per task (about 8 ms each).
To behave as AWS does where moto 5.2.5 does not (each of these failed a rendered document that is valid ASL):
- the optimized `states:startExecution.sync:2` integration: moto passes `StateMachineArn`/`Input` to boto3 as
  written and reads `ExecutionArn` from boto3's camel-cased answer (the conversions are stubs in moto), so every
  such task failed with States.Runtime, cause `'StateMachineArn'` (botocore's KeyError), and the migration's
  RollBack state went to NotifyRollbackNotCompleted without starting the rollback. The patch converts both ways
  with botocore's Step Functions model, as LocalStack's interpreter (which moto's is taken from) does;
- timestamps in an SDK answer: moto keeps Python datetimes in the state's data, where AWS has JSON, so every
  checkpoint's `States.JsonToString($)` failed with States.Runtime once a DMS answer (StartForwardTask's, kept in
  `$.discarded`) was in the state. The patch turns a task's result into JSON (ISO-8601 strings) when it ends;
- indefinite JSONPaths (with a wildcard, slice or filter) always give an array in AWS (Jayway JsonPath). moto gives
  the bare value when one element matches and the field is not directly under the array index:
  `$.ReplicationTasks[*].ReplicationTaskStats.FullLoadProgressPercent` gave `100`, not `[100]`, and
  `States.ArrayContains` then failed the execution. Definite paths keep moto's behaviour;
- an execution started without a name is named with a UUID, as AWS does (moto names it "None", so a second one
  collides with the first); the migration starts its rollback without a name;
- DMS testConnection on an instance and endpoint tested before starts a new test, as in AWS (moto raises
  UnboundLocalError), so the migration can run twice in one world;
- DMS errors are named as Step Functions names them on AWS, `DatabaseMigration.<Name>Exception` (the service's
  `...Fault` becomes `...Exception`, as in the AWS SDK for Java v2 whose names Step Functions uses), where moto says
  `dms.<Name>FaultException`: the workflows catch AWS's names, so the tests exercise those catchers.

What moto cannot model, so no test here claims it:
- IAM and KMS: the execution roles' policies and the encryption of the topic and the buckets (created unencrypted
  here) are checked by cfn-lint, cfn-guard and the Rust tests, not here;
- the buckets' names: CloudFormation generates them (the stack sets no BucketName); here they have fixed names;
- CloudWatch: no metric is evaluated. The gate alarms and the composite health alarm are put in a state by the
  test (moto has no put_composite_alarm: the composite is created through moto's backend with a rule);
- DMS: no data moves. A task's status and full-load percentage are what the test sets (moto hard-codes 100 %),
  moto ignores StartReplicationTaskType, connection tests always succeed, a start leaves a task `running` at once
  (AWS: `starting` first), and a filter that matches no task answers an empty list (AWS: ResourceNotFoundFault);
  every path with `starting` tasks and AWS's answers is explored in tests/workflow_paths.rs instead;
- the validation function is not run: the Lambda invoke returns the verdicts the test queues (the function need
  not exist in moto), and tests/lambdas tests the function itself.
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import pathlib
import re
import time
import types
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import boto3
import botocore.session
import pytest
from botocore import xform_name
from moto.awslambda_simple.models import LambdaSimpleBackend, lambda_simple_backends
from moto.cloudwatch.models import cloudwatch_backends
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.config import DefaultConfig
from moto.core.exceptions import JsonRESTError
from moto.dms.models import DatabaseMigrationServiceBackend, dms_backends
from moto.ssm.models import SimpleSystemManagerBackend
from moto.stepfunctions.parser.asl.component.common.path import result_path
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service_callback
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service import StateTaskService
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_aws_sdk import (
    StateTaskServiceAwsSdk,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sfn import (
    StateTaskServiceSfn,
)
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction
from moto.stepfunctions.parser.asl.utils import boto_client, json_path
from moto.stepfunctions.parser.asl.utils.encoding import to_json_str
from moto.stepfunctions.parser.models import StepFunctionsParserBackend

ROOT = pathlib.Path(__file__).resolve().parents[2]
WORKFLOWS_DIR = pathlib.Path(os.environ.get("MIGEN_WORKFLOWS_DIR") or ROOT / "out" / "dev")
MOTO_CONFIG: DefaultConfig = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
REGION = "ap-southeast-1"
ACCOUNT = DEFAULT_ACCOUNT_ID


class Names:
    """The names the stack of one environment gives what the workflows use (as in out/<env>/stack.*.yaml)."""

    def __init__(self, env: str) -> None:
        self.env = env
        self.parameters = {
            "phase": f"/migration/{env}/workflow/phase",
            "split": f"/migration/{env}/workflow/traffic-split-percentage",
            "cutover": f"/migration/{env}/workflow/enable-cutover",
        }
        self.checkpoints_bucket = f"payment-migration-checkpoints-{env}"
        self.rollback_bucket = f"payment-migration-rollback-state-{env}"
        self.topic = f"payment-migration-operations-{env}"
        self.state_machines = {
            "migration": f"payment-migration-migration-{env}",
            "rollback": f"payment-migration-rollback-{env}",
        }
        self.alarms = {
            "forward-gate": f"payment-migration-forward-cdc-latency-{env}",
            "reverse-gate": f"payment-migration-reverse-cdc-latency-{env}",
            "health": f"payment-migration-health-{env}",
        }
        self.validation_function = f"data-validation-{env}"
        self.validation_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.validation_function}"
        self.role_arn = f"arn:aws:iam::{ACCOUNT}:role/payment-migration-workflows-{env}"


# The dev environment's names, which the workflow tests use.
DEV = Names("dev")
PARAMETERS = DEV.parameters
CHECKPOINTS_BUCKET = DEV.checkpoints_bucket
ROLLBACK_BUCKET = DEV.rollback_bucket
ALARMS = DEV.alarms
EXECUTION_TIMEOUT_SECONDS = 30
POLL_SECONDS = 0.1


# --- moto patches --------------------------------------------------------------------------------------------------


class Waits:
    """Every Wait state's wait, recorded instead of slept, and the hooks a test sets on a state's waits."""

    def __init__(self) -> None:
        self.log: list[tuple[str, float]] = []  # (state name, seconds)
        self._hooks: dict[str, list[Callable[[int], object]]] = {}

    def on(self, state: str, hook: Callable[[int], object]) -> None:
        """Calls hook(n) after the n-th wait of `state` (n from 1), before the workflow goes on."""
        self._hooks.setdefault(state, []).append(hook)

    def seconds(self, state: str) -> list[float]:
        return [seconds for name, seconds in self.log if name == state]

    def record(self, state: str, seconds: float) -> None:
        self.log.append((state, seconds))
        for hook in self._hooks.get(state, []):
            hook(len(self.seconds(state)))


# Shared by every test: a parsed path does not depend on the data it is applied to.
CACHED_PARSERS = {module: functools.lru_cache(maxsize=None)(module.parse) for module in (json_path, result_path)}

INDEFINITE_PATH = re.compile(r"\[\*\]|\.\*|\.\.|\[[^\]'\"]*[:?,][^\]'\"]*\]")
JSON_PATH_USERS = [
    f"moto.stepfunctions.parser.asl.{module}"
    for module in (
        "component.common.string.string_expression",
        "component.intrinsic.argument.argument",
        "eval.states",
        *(
            f"component.state.choice.comparison.operator.implementations.{name}"
            for name in ("boolean_equals", "numeric", "string_operators", "timestamp_operators")
        ),
    )
]


BOTO_CLIENT_USERS = [
    f"moto.stepfunctions.parser.asl.component.state.exec.state_task.{module}"
    for module in (
        "lambda_eval_utils",
        "service.state_task_service_aws_sdk",
        "service.state_task_service_sfn",
        "service.state_task_service_sns",
    )
]


def extract_json_like_aws(path: str, data: Any) -> Any:
    if INDEFINITE_PATH.search(path):
        return [match.value for match in json_path.parse(path).find(data)]
    return json_path.extract_json(path, data)


class Patched(NamedTuple):
    """What patch_moto records: every Wait state's wait, and every retry interval (seconds)."""

    waits: Waits
    retry_sleeps: list[float]


def patch_moto(monkeypatch: pytest.MonkeyPatch) -> Patched:
    """Applies the changes listed in the module's docstring; returns the record of waits and of retry sleeps."""
    waits = Waits()
    retry_sleeps: list[float] = []

    wait_interval = WaitFunction._wait_interval

    def record_wait(self: WaitFunction, env: Any, wait_seconds: float) -> Any:
        waits.record(env.states.context_object.context_object_data["State"]["Name"], wait_seconds)
        return wait_interval(self, env, 0)

    monkeypatch.setattr(WaitFunction, "_wait_interval", record_wait)
    monkeypatch.setattr(retrier_decl, "time", types.SimpleNamespace(sleep=retry_sleeps.append))
    monkeypatch.setattr(state_task_service_callback, "_DELAY_SECONDS_SYNC_CONDITION_CHECK", 0.02)
    for module, parse in CACHED_PARSERS.items():
        monkeypatch.setattr(module, "parse", parse)
    clients: dict[tuple[str, str], Any] = {}

    def boto_client_once(region: str, service: str, state_credentials: Any = None) -> Any:
        if (region, service) not in clients:
            clients[region, service] = boto_client.boto_client_for(region, service, state_credentials)
        return clients[region, service]

    for name in BOTO_CLIENT_USERS:
        module = importlib.import_module(name)
        assert module.boto_client_for is boto_client.boto_client_for, name
        monkeypatch.setattr(module, "boto_client_for", boto_client_once)

    sfn_model = botocore.session.get_session().get_service_model("stepfunctions")
    sfn_operations = {xform_name(name): sfn_model.operation_model(name) for name in sfn_model.operation_names}
    normalise_parameters = StateTaskServiceSfn._normalise_parameters

    def normalise_parameters_for_boto(
        self: StateTaskServiceSfn,
        parameters: dict[str, Any],
        boto_service_name: str | None = None,
        service_action_name: str | None = None,
    ) -> None:
        normalise_parameters(self, parameters, boto_service_name, service_action_name)
        operation = sfn_operations[self._get_boto_service_action(service_action_name)]
        self._to_boto_request(parameters, operation.input_shape)

    def normalise_response_from_boto(
        self: StateTaskServiceSfn,
        response: Any,
        boto_service_name: str | None = None,
        service_action_name: str | None = None,
    ) -> None:
        operation = sfn_operations[self._get_boto_service_action(service_action_name)]
        self._from_boto_response(response, operation.output_shape)

    monkeypatch.setattr(StateTaskServiceSfn, "_normalise_parameters", normalise_parameters_for_boto)
    monkeypatch.setattr(StateTaskServiceSfn, "_normalise_response", normalise_response_from_boto)

    after_eval_execution = StateTaskService._after_eval_execution

    def after_eval_execution_as_json(self: StateTaskService, env: Any, *args: Any, **kwargs: Any) -> Any:
        env.stack[-1] = json.loads(to_json_str(env.stack[-1]))
        return after_eval_execution(self, env, *args, **kwargs)

    monkeypatch.setattr(StateTaskService, "_after_eval_execution", after_eval_execution_as_json)

    for name in JSON_PATH_USERS:
        module = importlib.import_module(name)
        assert module.extract_json is json_path.extract_json, name
        monkeypatch.setattr(module, "extract_json", extract_json_like_aws)

    start_execution = StepFunctionsParserBackend.start_execution

    def start_execution_named_like_aws(
        self: StepFunctionsParserBackend, state_machine_arn: str, name: str | None = None, *args: Any, **kwargs: Any
    ) -> Any:
        return start_execution(self, state_machine_arn, name or str(uuid.uuid4()), *args, **kwargs)

    monkeypatch.setattr(StepFunctionsParserBackend, "start_execution", start_execution_named_like_aws)

    test_connection = DatabaseMigrationServiceBackend.test_connection

    def test_connection_again(
        self: DatabaseMigrationServiceBackend, replication_instance_arn: str, endpoint_arn: str
    ) -> Any:
        tested = (replication_instance_arn, endpoint_arn)
        self.connections[:] = [c for c in self.connections if (c.replication_instance_arn, c.endpoint_arn) != tested]
        return test_connection(self, replication_instance_arn, endpoint_arn)

    monkeypatch.setattr(DatabaseMigrationServiceBackend, "test_connection", test_connection_again)

    normalise_exception_name = StateTaskServiceAwsSdk._normalise_exception_name

    def dms_errors_named_like_aws(norm_service_name: str, ex: Any) -> str:
        if norm_service_name != "dms":
            return normalise_exception_name(norm_service_name, ex)
        name = ex.__class__.__name__
        if name == "ClientError":
            name = ex.response["Error"]["Code"]
        stem = name[: -len("Fault")] if name.endswith("Fault") else name.removesuffix("Exception")
        return f"DatabaseMigration.{stem}Exception"

    monkeypatch.setattr(StateTaskServiceAwsSdk, "_normalise_exception_name", staticmethod(dms_errors_named_like_aws))
    return Patched(waits, retry_sleeps)


class LambdaServiceException(JsonRESTError):
    code = 500

    def __init__(self) -> None:
        super().__init__("ServiceException", "injected transient failure")


class SsmInternalServerError(JsonRESTError):
    code = 500

    def __init__(self) -> None:
        super().__init__("InternalServerError", "injected failure")


# --- the world -----------------------------------------------------------------------------------------------------


class Scheduled(NamedTuple):
    """A task an execution scheduled: the state that scheduled it (None before any state) and its parameters."""

    state: str | None
    parameters: Any


@dataclass
class Run:
    """A finished execution: describe_execution's answer and its history."""

    execution: dict[str, Any]
    history: list[dict[str, Any]] = field(repr=False)

    @property
    def status(self) -> str:
        status: str = self.execution["status"]
        return status

    @property
    def error(self) -> str | None:
        error: str | None = self.execution.get("error")
        return error

    @property
    def name(self) -> str:
        name: str = self.execution["name"]
        return name

    @property
    def arn(self) -> str:
        arn: str = self.execution["executionArn"]
        return arn

    @property
    def entered(self) -> list[str]:
        """The names of the states entered, in order."""
        return [e["stateEnteredEventDetails"]["name"] for e in self.history if "stateEnteredEventDetails" in e]

    def count(self, state: str) -> int:
        return self.entered.count(state)

    def scheduled(self) -> list[Scheduled]:
        """Every task scheduled, in order."""
        scheduled: list[Scheduled] = []
        current: str | None = None
        for event in self.history:
            if "stateEnteredEventDetails" in event:
                current = event["stateEnteredEventDetails"]["name"]
            elif "taskScheduledEventDetails" in event:
                scheduled.append(Scheduled(current, json.loads(event["taskScheduledEventDetails"]["parameters"])))
        return scheduled

    def task_failures(self) -> list[tuple[str | None, str]]:
        """(state name, error) of every task that failed, in order."""
        failures: list[tuple[str | None, str]] = []
        current: str | None = None
        for event in self.history:
            if "stateEnteredEventDetails" in event:
                current = event["stateEnteredEventDetails"]["name"]
            for key in ("taskFailedEventDetails", "taskTimedOutEventDetails"):
                if key in event:
                    failures.append((current, event[key]["error"]))
        return failures

    def task_parameters(self, state: str) -> list[Any]:
        """The parameters of every task scheduled by `state`, in order."""
        return [parameters for name, parameters in self.scheduled() if name == state]

    def state_outputs(self, state: str) -> list[Any]:
        return [
            json.loads(e["stateExitedEventDetails"]["output"])
            for e in self.history
            if "stateExitedEventDetails" in e and e["stateExitedEventDetails"]["name"] == state
        ]

    def describe(self) -> str:
        """Status, error and the last events, for assertion messages."""
        tail = [{k: v for k, v in e.items() if k == "type" or k.endswith("EventDetails")} for e in self.history[-6:]]
        return json.dumps(
            {"status": self.status, "error": self.error, "cause": self.execution.get("cause"), "tail": tail},
            default=str,
            indent=1,
        )[:4000]


def placeholders(text: str) -> set[str]:
    return set(re.findall(r"\$\{([A-Za-z0-9]+)\}", text))


class World:
    """What the stack creates for the workflows, in moto, and the workflows created from the rendered documents."""

    def __init__(
        self,
        waits: Waits,
        retries: list[float],
        monkeypatch: pytest.MonkeyPatch,
        env: str = "dev",
        documents_dir: pathlib.Path = WORKFLOWS_DIR,
    ) -> None:
        self.names = Names(env)
        self.waits = waits
        self.retries = retries
        self._monkeypatch = monkeypatch
        self.ssm, self.s3, self.sns, self.sqs, self.dms, self.cloudwatch, self.sfn = (
            boto3.client(name, region_name=REGION)
            for name in ("ssm", "s3", "sns", "sqs", "dms", "cloudwatch", "stepfunctions")
        )
        self._dms = dms_backends[ACCOUNT][REGION]
        self._received: list[dict[str, Any]] = []
        self._state_machines: dict[str, str] = {}  # kind: ARN
        self.full_load_progress: dict[str, int] = {}  # task ARN: FullLoadProgressPercent

        # The stack's parameters, with their initial values.
        self.ssm.put_parameter(Name=self.names.parameters["phase"], Value="not-started", Type="String")
        self.ssm.put_parameter(Name=self.names.parameters["split"], Value="0", Type="String")
        self.ssm.put_parameter(Name=self.names.parameters["cutover"], Value="false", Type="String")
        for bucket in (self.names.checkpoints_bucket, self.names.rollback_bucket):
            self.s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        self.topic = self.sns.create_topic(Name=self.names.topic)["TopicArn"]
        self.queue = self.sqs.create_queue(QueueName="operations-subscriber")["QueueUrl"]
        queue_arn = self.sqs.get_queue_attributes(QueueUrl=self.queue, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        self.sns.subscribe(TopicArn=self.topic, Protocol="sqs", Endpoint=queue_arn)

        # DMS: the replication instance, the four endpoints and the two tasks, as the stack creates them.
        self.instance = self.dms.create_replication_instance(
            ReplicationInstanceIdentifier=f"payment-migration-replication-{self.names.env}",
            ReplicationInstanceClass="dms.t3.medium",
            AllocatedStorage=50,
        )["ReplicationInstance"]["ReplicationInstanceArn"]
        endpoints = {
            name: self._endpoint(f"payment-migration-{name}-{self.names.env}", kind)
            for name, kind in (
                ("source", "source"),
                ("target", "target"),
                ("reverse-source", "source"),
                ("reverse-target", "target"),
            )
        }
        self.source, self.target = endpoints["source"], endpoints["target"]
        self.forward = self._task(f"migration-forward-{self.names.env}", "full-load-and-cdc", self.source, self.target)
        self.reverse = self._task(
            f"migration-reverse-{self.names.env}", "cdc", endpoints["reverse-source"], endpoints["reverse-target"]
        )

        # CloudWatch: the two CDC-latency gates and the migration-health composite, all OK to begin with.
        for key in ("forward-gate", "reverse-gate"):
            self._gate(self.names.alarms[key], key.split("-")[0])
        # moto types the metric alarm's arguments as required; a composite alarm (rule=) has none of them.
        cloudwatch: Any = cloudwatch_backends[ACCOUNT][REGION]
        cloudwatch.put_metric_alarm(
            name=self.names.alarms["health"],
            namespace=None,
            metric_name=None,
            metric_data_queries=None,
            comparison_operator=None,
            evaluation_periods=None,
            datapoints_to_alarm=None,
            period=None,
            threshold=None,
            statistic=None,
            extended_statistic=None,
            description="Migration health",
            dimensions=[],
            alarm_actions=[self.topic],
            ok_actions=[self.topic],
            insufficient_data_actions=[],
            unit=None,
            actions_enabled=True,
            treat_missing_data=None,
            evaluate_low_sample_count_percentile=None,
            threshold_metric_id=None,
            rule=(
                f'ALARM("payment-migration-replication-lag-{self.names.env}") OR '
                f'ALARM("payment-migration-api-5xx-{self.names.env}")'
            ),
            tags=[],
        )
        for name in self.names.alarms.values():
            self.set_alarm(name, "OK")

        self.bindings = {
            "ConfigurationWorkflowPhaseParameterName": self.names.parameters["phase"],
            "ConfigurationWorkflowTrafficSplitPercentageParameterName": self.names.parameters["split"],
            "ConfigurationWorkflowEnableCutoverParameterName": self.names.parameters["cutover"],
            "MigrationForwardTaskArn": self.forward,
            "MigrationReverseTaskArn": self.reverse,
            "MigrationReplicationInstanceArn": self.instance,
            "MigrationSourceEndpointArn": self.source,
            "MigrationTargetEndpointArn": self.target,
            "MonitoringForwardCdcLatencyAlarmName": self.names.alarms["forward-gate"],
            "MonitoringReverseCdcLatencyAlarmName": self.names.alarms["reverse-gate"],
            "MonitoringHealthAlarmName": self.names.alarms["health"],
            "NotificationOperationsTopicArn": self.topic,
            "OrchestrationRollbackStateMachineArn": self.state_machine_arn("rollback"),
            "StorageCheckpointsBucketName": self.names.checkpoints_bucket,
            "StorageRollbackStateBucketName": self.names.rollback_bucket,
            "ValidationDataValidationFunctionArn": self.names.validation_function_arn,
        }
        # The bound documents; a test may edit one before its first execution creates the state machine.
        self.documents = {kind: self._bind(documents_dir / f"{kind}.asl.json") for kind in self.names.state_machines}

    # --- setup helpers

    def _endpoint(self, identifier: str, kind: str) -> str:
        arn: str = self.dms.create_endpoint(
            EndpointIdentifier=identifier,
            EndpointType=kind,
            EngineName="aurora-postgresql",
            DatabaseName="payments",
            ServerName=f"{identifier}.example",
            Port=5432,
            Username="dms",
            Password="unused",
        )["Endpoint"]["EndpointArn"]
        return arn

    def _task(self, identifier: str, migration_type: str, source: str, target: str) -> str:
        arn: str = self.dms.create_replication_task(
            ReplicationTaskIdentifier=identifier,
            SourceEndpointArn=source,
            TargetEndpointArn=target,
            ReplicationInstanceArn=self.instance,
            MigrationType=migration_type,
            TableMappings='{"rules":[]}',
        )["ReplicationTask"]["ReplicationTaskArn"]
        task = self._dms.replication_tasks[arn]
        # CloudFormation leaves a new task "ready"; moto leaves it "creating".
        task.ready()
        # moto reports FullLoadProgressPercent 100 whatever the task does; a test may set it per task.
        to_dict = type(task).to_dict
        progress = self.full_load_progress

        def to_dict_with_progress(self: Any) -> dict[str, Any]:
            described = to_dict(self)
            if self.arn in progress:
                described["ReplicationTaskStats"] = {
                    **described["ReplicationTaskStats"],
                    "FullLoadProgressPercent": progress[self.arn],
                }
            return described

        task.to_dict = to_dict_with_progress.__get__(task)  # type: ignore[method-assign]  # this task's alone
        return arn

    def _gate(self, name: str, direction: str) -> None:
        dimensions = [
            {"Name": "ReplicationInstanceIdentifier", "Value": f"payment-migration-replication-{self.names.env}"},
            {"Name": "ReplicationTaskIdentifier", "Value": f"migration-{direction}-{self.names.env}"},
        ]
        self.cloudwatch.put_metric_alarm(
            AlarmName=name,
            ComparisonOperator="GreaterThanThreshold",
            Threshold=30.0,
            EvaluationPeriods=3,
            DatapointsToAlarm=1,
            TreatMissingData="breaching",
            Metrics=[
                {
                    "Id": f"m{i}",
                    "MetricStat": {
                        "Metric": {"Namespace": "AWS/DMS", "MetricName": metric, "Dimensions": dimensions},
                        "Period": 60,
                        "Stat": "Maximum",
                    },
                    "ReturnData": False,
                }
                for i, metric in ((1, "CDCLatencySource"), (2, "CDCLatencyTarget"))
            ]
            + [{"Id": "e1", "Expression": "m1 + m2", "Label": "CDC latency (s)", "ReturnData": True}],
        )

    def state_machine_arn(self, kind: str) -> str:
        return f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{self.names.state_machines[kind]}"

    def _bind(self, path: pathlib.Path) -> dict[str, Any]:
        text = path.read_text()
        unbound = placeholders(text) - self.bindings.keys()
        assert not unbound, f"{path.name}: placeholders the harness does not bind: {sorted(unbound)}"
        assert placeholders(text), f"{path.name}: no placeholder at all; is this a rendered document?"
        for name, value in self.bindings.items():
            text = text.replace("${" + name + "}", value)
        assert not placeholders(text)
        text = text.replace("arn:aws:states:::aws-sdk:databasemigration:", "arn:aws:states:::aws-sdk:dms:")
        document: dict[str, Any] = json.loads(text)
        return document

    # --- world controls

    def set_alarm(self, name: str, state: str) -> None:
        self.cloudwatch.set_alarm_state(AlarmName=name, StateValue=state, StateReason="set by the test")

    def set_task_status(self, arn: str, status: str) -> None:
        self._dms.replication_tasks[arn].status = status

    def fail_connection_test(self, endpoint_arn: str) -> None:
        """The last connection test of this endpoint failed."""
        [connection] = [c for c in self._dms.connections if c.endpoint_arn == endpoint_arn]
        connection.status = "failed"

    def queue_validation(self, *verdicts: str) -> None:
        """Queues the validation function's answers, one per invoke."""
        results = lambda_simple_backends[ACCOUNT][REGION].lambda_simple_results_queue
        for verdict in verdicts:
            results.append(json.dumps({"verdict": verdict, "tables": 3, "report": f"validation/{verdict}.json"}))

    def fail_lambda_invokes(self, times: int) -> list[float]:
        """The next `times` Lambda invokes fail with Lambda's ServiceException (HTTP 500); returns their count."""
        calls: list[float] = []  # when each invoke was made (time.monotonic)
        original = LambdaSimpleBackend.invoke

        def invoke(backend: LambdaSimpleBackend, *args: Any, **kwargs: Any) -> Any:
            calls.append(time.monotonic())
            if len(calls) <= times:
                raise LambdaServiceException()
            return original(backend, *args, **kwargs)

        self._monkeypatch.setattr(LambdaSimpleBackend, "invoke", invoke)
        return calls

    def fail_parameter_writes(self, key: str) -> list[str]:
        """Every write of this parameter fails with Parameter Store's InternalServerError (HTTP 500); returns the
        list of failed writes, which grows as they happen."""
        failed: list[str] = []
        original = SimpleSystemManagerBackend.put_parameter

        def put_parameter(backend: SimpleSystemManagerBackend, name: str, *args: Any, **kwargs: Any) -> Any:
            if name == self.names.parameters[key]:
                failed.append(name)
                raise SsmInternalServerError()
            return original(backend, name, *args, **kwargs)

        self._monkeypatch.setattr(SimpleSystemManagerBackend, "put_parameter", put_parameter)
        return failed

    # --- executions

    def _create(self, kind: str) -> str:
        if kind not in self._state_machines:
            if kind == "migration":
                self._create("rollback")  # the migration's RollBack state starts it
            self._state_machines[kind] = self.sfn.create_state_machine(
                name=self.names.state_machines[kind],
                definition=json.dumps(self.documents[kind]),
                roleArn=self.names.role_arn,
                type="STANDARD",
            )["stateMachineArn"]
            assert self._state_machines[kind] == self.state_machine_arn(kind)
        return self._state_machines[kind]

    def create_state_machines(self) -> None:
        """Both state machines, as a deploy leaves them (tests otherwise create each at its first execution)."""
        for kind in self.names.state_machines:
            self._create(kind)

    def start(self, kind: str, execution_input: str = "{}") -> str:
        """Starts an execution (as `aws stepfunctions start-execution --input ...`) and returns its ARN."""
        arn: str = self.sfn.start_execution(
            stateMachineArn=self._create(kind), name=str(uuid.uuid4()), input=execution_input
        )["executionArn"]
        return arn

    def wait(self, execution_arn: str, answered: bool = True) -> Run:
        """Waits for the execution to end and returns it. With answered=False, the test sends no task token, so an
        execution that waits for one fails the test at once instead of at the timeout."""
        started = time.monotonic()
        checked = 0
        while (execution := self.sfn.describe_execution(executionArn=execution_arn))["status"] == "RUNNING":
            waited = time.monotonic() - started
            assert waited < EXECUTION_TIMEOUT_SECONDS, (
                f"{execution_arn} did not finish in {EXECUTION_TIMEOUT_SECONDS} s"
            )
            if not answered and int(waited) > checked:
                checked = int(waited)
                # moto ignores maxResults and reverseOrder: the whole history comes back.
                # Under load the interpreter's thread may not have recorded its first event yet.
                events = self.sfn.get_execution_history(executionArn=execution_arn)["events"]
                last = events[-1] if events else {}
                waiting = last.get("taskSubmittedEventDetails", {}).get("resource", "").endswith(".waitForTaskToken")
                assert not waiting, f"the execution waits for a task token that this test does not send: {last}"
            time.sleep(POLL_SECONDS)
        pages = self.sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn)
        return Run(execution, [event for page in pages for event in page["events"]])

    def run(self, kind: str, execution_input: str = "{}") -> Run:
        """Starts an execution that needs no answer from the test, and waits for its end."""
        return self.wait(self.start(kind, execution_input), answered=False)

    def stop_running_executions(self) -> None:
        for arn in self._state_machines.values():
            for execution in self.sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING")["executions"]:
                self.sfn.stop_execution(executionArn=execution["executionArn"])

    def executions(self, kind: str) -> list[Run]:
        """The finished executions of a workflow, oldest first."""
        listed = self.sfn.list_executions(stateMachineArn=self._create(kind))["executions"]
        return [self.wait(e["executionArn"]) for e in sorted(listed, key=lambda e: e["startDate"])]

    def await_message(self, event: str, execution_arn: str) -> dict[str, Any]:
        """The first message the execution published with this `event` (waits for it while the execution runs)."""
        deadline = time.monotonic() + EXECUTION_TIMEOUT_SECONDS
        while True:
            found = [m for m in self.messages() if m.get("event") == event and m.get("execution") == execution_arn]
            if found:
                return found[0]
            run = self.sfn.describe_execution(executionArn=execution_arn)
            if run["status"] != "RUNNING":
                raise AssertionError(f"no {event} message; the execution ended: {self.wait(execution_arn).describe()}")
            assert time.monotonic() < deadline, f"no {event} message within {EXECUTION_TIMEOUT_SECONDS} s"
            time.sleep(POLL_SECONDS)

    # --- observations

    def parameter(self, key: str) -> str:
        value: str = self.ssm.get_parameter(Name=self.names.parameters[key])["Parameter"]["Value"]
        return value

    def status(self, arn: str) -> str:
        tasks = self.dms.describe_replication_tasks(Filters=[{"Name": "replication-task-arn", "Values": [arn]}])
        status: str = tasks["ReplicationTasks"][0]["Status"]
        return status

    def objects(self, bucket: str) -> dict[str, Any]:
        """{key: parsed JSON body} of a bucket's objects."""
        listed = self.s3.list_objects_v2(Bucket=bucket).get("Contents", [])
        return {o["Key"]: json.loads(self.s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()) for o in listed}

    def messages(self) -> list[dict[str, Any]]:
        """Every message published to the operations topic so far, in order (the SNS envelope removed)."""
        while received := self.sqs.receive_message(QueueUrl=self.queue, MaxNumberOfMessages=10).get("Messages"):
            for m in received:
                self._received.append(json.loads(json.loads(m["Body"])["Message"]))
                self.sqs.delete_message(QueueUrl=self.queue, ReceiptHandle=m["ReceiptHandle"])
        return list(self._received)


def choice_rule(document: dict[str, Any], state: str, next_state: str) -> dict[str, Any]:
    """The single rule of a Choice state that goes to `next_state`."""
    rules = [rule for rule in document["States"][state]["Choices"] if rule["Next"] == next_state]
    assert len(rules) == 1, (state, next_state, rules)
    rule: dict[str, Any] = rules[0]
    return rule


def operand(rule: dict[str, Any], variable: str, operator: str) -> Any:
    """The operand that `rule` (or one of its And/Or members) compares `variable` with, using `operator`."""
    members = [rule, *rule.get("And", []), *rule.get("Or", [])]
    found = [m[operator] for m in members if m.get("Variable") == variable and operator in m]
    assert len(found) == 1, (rule, variable, operator)
    return found[0]
