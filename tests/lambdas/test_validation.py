"""The data-validation Lambda: one verdict from DMS table statistics and CDC latency, a report and metrics."""
import datetime
import json

import botocore.exceptions
import pytest

from conftest import NAMESPACE, REPORT_BUCKET, table_stat

SELECTED = [table_stat("payments", "transactions"), table_stat("payments", "refunds"),
            table_stat("ledger", "entries")]


def by_name(out):
    return {(t["schema"], t["table"]): t for t in out["tables"]}


def log_lines(capsys):
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]


def test_consistent_when_every_selected_table_is_validated_and_latency_is_low(validation):
    validation.stats(SELECTED)
    validation.latency(2, 3)
    out = validation.run()
    assert out["verdict"] == "consistent"
    assert out["environment"] == "test"
    assert out["cdc_latency_seconds"] == {"source": 2.0, "target": 3.0, "total": 5.0}
    assert sorted(by_name(out)) == [("ledger", "entries"), ("payments", "refunds"), ("payments", "transactions")]
    assert all(t["verdict"] == "consistent" for t in out["tables"])
    assert set(out["tables"][0]) == {"schema", "table", "table_state", "validation_state", "failed_records",
                                     "suspended_records", "pending_records", "verdict", "reason"}
    datetime.datetime.strptime(out["checked_at"], "%Y-%m-%dT%H:%M:%S.%fZ")
    assert out["report"] == "s3://%s/validation/%s.json" % (REPORT_BUCKET, out["checked_at"])


def test_statistics_are_read_across_pages(validation):
    validation.stats(SELECTED[:2], SELECTED[2:])
    validation.latency(1, 1)
    assert validation.run()["verdict"] == "consistent"


def test_failed_records_make_it_inconsistent(validation):
    # the count decides even while other records are still pending
    validation.stats(SELECTED[:2] + [table_stat("ledger", "entries", validation="Pending records", failed=2,
                                                pending=5)])
    validation.latency(1, 1)
    out = validation.run()
    assert out["verdict"] == "inconsistent"
    assert by_name(out)[("ledger", "entries")]["failed_records"] == 2


def test_suspended_records_make_it_inconsistent(validation):
    validation.stats(SELECTED[:2] + [table_stat("ledger", "entries", validation="Pending records", suspended=1,
                                                pending=5)])
    validation.latency(1, 1)
    out = validation.run()
    assert out["verdict"] == "inconsistent"
    assert by_name(out)[("ledger", "entries")]["verdict"] == "inconsistent"


@pytest.mark.parametrize("state", ["Mismatched records", "Suspended records", "Error", "No primary key"])
def test_failing_validation_states_make_it_inconsistent(validation, state):
    validation.stats(SELECTED[:2] + [table_stat("ledger", "entries", validation=state)])
    validation.latency(1, 1)
    assert validation.run()["verdict"] == "inconsistent"


def test_validation_not_enabled_on_a_loaded_table_is_inconsistent(validation):
    validation.stats(SELECTED[:2] + [table_stat("ledger", "entries", validation="Not enabled")])
    validation.latency(1, 1)
    assert validation.run()["verdict"] == "inconsistent"


def test_table_error_makes_it_inconsistent(validation):
    validation.stats(SELECTED[:2] + [table_stat("ledger", "entries", state="Table error", validation="Table error")])
    validation.latency(1, 1)
    assert validation.run()["verdict"] == "inconsistent"


def test_inconsistency_wins_over_not_ready(validation):
    validation.stats([table_stat("payments", "transactions", state="Full load", validation="Pending records"),
                      table_stat("payments", "refunds", state="Table does not exist", validation="Not enabled"),
                      SELECTED[2]])
    validation.latency(500, 500)
    assert validation.run()["verdict"] == "inconsistent"


def test_explicit_table_missing_after_full_load_is_inconsistent(validation):
    validation.stats(SELECTED[:2])
    validation.task(full_load_percent=100)
    validation.latency(1, 1)
    out = validation.run()
    assert out["verdict"] == "inconsistent"
    missing = by_name(out)[("ledger", "entries")]
    assert missing["verdict"] == "inconsistent" and missing["table_state"] is None


def test_explicit_table_missing_before_full_load_finished_is_not_ready(validation):
    validation.stats(SELECTED[:2])
    validation.task(full_load_percent=60)
    validation.latency(1, 1)
    assert validation.run()["verdict"] == "not-ready"


def test_table_still_loading_is_not_ready(validation):
    validation.stats(SELECTED[:2] + [table_stat("ledger", "entries", state="Full load", validation="Not enabled")])
    validation.latency(1, 1)
    out = validation.run()
    assert out["verdict"] == "not-ready"
    assert by_name(out)[("ledger", "entries")]["verdict"] == "not-ready"


def test_pending_validation_is_not_ready(validation):
    validation.stats(SELECTED[:2] + [table_stat("ledger", "entries", validation="Pending validation")])
    validation.latency(1, 1)
    assert validation.run()["verdict"] == "not-ready"


def test_pending_records_are_not_ready(validation):
    validation.stats(SELECTED[:2] + [table_stat("ledger", "entries", validation="Pending records", pending=40)])
    validation.latency(1, 1)
    assert validation.run()["verdict"] == "not-ready"


def test_cdc_latency_above_the_threshold_is_not_ready(validation):
    validation.stats(SELECTED)
    validation.latency(20, 11)  # 31 s in total, threshold 30 s
    out = validation.run()
    assert out["verdict"] == "not-ready"
    assert out["cdc_latency_seconds"]["total"] == 31.0


def test_no_cdc_latency_datapoints_is_not_ready(validation):
    validation.stats(SELECTED)
    validation.latency(1, None)  # a target datapoint is missing
    validation.latency(1, 1, age_seconds=600)  # too old to count
    out = validation.run()
    assert out["verdict"] == "not-ready"
    assert out["cdc_latency_seconds"] is None


def test_zero_selected_tables_is_never_consistent(validation, monkeypatch):
    monkeypatch.setenv("TABLE_MAPPINGS", json.dumps([{"schema": "payments", "table": "%", "action": "include"}]))
    validation.stats([table_stat("public", "sessions")])
    validation.latency(1, 1)
    out = validation.run()
    assert out["verdict"] == "not-ready" and out["tables"] == []


def test_no_statistics_yet_is_not_ready(validation):
    validation.stats([])
    validation.task(full_load_percent=0)
    validation.latency(1, 1)
    assert validation.run()["verdict"] == "not-ready"


def test_excluded_tables_are_ignored(validation):
    validation.stats(SELECTED + [
        table_stat("payments", "audit_log", state="Table error", validation="Mismatched records", failed=9),
        table_stat("public", "sessions", validation="Suspended records", suspended=4),
    ])
    validation.latency(1, 1)
    out = validation.run()
    assert out["verdict"] == "consistent"
    assert ("payments", "audit_log") not in by_name(out) and ("public", "sessions") not in by_name(out)


def test_report_lands_in_s3_and_metrics_are_published(validation):
    validation.stats(SELECTED[:2] + [table_stat("ledger", "entries", validation="Mismatched records", failed=2,
                                                suspended=1)])
    validation.latency(4, 6)
    out = validation.run()
    bucket, key = out["report"][len("s3://"):].split("/", 1)
    assert bucket == REPORT_BUCKET and key.startswith("validation/")
    body = validation.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    assert json.loads(body) == out

    expected = {"ValidationConsistent": 0, "ValidationInconsistent": 1, "ValidationNotReady": 0,
                "TablesInconsistent": 1, "TablesNotReady": 0, "ValidationFailedRecords": 2,
                "ValidationSuspendedRecords": 1, "CdcLatencySeconds": 10}
    now = datetime.datetime.now(datetime.timezone.utc)
    for name, value in expected.items():
        stats = validation.cw.get_metric_statistics(
            Namespace=NAMESPACE, MetricName=name, Dimensions=[{"Name": "Environment", "Value": "test"}],
            StartTime=now - datetime.timedelta(minutes=5), EndTime=now + datetime.timedelta(minutes=1),
            Period=60, Statistics=["Sum", "SampleCount"])
        assert sum(p["SampleCount"] for p in stats["Datapoints"]) == 1, name
        assert sum(p["Sum"] for p in stats["Datapoints"]) == value, name


def test_log_line_holds_the_verdict_and_counts_but_no_row_data(validation, capsys):
    sentinel = "4111111111111111"
    validation.stats([table_stat("payments", "transactions", ValidationStateDetails="row pk=" + sentinel),
                      SELECTED[1], table_stat("ledger", "entries", validation="Pending records", pending=7)])
    validation.latency(1, 1)
    out = validation.run()
    (line,) = log_lines(capsys)
    assert line["event"] == "validation" and line["verdict"] == out["verdict"] == "not-ready"
    assert {t["table"]: t["pending"] for t in line["tables"]}["entries"] == 7
    assert set(line["tables"][0]) == {"schema", "table", "verdict", "failed", "suspended", "pending"}
    assert sentinel not in json.dumps(line) and sentinel not in json.dumps(out)
    assert "100000" not in json.dumps(line)  # FullLoadRows and other volumes stay out of the log


def test_aws_errors_are_logged_and_raised(validation, capsys):
    validation.dms.add_client_error("describe_table_statistics", service_error_code="ResourceNotFoundFault",
                                    service_message="task not found", http_status_code=400)
    with pytest.raises(botocore.exceptions.ClientError):
        validation.module.handler({}, None)
    (line,) = log_lines(capsys)
    assert line == {"event": "validation-error", "error": "ResourceNotFoundFault", "code": "ResourceNotFoundFault",
                    "operation": "DescribeTableStatistics"}
