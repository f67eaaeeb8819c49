"""Shared fixtures: the Lambda sources are loaded from templates/lambda/ by path, so the code under test is the
code the templates embed; AWS is moto (mock_aws) except DMS, which moto does not model closely enough and which
the tests stub with botocore's Stubber (it checks every request and response against the service model)."""

from __future__ import annotations

import datetime
import importlib.util
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn

import boto3
import botocore.exceptions
import pytest
from botocore.stub import Stubber
from moto import mock_aws

sys.dont_write_bytecode = True  # leave no __pycache__ beside the embedded sources

LAMBDA_DIR = Path(__file__).resolve().parents[2] / "templates" / "lambda"
REGION = "eu-west-1"
ACCOUNT = "123456789012"
API_ID = "a1b2c3d4e5"
STAGE = "prod"
ENABLE = "/migration/test/workflow/enable-cutover"
SPLIT = "/migration/test/workflow/traffic-split-percentage"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location("lambda_" + name, LAMBDA_DIR / (name + ".py"))
    assert spec is not None, name
    assert spec.loader is not None, name
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)


class Clock:
    """The authorizer's cache clock (monotonic) and an offset added to the wall clock."""

    def __init__(self) -> None:
        self.t = 1000.0
        self.wall_offset = 0.0

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds

    def wall(self) -> float:
        return time.time() + self.wall_offset


_DEFAULT = object()


class FailingClient:
    """A boto3 client whose calls raise the AWS error the world has set for its service (botocore's
    ClientError, as a throttled or failing AWS answer reaches the code), and otherwise reach moto."""

    def __init__(self, client: Any, world: AuthorizerWorld, service: str) -> None:
        self._client, self._world, self._service = client, world, service

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        code = self._world.failures.get(self._service)
        if code is None or not callable(attr):
            return attr

        def fail(*args: Any, **kwargs: Any) -> NoReturn:
            self._world.failed_calls.append((self._service, name))
            raise botocore.exceptions.ClientError({"Error": {"Code": code, "Message": "injected"}}, name)

        return fail


class AuthorizerWorld:
    def __init__(self, module: ModuleType, clock: Clock, secret_arn: str) -> None:
        self.module = module
        self.clock = clock
        self.secret_arn = secret_arn
        self.sm = boto3.client("secretsmanager", region_name=REGION)
        self.ssm = boto3.client("ssm", region_name=REGION)
        self.failures: dict[str, str] = {}  # service: the error code its calls fail with
        self.failed_calls: list[tuple[str, str]] = []  # (service, operation)

    def fail(self, service: str, code: str = "ThrottlingException") -> None:
        """Every call of the authorizer to `service` ("ssm", "secretsmanager") fails with `code` until heal()."""
        self.failures[service] = code

    def heal(self, service: str) -> None:
        self.failures.pop(service, None)

    def rotate(self, token: str) -> None:
        """What rotation leaves behind: a new AWSCURRENT version, the old one AWSPREVIOUS."""
        self.sm.put_secret_value(SecretId=self.secret_arn, SecretString=json.dumps({"token": token}))

    def set(self, enable: str | None = None, split: int | None = None) -> None:
        if enable is not None:
            self.ssm.put_parameter(Name=ENABLE, Value=enable, Type="String", Overwrite=True)
        if split is not None:
            self.ssm.put_parameter(Name=SPLIT, Value=str(split), Type="String", Overwrite=True)

    def call(
        self,
        token: str | None = "tok-current",
        client_id: str | None = None,
        ip: str = "203.0.113.10",
        headers: object = _DEFAULT,
        method_arn: str | None = None,
        **extra: object,
    ) -> dict[str, Any]:
        if headers is _DEFAULT:
            default = {"Host": "example.invalid"}
            if token is not None:
                default["Authorization"] = "Bearer " + token
            if client_id is not None:
                default["X-Client-Id"] = client_id
            headers = default
        event = {
            "type": "REQUEST",
            "methodArn": method_arn
            or "arn:aws:execute-api:%s:%s:%s/%s/POST/payments/charge" % (REGION, ACCOUNT, API_ID, STAGE),
            "resource": "/payments/charge",
            "path": "/payments/charge",
            "httpMethod": "POST",
            "headers": headers,
            "requestContext": {"identity": {"sourceIp": ip}, "stage": STAGE, "apiId": API_ID},
        }
        event.update(extra)
        policy: dict[str, Any] = self.module.handler(event, None)
        return policy

    def backend(self, client_id: str | None, **kw: Any) -> str:
        out = self.call(client_id=client_id, **kw)
        assert out["policyDocument"]["Statement"][0]["Effect"] == "Allow"
        backend: str = out["context"]["backend"]
        return backend


@pytest.fixture
def authorizer() -> Iterator[AuthorizerWorld]:
    with mock_aws():
        module = load("authorizer")
        sm = boto3.client("secretsmanager", region_name=REGION)
        arn = sm.create_secret(Name="migration/test/api-token", SecretString=json.dumps({"token": "tok-current"}))[
            "ARN"
        ]
        ssm = boto3.client("ssm", region_name=REGION)
        ssm.put_parameter(Name=ENABLE, Value="true", Type="String")
        ssm.put_parameter(Name=SPLIT, Value="0", Type="String")
        env = {
            "TOKEN_SECRET_ARN": arn,
            "ROTATION_WINDOW_SECONDS": "3600",
            "ENABLE_CUTOVER_PARAMETER": ENABLE,
            "TRAFFIC_SPLIT_PARAMETER": SPLIT,
            "SETTINGS_TTL_SECONDS": "5",
            "SETTINGS_MAX_STALENESS_SECONDS": "300",
            "TOKEN_MAX_STALENESS_SECONDS": "900",
            "API_ID": API_ID,
            "STAGE": STAGE,
        }
        mp = pytest.MonkeyPatch()
        for key, value in env.items():
            mp.setenv(key, value)
        clock = Clock()
        mp.setattr(module, "_now", clock)
        mp.setattr(module, "_wall", clock.wall)
        module._reset()
        world = AuthorizerWorld(module, clock, arn)
        real_client = module._client
        mp.setattr(module, "_client", lambda name: FailingClient(real_client(name), world, name))
        try:
            yield world
        finally:
            mp.undo()
            module._reset()


TASK_ARN = "arn:aws:dms:%s:%s:task:ABCDEFGHIJKLMNOPQRSTUVWXYZ" % (REGION, ACCOUNT)
TASK_RESOURCE_ID = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
INSTANCE_ID = "migration-test-ri"
REPORT_BUCKET = "migration-test-reports"
NAMESPACE = "PaymentMigration/Validation"
MAPPINGS = [
    {"schema": "payments", "table": "%", "action": "include"},
    {"schema": "payments", "table": "audit_%", "action": "exclude"},
    {"schema": "ledger", "table": "entries", "action": "include"},
]


class ValidationWorld:
    def __init__(self, module: ModuleType, stubber: Stubber) -> None:
        self.module = module
        self.dms = stubber
        self.cw = boto3.client("cloudwatch", region_name=REGION)
        self.s3 = boto3.client("s3", region_name=REGION)

    def stats(self, *pages: list[dict[str, Any]]) -> None:
        """Queue describe_table_statistics pages (each a list of TableStatistics) with Marker paging."""
        for i, page in enumerate(pages):
            resp = {"ReplicationTaskArn": TASK_ARN, "TableStatistics": page}
            params = {"ReplicationTaskArn": TASK_ARN, "MaxRecords": 500}
            if i + 1 < len(pages):
                resp["Marker"] = "page-%d" % (i + 1)
            if i:
                params["Marker"] = "page-%d" % i
            self.dms.add_response("describe_table_statistics", resp, params)

    def task(self, full_load_percent: int) -> None:
        stats = {
            "FullLoadProgressPercent": full_load_percent,
            "ElapsedTimeMillis": 120000,
            "TablesLoaded": 2,
            "TablesLoading": 0 if full_load_percent == 100 else 1,
            "TablesQueued": 0,
            "TablesErrored": 0,
        }
        self.dms.add_response(
            "describe_replication_tasks",
            {
                "ReplicationTasks": [
                    {
                        "ReplicationTaskIdentifier": "migration-test-forward",
                        "ReplicationTaskArn": TASK_ARN,
                        "MigrationType": "full-load-and-cdc",
                        "Status": "running",
                        "ReplicationTaskStats": stats,
                    }
                ]
            },
            {"Filters": [{"Name": "replication-task-arn", "Values": [TASK_ARN]}], "WithoutSettings": True},
        )

    def latency(self, source: float | None, target: float | None, age_seconds: float = 30) -> None:
        """Simulated AWS/DMS datapoints (moto accepts PutMetricData into AWS/ namespaces; AWS itself does not)."""
        when = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=age_seconds)
        dims = [
            {"Name": "ReplicationInstanceIdentifier", "Value": INSTANCE_ID},
            {"Name": "ReplicationTaskIdentifier", "Value": TASK_RESOURCE_ID},
        ]
        self.cw.put_metric_data(
            Namespace="AWS/DMS",
            MetricData=[
                {"MetricName": name, "Dimensions": dims, "Value": float(value), "Timestamp": when, "Unit": "Seconds"}
                for name, value in (("CDCLatencySource", source), ("CDCLatencyTarget", target))
                if value is not None
            ],
        )

    def run(self) -> dict[str, Any]:
        out: dict[str, Any] = self.module.handler({}, None)
        self.dms.assert_no_pending_responses()
        return out

    def report(self, summary: dict[str, Any]) -> dict[str, Any]:
        """The full report the run wrote to S3, which names every table."""
        bucket, key = summary["report"][len("s3://") :].split("/", 1)
        report: dict[str, Any] = json.loads(self.s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        return report


def table_stat(
    schema: str,
    table: str,
    state: str = "Table completed",
    validation: str = "Validated",
    failed: int = 0,
    suspended: int = 0,
    pending: int = 0,
    **extra: object,
) -> dict[str, Any]:
    """One TableStatistics entry with the member names and types of the DMS service model."""
    start = datetime.datetime(2026, 1, 1, 10, 0, tzinfo=datetime.UTC)
    stat = {
        "SchemaName": schema,
        "TableName": table,
        "Inserts": 120,
        "Deletes": 3,
        "Updates": 45,
        "Ddls": 0,
        "FullLoadRows": 100000,
        "FullLoadCondtnlChkFailedRows": 0,
        "FullLoadErrorRows": 0,
        "FullLoadStartTime": start,
        "FullLoadEndTime": start + datetime.timedelta(minutes=20),
        "FullLoadReloaded": False,
        "LastUpdateTime": start + datetime.timedelta(hours=1),
        "TableState": state,
        "ValidationState": validation,
        "ValidationPendingRecords": pending,
        "ValidationFailedRecords": failed,
        "ValidationSuspendedRecords": suspended,
    }
    stat.update(extra)
    return stat


@pytest.fixture
def validation() -> Iterator[ValidationWorld]:
    with mock_aws():
        module = load("validation")
        env = {
            "ENVIRONMENT": "test",
            "REPLICATION_TASK_ARN": TASK_ARN,
            "REPLICATION_INSTANCE_IDENTIFIER": INSTANCE_ID,
            "REPLICATION_TASK_RESOURCE_ID": TASK_RESOURCE_ID,
            "TABLE_MAPPINGS": json.dumps(MAPPINGS),
            "MAX_CDC_LATENCY_SECONDS": "30",
            "REPORT_BUCKET": REPORT_BUCKET,
            "REPORT_PREFIX": "validation/",
            "METRIC_NAMESPACE": NAMESPACE,
        }
        mp = pytest.MonkeyPatch()
        for key, value in env.items():
            mp.setenv(key, value)
        module._reset()
        dms = boto3.client("dms", region_name=REGION)
        stubber = Stubber(dms)
        stubber.activate()
        module._clients["dms"] = dms
        world = ValidationWorld(module, stubber)
        world.s3.create_bucket(Bucket=REPORT_BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        try:
            yield world
        finally:
            stubber.deactivate()
            mp.undo()
            module._reset()
