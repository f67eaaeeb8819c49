"""The data-validation Lambda: one verdict from DMS table statistics and CDC latency, a bounded summary for the
workflow, the full report in S3, and metrics."""

from __future__ import annotations

import datetime
import json
import pathlib
from typing import Any, NoReturn

import botocore.exceptions
import pytest
from conftest import NAMESPACE, REPORT_BUCKET, ValidationWorld, table_stat

ROOT = pathlib.Path(__file__).resolve().parents[2]

SELECTED = [table_stat("payments", "transactions"), table_stat("payments", "refunds"), table_stat("ledger", "entries")]


def by_name(report: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """The full report's tables by (schema, table)."""
    return {(t["schema"], t["table"]): t for t in report["tables"]}


def log_lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]


def test_consistent_when_every_selected_table_is_validated_and_latency_is_low(validation: ValidationWorld) -> None:
    validation.stats(SELECTED)
    validation.latency(2, 3)
    out = validation.run()
    assert out["verdict"] == "consistent"
    assert out["environment"] == "test"
    assert out["cdc_latency_seconds"] == {"source": 2.0, "target": 3.0, "total": 5.0}
    assert out["tables"] == {"total": 3, "consistent": 3, "inconsistent": 0, "not_ready": 0}
    assert out["inconsistent"] == []
    assert out["not_ready"] == []
    report = validation.report(out)
    assert sorted(by_name(report)) == [("ledger", "entries"), ("payments", "refunds"), ("payments", "transactions")]
    assert all(t["verdict"] == "consistent" for t in report["tables"])
    assert set(report["tables"][0]) == {
        "schema",
        "table",
        "table_state",
        "validation_state",
        "failed_records",
        "suspended_records",
        "pending_records",
        "verdict",
        "reason",
    }
    datetime.datetime.strptime(out["checked_at"], "%Y-%m-%dT%H:%M:%S.%fZ")
    assert out["report"] == "s3://%s/validation/%s.json" % (REPORT_BUCKET, out["checked_at"])


def test_statistics_are_read_across_pages(validation: ValidationWorld) -> None:
    validation.stats(SELECTED[:2], SELECTED[2:])
    validation.latency(1, 1)
    assert validation.run()["verdict"] == "consistent"


def test_failed_records_make_it_inconsistent(validation: ValidationWorld) -> None:
    # the count decides even while other records are still pending
    validation.stats(
        [*SELECTED[:2], table_stat("ledger", "entries", validation="Pending records", failed=2, pending=5)]
    )
    validation.latency(1, 1)
    out = validation.run()
    assert out["verdict"] == "inconsistent"
    assert by_name(validation.report(out))[("ledger", "entries")]["failed_records"] == 2


def test_suspended_records_make_it_inconsistent(validation: ValidationWorld) -> None:
    validation.stats(
        [*SELECTED[:2], table_stat("ledger", "entries", validation="Pending records", suspended=1, pending=5)]
    )
    validation.latency(1, 1)
    out = validation.run()
    assert out["verdict"] == "inconsistent"
    assert by_name(validation.report(out))[("ledger", "entries")]["verdict"] == "inconsistent"


@pytest.mark.parametrize("state", ["Mismatched records", "Suspended records", "Error", "No primary key"])
def test_failing_validation_states_make_it_inconsistent(validation: ValidationWorld, state: str) -> None:
    validation.stats([*SELECTED[:2], table_stat("ledger", "entries", validation=state)])
    validation.latency(1, 1)
    assert validation.run()["verdict"] == "inconsistent"


def test_validation_not_enabled_on_a_loaded_table_is_inconsistent(validation: ValidationWorld) -> None:
    validation.stats([*SELECTED[:2], table_stat("ledger", "entries", validation="Not enabled")])
    validation.latency(1, 1)
    assert validation.run()["verdict"] == "inconsistent"


def test_table_error_makes_it_inconsistent(validation: ValidationWorld) -> None:
    validation.stats([*SELECTED[:2], table_stat("ledger", "entries", state="Table error", validation="Table error")])
    validation.latency(1, 1)
    assert validation.run()["verdict"] == "inconsistent"


def test_inconsistency_wins_over_not_ready(validation: ValidationWorld) -> None:
    validation.stats(
        [
            table_stat("payments", "transactions", state="Full load", validation="Pending records"),
            table_stat("payments", "refunds", state="Table does not exist", validation="Not enabled"),
            SELECTED[2],
        ]
    )
    validation.latency(500, 500)
    assert validation.run()["verdict"] == "inconsistent"


def test_explicit_table_missing_after_full_load_is_inconsistent(validation: ValidationWorld) -> None:
    validation.stats(SELECTED[:2])
    validation.task(full_load_percent=100)
    validation.latency(1, 1)
    out = validation.run()
    assert out["verdict"] == "inconsistent"
    missing = by_name(validation.report(out))[("ledger", "entries")]
    assert missing["verdict"] == "inconsistent"
    assert missing["table_state"] is None


def test_explicit_table_missing_before_full_load_finished_is_not_ready(validation: ValidationWorld) -> None:
    validation.stats(SELECTED[:2])
    validation.task(full_load_percent=60)
    validation.latency(1, 1)
    assert validation.run()["verdict"] == "not-ready"


def test_table_still_loading_is_not_ready(validation: ValidationWorld) -> None:
    validation.stats([*SELECTED[:2], table_stat("ledger", "entries", state="Full load", validation="Not enabled")])
    validation.latency(1, 1)
    out = validation.run()
    assert out["verdict"] == "not-ready"
    assert by_name(validation.report(out))[("ledger", "entries")]["verdict"] == "not-ready"


def test_pending_validation_is_not_ready(validation: ValidationWorld) -> None:
    validation.stats([*SELECTED[:2], table_stat("ledger", "entries", validation="Pending validation")])
    validation.latency(1, 1)
    assert validation.run()["verdict"] == "not-ready"


def test_pending_records_are_not_ready(validation: ValidationWorld) -> None:
    validation.stats([*SELECTED[:2], table_stat("ledger", "entries", validation="Pending records", pending=40)])
    validation.latency(1, 1)
    assert validation.run()["verdict"] == "not-ready"


def test_cdc_latency_above_the_threshold_is_not_ready(validation: ValidationWorld) -> None:
    validation.stats(SELECTED)
    validation.latency(20, 11)  # 31 s in total, threshold 30 s
    out = validation.run()
    assert out["verdict"] == "not-ready"
    assert out["cdc_latency_seconds"]["total"] == 31.0


def test_no_cdc_latency_datapoints_is_not_ready(validation: ValidationWorld) -> None:
    validation.stats(SELECTED)
    validation.latency(1, None)  # a target datapoint is missing
    validation.latency(1, 1, age_seconds=600)  # too old to count
    out = validation.run()
    assert out["verdict"] == "not-ready"
    assert out["cdc_latency_seconds"] is None


def test_zero_selected_tables_is_never_consistent(validation: ValidationWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TABLE_MAPPINGS", json.dumps([{"schema": "payments", "table": "%", "action": "include"}]))
    validation.stats([table_stat("public", "sessions")])
    validation.latency(1, 1)
    out = validation.run()
    assert out["verdict"] == "not-ready"
    assert out["tables"]["total"] == 0


def test_no_statistics_yet_is_not_ready(validation: ValidationWorld) -> None:
    validation.stats([])
    validation.task(full_load_percent=0)
    validation.latency(1, 1)
    assert validation.run()["verdict"] == "not-ready"


def test_excluded_tables_are_ignored(validation: ValidationWorld) -> None:
    validation.stats(
        [
            *SELECTED,
            table_stat("payments", "audit_log", state="Table error", validation="Mismatched records", failed=9),
            table_stat("public", "sessions", validation="Suspended records", suspended=4),
        ]
    )
    validation.latency(1, 1)
    out = validation.run()
    assert out["verdict"] == "consistent"
    tables = by_name(validation.report(out))
    assert ("payments", "audit_log") not in tables
    assert ("public", "sessions") not in tables


def test_report_lands_in_s3_and_metrics_are_published(validation: ValidationWorld) -> None:
    validation.stats(
        [*SELECTED[:2], table_stat("ledger", "entries", validation="Mismatched records", failed=2, suspended=1)]
    )
    validation.latency(4, 6)
    out = validation.run()
    bucket, key = out["report"][len("s3://") :].split("/", 1)
    assert bucket == REPORT_BUCKET
    assert key.startswith("validation/")
    report = json.loads(validation.s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    assert report["verdict"] == out["verdict"] == "inconsistent"
    assert len(report["tables"]) == out["tables"]["total"] == 3
    assert out["inconsistent"] == ["ledger.entries"]

    expected = {
        "ValidationConsistent": 0,
        "ValidationInconsistent": 1,
        "ValidationNotReady": 0,
        "TablesInconsistent": 1,
        "TablesNotReady": 0,
        "ValidationFailedRecords": 2,
        "ValidationSuspendedRecords": 1,
        "CdcLatencySeconds": 10,
    }
    now = datetime.datetime.now(datetime.UTC)
    for name, value in expected.items():
        stats = validation.cw.get_metric_statistics(
            Namespace=NAMESPACE,
            MetricName=name,
            Dimensions=[{"Name": "Environment", "Value": "test"}],
            StartTime=now - datetime.timedelta(minutes=5),
            EndTime=now + datetime.timedelta(minutes=1),
            Period=60,
            Statistics=["Sum", "SampleCount"],
        )
        assert sum(p["SampleCount"] for p in stats["Datapoints"]) == 1, name
        assert sum(p["Sum"] for p in stats["Datapoints"]) == value, name


def test_log_line_holds_the_verdict_and_counts_but_no_row_data(
    validation: ValidationWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    sentinel = "4111111111111111"
    validation.stats(
        [
            table_stat("payments", "transactions", ValidationStateDetails="row pk=" + sentinel),
            SELECTED[1],
            table_stat("ledger", "entries", validation="Pending records", pending=7),
        ]
    )
    validation.latency(1, 1)
    out = validation.run()
    (line,) = log_lines(capsys)
    assert line["event"] == "validation"
    assert line["verdict"] == out["verdict"] == "not-ready"
    assert line["tables"] == {"total": 3, "consistent": 2, "inconsistent": 0, "not_ready": 1}
    assert line["not_ready"] == ["ledger.entries"]
    assert sentinel not in json.dumps(line)
    assert sentinel not in json.dumps(out)
    assert "100000" not in json.dumps(line)  # FullLoadRows and other volumes stay out of the log


def test_ten_thousand_tables_give_a_bounded_summary_and_a_full_report(
    validation: ValidationWorld, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TABLE_MAPPINGS", json.dumps([{"schema": "payments", "table": "%", "action": "include"}]))
    tables = [table_stat("payments", "t%05d" % i) for i in range(10_000)]
    for i in range(0, 10_000, 97):
        tables[i] = table_stat("payments", "t%05d" % i, validation="Mismatched records", failed=1)
    validation.stats(*[tables[i : i + 500] for i in range(0, 10_000, 500)])
    validation.latency(1, 1)
    out = validation.run()
    assert out["verdict"] == "inconsistent"
    assert out["tables"] == {"total": 10_000, "consistent": 10_000 - 104, "inconsistent": 104, "not_ready": 0}
    assert out["inconsistent"] == ["payments.t%05d" % i for i in range(0, 20 * 97, 97)]
    # The workflow keeps the summary in its state (at most 256 KiB); it stays a few kilobytes.
    assert len(json.dumps(out)) < 4096, len(json.dumps(out))
    (line,) = log_lines(capsys)
    assert len(json.dumps(line)) < 4096
    assert len(validation.report(out)["tables"]) == 10_000


@pytest.mark.parametrize(
    ("code", "status"),
    [("ThrottlingException", 400), ("Throttling", 400), ("InternalFailure", 500), ("ServiceUnavailable", 503)],
)
def test_throttled_and_failing_calls_are_raised_to_be_retried(
    validation: ValidationWorld, capsys: pytest.CaptureFixture[str], code: str, status: int
) -> None:
    validation.dms.add_client_error(
        "describe_table_statistics", service_error_code=code, service_message="slow down", http_status_code=status
    )
    with pytest.raises(validation.module.DependencyUnavailable) as raised:
        validation.module.handler({}, None)
    assert isinstance(raised.value.__cause__, botocore.exceptions.ClientError)
    (line,) = log_lines(capsys)
    assert line == {
        "event": "validation-error",
        "error": "ClientError",
        "code": code,
        "operation": "DescribeTableStatistics",
        "retried": True,
    }


def test_a_connection_failure_is_raised_to_be_retried(
    validation: ValidationWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreachable(**kwargs: object) -> NoReturn:
        raise botocore.exceptions.EndpointConnectionError(endpoint_url="https://dms.eu-west-1.amazonaws.com")

    monkeypatch.setattr(validation.module._clients["dms"], "describe_table_statistics", unreachable)
    with pytest.raises(validation.module.DependencyUnavailable):
        validation.module.handler({}, None)


def test_refused_calls_are_raised_as_they_are_and_not_retried(
    validation: ValidationWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    validation.dms.add_client_error(
        "describe_table_statistics",
        service_error_code="ResourceNotFoundFault",
        service_message="task not found",
        http_status_code=400,
    )
    with pytest.raises(botocore.exceptions.ClientError):
        validation.module.handler({}, None)
    (line,) = log_lines(capsys)
    assert line == {
        "event": "validation-error",
        "error": "ResourceNotFoundFault",
        "code": "ResourceNotFoundFault",
        "operation": "DescribeTableStatistics",
        "retried": False,
    }


def test_the_docstring_the_workflow_and_the_function_agree_on_what_is_retried(validation: ValidationWorld) -> None:
    """The error the function raises for a transient failure is the one the rendered workflow retries, and the
    docstring says so; the function's other errors are not retried by name."""
    name = validation.module.DependencyUnavailable.__name__
    assert name in (validation.module.__doc__ or "")
    definition = json.loads((ROOT / "out" / "dev" / "migration.asl.json").read_text())
    retried = [
        error
        for retrier in definition["States"]["Validate"]["Retry"]
        if retrier.get("MaxAttempts", 3)
        for error in retrier["ErrorEquals"]
    ]
    assert name in retried
    assert not {"States.ALL", "States.TaskFailed", "ClientError", "ValueError"} & set(retried), retried
