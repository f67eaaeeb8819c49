"""Data validation: do source and target agree for every table the task's mappings select?

Embedded verbatim as Code.ZipFile (handler index.handler). Standard library and boto3 only.
Returns a summary the migration workflow branches on: {"verdict": "consistent" | "inconsistent" | "not-ready",
the tables counted by verdict, the first MAX_NAMED tables of each failing verdict, the report's S3 URI}. It is
bounded in size whatever the number of tables (a state's data is at most 256 KiB in Step Functions); every
table's detail is in the report the function writes to S3.
Reads only DMS statistics and CloudWatch metrics: no row data is read, returned or logged.

Errors, each logged as one JSON line and raised:
- DependencyUnavailable: an AWS call was throttled, or failed in a way a later call may not (a 5xx, a timeout,
  a dropped connection). The workflow retries it (twice, from 5 s).
- Any other error (a refused AWS call such as AccessDenied or a task that does not exist, a misconfiguration)
  is raised as it is. The workflow does not retry it: the run fails and rolls back.
"""

from __future__ import annotations

import datetime
import json
import os
import re
from collections.abc import Callable
from typing import Any, NamedTuple, TypedDict

import boto3
import botocore.exceptions

_REQUIRED_ENV = (
    "ENVIRONMENT",
    "REPLICATION_TASK_ARN",
    "REPLICATION_INSTANCE_IDENTIFIER",
    "REPLICATION_TASK_RESOURCE_ID",
    "TABLE_MAPPINGS",
    "MAX_CDC_LATENCY_SECONDS",
    "REPORT_BUCKET",
    "REPORT_PREFIX",
    "METRIC_NAMESPACE",
)
LATENCY_LOOKBACK = datetime.timedelta(minutes=5)

# State strings: botocore's DMS service model (data/dms/2016-01-01/service-2.json), shape TableStatistics,
# documentation of members TableState ("Table does not exist | Before load | Full load | Table completed |
# Table cancelled | Table error | Table is being reloaded") and ValidationState ("Not enabled", "Pending records",
# "Mismatched records", "Suspended records", "No primary key", "Table error", "Validated", "Error",
# "Pending validation", "Preparing table", "Pending revalidation"). Anything not listed is treated as not-ready.
TABLE_COMPLETED = "Table completed"
TABLE_FAILED = {"Table error", "Table does not exist", "Table cancelled"}
VALIDATED = "Validated"
# Validation found a difference, or can never run for this table.
VALIDATION_FAILED = {"Mismatched records", "Suspended records", "Table error", "Error", "No primary key"}
# "Not enabled" is expected before a table is loaded; on a completed table validation will never happen.
VALIDATION_DISABLED = "Not enabled"

# How many tables of each failing verdict, and how many reasons, the summary names; the report names them all.
MAX_NAMED = 20
# Error codes of AWS calls worth trying again: throttling, and the service failing on its side.
TRANSIENT_CODES = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "RequestThrottled",
    "SlowDown",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "InternalFailure",
    "InternalError",
    "InternalServerError",
    "InternalServiceError",
    "RequestTimeout",
    "RequestTimeoutException",
}


class DependencyUnavailable(Exception):
    """An AWS call failed in a way that a later call may not: the workflow retries the validation."""


# The environment: strings, MAX_CDC_LATENCY_SECONDS a float, and "rules" the parsed TABLE_MAPPINGS.
_Config = dict[str, Any]


class _Rule(NamedTuple):
    """A TABLE_MAPPINGS selection rule, with its names compiled."""

    action: str
    schema: str
    table: str
    schema_re: re.Pattern[str]
    table_re: re.Pattern[str]


class _Row(TypedDict):
    """One table in the report."""

    schema: str
    table: str
    table_state: str | None
    validation_state: str | None
    failed_records: int
    suspended_records: int
    pending_records: int
    verdict: str
    reason: str


class _Latency(TypedDict):
    """The latest CDC latency datapoints, in seconds."""

    source: float
    target: float
    total: float


class _Judgement(NamedTuple):
    """One table's verdict, and why."""

    verdict: str
    reason: str


class _Evaluation(NamedTuple):
    """The run's verdict, every selected table, the CDC latency (None without datapoints) and the run's reasons."""

    verdict: str
    tables: list[_Row]
    latency: _Latency | None
    reasons: list[str]


def _transient(exc: BaseException) -> bool:
    """Whether an AWS error is throttling or a failure on the service's side, worth retrying."""
    if isinstance(exc, (botocore.exceptions.ConnectionError, botocore.exceptions.HTTPClientError)):
        return True
    if isinstance(exc, botocore.exceptions.ClientError):
        error = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        return error.get("Code") in TRANSIENT_CODES or status >= 500
    return False


_utcnow: Callable[[], datetime.datetime] = lambda: datetime.datetime.now(datetime.UTC)  # noqa: E731 - tests replace it
_clients: dict[str, Any] = {}


def _reset() -> None:
    _clients.clear()


def _client(name: str) -> Any:
    if name not in _clients:
        _clients[name] = boto3.client(name)
    return _clients[name]


def _log(record: dict[str, Any]) -> None:
    print(json.dumps(record, sort_keys=True, default=str))


def _config() -> _Config:
    missing = [k for k in _REQUIRED_ENV if k not in os.environ or (k != "REPORT_PREFIX" and not os.environ[k])]
    if missing:
        raise ValueError("missing environment: " + ", ".join(missing))
    cfg: _Config = {k: os.environ[k] for k in _REQUIRED_ENV}
    cfg["MAX_CDC_LATENCY_SECONDS"] = float(cfg["MAX_CDC_LATENCY_SECONDS"])
    rules = json.loads(cfg["TABLE_MAPPINGS"])
    if not isinstance(rules, list):
        raise ValueError("TABLE_MAPPINGS is not a list")
    parsed: list[_Rule] = []
    for rule in rules:
        if not isinstance(rule, dict) or rule.get("action") not in ("include", "exclude"):
            raise ValueError("TABLE_MAPPINGS rule needs action include or exclude")
        schema, table = rule.get("schema"), rule.get("table")
        if not isinstance(schema, str) or not isinstance(table, str) or not schema or not table:
            raise ValueError("TABLE_MAPPINGS rule needs schema and table")
        parsed.append(_Rule(rule["action"], schema, table, _pattern(schema), _pattern(table)))
    cfg["rules"] = parsed
    return cfg


def _pattern(text: str) -> re.Pattern[str]:
    """DMS selection-rule name: % matches any characters, everything else is literal."""
    return re.compile("^" + ".*".join(re.escape(p) for p in text.split("%")) + "$", re.DOTALL)


def _selected(rules: list[_Rule], schema: str, table: str) -> bool:
    """Included by some include rule and by no exclude rule (excludes apply after includes)."""

    def hits(action: str) -> bool:
        return any(a == action and s.match(schema) and t.match(table) for a, _, _, s, t in rules)

    return hits("include") and not hits("exclude")


def _table_statistics(cfg: _Config) -> list[dict[str, Any]]:
    dms = _client("dms")
    out: list[dict[str, Any]] = []
    marker: str | None = None
    while True:
        kwargs = {"ReplicationTaskArn": cfg["REPLICATION_TASK_ARN"], "MaxRecords": 500}
        if marker:
            kwargs["Marker"] = marker
        resp = dms.describe_table_statistics(**kwargs)
        out.extend(resp.get("TableStatistics", []))
        marker = resp.get("Marker")
        if not marker:
            return out


def _full_load_finished(cfg: _Config) -> bool:
    resp = _client("dms").describe_replication_tasks(
        Filters=[{"Name": "replication-task-arn", "Values": [cfg["REPLICATION_TASK_ARN"]]}], WithoutSettings=True
    )
    for task in resp.get("ReplicationTasks", []):
        stats = task.get("ReplicationTaskStats") or {}
        if stats.get("FullLoadProgressPercent") == 100 or stats.get("FullLoadFinishDate") is not None:
            return True
    return False


def _latest(result: dict[str, Any]) -> float | None:
    pairs = list(zip(result.get("Timestamps", []), result.get("Values", []), strict=False))
    return max(pairs, key=lambda p: p[0])[1] if pairs else None


def _cdc_latency(cfg: _Config, now: datetime.datetime) -> _Latency | None:
    dims = [
        {"Name": "ReplicationInstanceIdentifier", "Value": cfg["REPLICATION_INSTANCE_IDENTIFIER"]},
        {"Name": "ReplicationTaskIdentifier", "Value": cfg["REPLICATION_TASK_RESOURCE_ID"]},
    ]
    queries = [
        {
            "Id": ident,
            "ReturnData": True,
            "MetricStat": {
                "Metric": {"Namespace": "AWS/DMS", "MetricName": metric, "Dimensions": dims},
                "Period": 60,
                "Stat": "Maximum",
            },
        }
        for ident, metric in (("source", "CDCLatencySource"), ("target", "CDCLatencyTarget"))
    ]
    resp = _client("cloudwatch").get_metric_data(
        MetricDataQueries=queries, StartTime=now - LATENCY_LOOKBACK, EndTime=now, ScanBy="TimestampDescending"
    )
    latest = {r["Id"]: _latest(r) for r in resp.get("MetricDataResults", [])}
    source, target = latest.get("source"), latest.get("target")
    if source is None or target is None:
        return None
    return {"source": source, "target": target, "total": source + target}


def _judge(stat: dict[str, Any]) -> _Judgement:
    """The verdict of one table from its DMS statistics."""
    state, vstate = stat.get("TableState"), stat.get("ValidationState")
    failed = stat.get("ValidationFailedRecords") or 0
    suspended = stat.get("ValidationSuspendedRecords") or 0
    pending = stat.get("ValidationPendingRecords") or 0
    if state in TABLE_FAILED:
        return _Judgement("inconsistent", "table state: " + state)
    if failed > 0:
        return _Judgement("inconsistent", "validation failed records: %d" % failed)
    if suspended > 0:
        return _Judgement("inconsistent", "validation suspended records: %d" % suspended)
    if vstate in VALIDATION_FAILED:
        return _Judgement("inconsistent", "validation state: " + vstate)
    if state != TABLE_COMPLETED:
        return _Judgement("not-ready", "table state: %s" % state)
    if vstate == VALIDATION_DISABLED:
        return _Judgement("inconsistent", "validation not enabled on a loaded table")
    if vstate != VALIDATED:
        return _Judgement("not-ready", "validation state: %s" % vstate)
    if pending > 0:
        return _Judgement("not-ready", "validation pending records: %d" % pending)
    return _Judgement("consistent", "validated")


def _row(schema: str, table: str, stat: dict[str, Any], verdict: str, reason: str) -> _Row:
    return {
        "schema": schema,
        "table": table,
        "table_state": stat.get("TableState"),
        "validation_state": stat.get("ValidationState"),
        "failed_records": stat.get("ValidationFailedRecords") or 0,
        "suspended_records": stat.get("ValidationSuspendedRecords") or 0,
        "pending_records": stat.get("ValidationPendingRecords") or 0,
        "verdict": verdict,
        "reason": reason,
    }


def _evaluate(cfg: _Config, now: datetime.datetime) -> _Evaluation:
    rules = cfg["rules"]
    tables: list[_Row] = []
    reasons: list[str] = []
    for stat in _table_statistics(cfg):
        schema, table = stat.get("SchemaName"), stat.get("TableName")
        if isinstance(schema, str) and isinstance(table, str) and _selected(rules, schema, table):
            tables.append(_row(schema, table, stat, *_judge(stat)))
    seen = {(t["schema"], t["table"]) for t in tables}
    explicit = [(s, t) for a, s, t, _, _ in rules if a == "include" and "%" not in s + t]
    absent = [(s, t) for s, t in dict.fromkeys(explicit) if (s, t) not in seen and _selected(rules, s, t)]
    if absent:
        finished = _full_load_finished(cfg)
        for s, t in absent:
            if finished:
                tables.append(_row(s, t, {}, "inconsistent", "absent from table statistics after full load"))
            else:
                tables.append(_row(s, t, {}, "not-ready", "absent from table statistics, full load not finished"))
    latency = _cdc_latency(cfg, now)
    if not tables:
        reasons.append("no selected table in the statistics")
    if latency is None:
        reasons.append("no CDC latency datapoint in the last 5 minutes")
    elif latency["total"] > cfg["MAX_CDC_LATENCY_SECONDS"]:
        reasons.append("CDC latency %.1fs above %.1fs" % (latency["total"], cfg["MAX_CDC_LATENCY_SECONDS"]))
    if any(t["verdict"] == "inconsistent" for t in tables):
        verdict = "inconsistent"
    elif reasons or any(t["verdict"] != "consistent" for t in tables):
        verdict = "not-ready"
    else:
        verdict = "consistent"
    return _Evaluation(verdict, tables, latency, reasons)


def _publish(cfg: _Config, verdict: str, tables: list[_Row], latency: _Latency | None, now: datetime.datetime) -> None:
    dims = [{"Name": "Environment", "Value": cfg["ENVIRONMENT"]}]

    def datum(name: str, value: float, unit: str = "Count") -> dict[str, Any]:
        return {"MetricName": name, "Dimensions": dims, "Timestamp": now, "Value": float(value), "Unit": unit}

    data = [
        datum("ValidationConsistent", verdict == "consistent"),
        datum("ValidationInconsistent", verdict == "inconsistent"),
        datum("ValidationNotReady", verdict == "not-ready"),
        datum("TablesInconsistent", sum(t["verdict"] == "inconsistent" for t in tables)),
        datum("TablesNotReady", sum(t["verdict"] == "not-ready" for t in tables)),
        datum("ValidationFailedRecords", sum(t["failed_records"] for t in tables)),
        datum("ValidationSuspendedRecords", sum(t["suspended_records"] for t in tables)),
    ]
    if latency is not None:
        data.append(datum("CdcLatencySeconds", latency["total"], "Seconds"))
    _client("cloudwatch").put_metric_data(Namespace=cfg["METRIC_NAMESPACE"], MetricData=data)


def _summary(
    verdict: str,
    environment: str,
    checked_at: str,
    tables: list[_Row],
    latency: _Latency | None,
    reasons: list[str],
    report: str,
) -> dict[str, Any]:
    """What the workflow receives: bounded whatever the number of tables."""

    def named(which: str) -> list[str]:
        return ["%s.%s" % (t["schema"], t["table"]) for t in tables if t["verdict"] == which][:MAX_NAMED]

    return {
        "verdict": verdict,
        "environment": environment,
        "checked_at": checked_at,
        "cdc_latency_seconds": latency,
        "reasons": reasons[:MAX_NAMED],
        "tables": {
            "total": len(tables),
            "consistent": sum(t["verdict"] == "consistent" for t in tables),
            "inconsistent": sum(t["verdict"] == "inconsistent" for t in tables),
            "not_ready": sum(t["verdict"] == "not-ready" for t in tables),
        },
        "inconsistent": named("inconsistent"),
        "not_ready": named("not-ready"),
        "report": report,
    }


def handler(event: object, context: object) -> dict[str, Any]:
    try:
        cfg = _config()
        now = _utcnow().astimezone(datetime.UTC)
        checked_at = now.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (now.microsecond // 1000)
        verdict, tables, latency, reasons = _evaluate(cfg, now)
        key = cfg["REPORT_PREFIX"] + checked_at + ".json"
        uri = "s3://%s/%s" % (cfg["REPORT_BUCKET"], key)
        report = {
            "verdict": verdict,
            "environment": cfg["ENVIRONMENT"],
            "checked_at": checked_at,
            "cdc_latency_seconds": latency,
            "reasons": reasons,
            "tables": tables,
            "report": uri,
        }
        _client("s3").put_object(
            Bucket=cfg["REPORT_BUCKET"],
            Key=key,
            Body=json.dumps(report, indent=2).encode("utf-8"),
            ContentType="application/json",
        )
        _publish(cfg, verdict, tables, latency, now)
    except Exception as exc:
        error = getattr(exc, "response", {}).get("Error", {})
        transient = _transient(exc)
        record = {
            "event": "validation-error",
            "error": type(exc).__name__,
            "code": error.get("Code"),
            "operation": getattr(exc, "operation_name", None),
            "retried": transient,
        }
        if isinstance(exc, ValueError):  # configuration: the message names the setting, holds no data
            record["message"] = str(exc)[:300]
        _log(record)
        if transient:
            raise DependencyUnavailable(
                "%s failed: %s" % (record["operation"], record["code"] or record["error"])
            ) from exc
        raise
    summary = _summary(verdict, cfg["ENVIRONMENT"], checked_at, tables, latency, reasons, uri)
    _log({"event": "validation", **summary})
    return summary
