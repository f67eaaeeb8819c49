"""The REQUEST authorizer: authentication, deny by default, and the sticky backend decision."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest
from conftest import ACCOUNT, API_ID, ENABLE, REGION, SPLIT, STAGE, AuthorizerWorld

ALLOWED_RESOURCE = "arn:aws:execute-api:%s:%s:%s/%s/*/*" % (REGION, ACCOUNT, API_ID, STAGE)


def effect(out: dict[str, Any]) -> str:
    effect: str = out["policyDocument"]["Statement"][0]["Effect"]
    return effect


def log_lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]


def bucket(key: str) -> int:
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") % 100


def clients(n: int) -> list[str]:
    return ["client-%05d" % i for i in range(n)]


# --- authentication ---------------------------------------------------------------------------------------


def test_valid_current_token_is_allowed_on_the_whole_api_stage(
    authorizer: AuthorizerWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    out = authorizer.call(client_id="merchant-42")
    assert out["policyDocument"] == {
        "Version": "2012-10-17",
        "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": ALLOWED_RESOURCE}],
    }
    assert out["principalId"] == hashlib.sha256(b"merchant-42").hexdigest()[:16]
    assert out["context"] == {"backend": "production", "splitPercentage": 0}
    (line,) = log_lines(capsys)
    assert line == {
        "event": "authorized",
        "reason": "valid-token",
        "backend": "production",
        "client": out["principalId"],
        "split": 0,
    }


def test_previous_token_is_accepted_within_the_rotation_window(authorizer: AuthorizerWorld) -> None:
    authorizer.rotate("tok-next")
    authorizer.clock.wall_offset = 3590
    assert effect(authorizer.call(token="tok-current")) == "Allow"
    assert effect(authorizer.call(token="tok-next")) == "Allow"


def test_previous_token_is_denied_after_the_rotation_window(authorizer: AuthorizerWorld) -> None:
    authorizer.rotate("tok-next")
    authorizer.clock.wall_offset = 3601
    assert effect(authorizer.call(token="tok-current")) == "Deny"
    assert effect(authorizer.call(token="tok-next")) == "Allow"


def test_wrong_token_gets_a_deny_policy(authorizer: AuthorizerWorld, capsys: pytest.CaptureFixture[str]) -> None:
    out = authorizer.call(token="tok-wrong")
    assert effect(out) == "Deny"
    assert "context" not in out
    (line,) = log_lines(capsys)
    assert line["event"] == "denied"
    assert line["reason"] == "invalid-token"


def test_tokens_are_compared_in_constant_time(authorizer: AuthorizerWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    assert effect(authorizer.call(token="tok-current")) == "Allow"
    assert (b"tok-current", b"tok-current") in calls


@pytest.mark.parametrize("headers", [{}, None, {"authorization": ""}])
def test_missing_authorization_header_is_unauthorized(
    authorizer: AuthorizerWorld, headers: dict[str, str] | None, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorizer.call(headers=headers)
    (line,) = log_lines(capsys)
    assert line["event"] == "denied"


@pytest.mark.parametrize(
    "value", ["Basic x", "Bearer", "Bearer ", "Bearer a b", "Bearer  tok-current", "tok-current", "Bearer tok\tcurrent"]
)
def test_malformed_authorization_header_is_unauthorized(
    authorizer: AuthorizerWorld, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorizer.call(headers={"Authorization": value})
    assert log_lines(capsys)[0]["reason"] == "malformed-authorization"


def test_header_name_is_case_insensitive(authorizer: AuthorizerWorld) -> None:
    assert effect(authorizer.call(headers={"AUTHORIZATION": "Bearer tok-current"})) == "Allow"
    assert effect(authorizer.call(headers={"authorization": "bearer tok-current"})) == "Allow"


def test_two_authorization_headers_are_unauthorized(authorizer: AuthorizerWorld) -> None:
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorizer.call(
            headers={"Authorization": "Bearer tok-current"},
            multiValueHeaders={"Authorization": ["Bearer tok-current", "Bearer tok-other"]},
        )
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorizer.call(headers={"Authorization": "Bearer tok-current", "authorization": "Bearer x"})


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:execute-api:%s:%s:otherapi99/%s/POST/payments/charge" % (REGION, ACCOUNT, STAGE),
        "arn:aws:execute-api:%s:%s:%s/dev/POST/payments/charge" % (REGION, ACCOUNT, API_ID),
        "arn:aws:lambda:%s:%s:function:x" % (REGION, ACCOUNT),
        "not-an-arn",
    ],
)
def test_method_arn_of_another_api_or_stage_is_denied(authorizer: AuthorizerWorld, arn: str) -> None:
    assert effect(authorizer.call(method_arn=arn)) == "Deny"


def test_secrets_manager_failure_denies(authorizer: AuthorizerWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKEN_SECRET_ARN", authorizer.secret_arn + "-gone")
    out = authorizer.call()
    assert effect(out) == "Deny"


def test_missing_environment_denies_every_request_and_logs_once(
    authorizer: AuthorizerWorld, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("STAGE")
    assert effect(authorizer.call()) == "Deny"
    assert effect(authorizer.call()) == "Deny"
    lines = log_lines(capsys)
    assert [line["event"] for line in lines].count("error") == 1
    assert next(line for line in lines if line["event"] == "error")["invalid"] == ["STAGE"]


def test_a_token_newer_than_the_secret_cache_is_accepted_within_the_refresh_bound(authorizer: AuthorizerWorld) -> None:
    assert effect(authorizer.call()) == "Allow"  # caches tok-current
    authorizer.rotate("tok-next")
    assert effect(authorizer.call(token="tok-next")) == "Deny"  # cache younger than the refresh bound
    authorizer.clock.advance(authorizer.module.SECRET_REFRESH_MIN_SECONDS)
    assert effect(authorizer.call(token="tok-next")) == "Allow"


def test_logs_never_hold_the_token_or_the_header(
    authorizer: AuthorizerWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    authorizer.call(token="tok-current")
    authorizer.call(token="tok-wrong-secretish")
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorizer.call(headers={"Authorization": "Basic dG9rLWN1cnJlbnQ="})
    out = capsys.readouterr()
    for text in (out.out, out.err):
        assert "tok-current" not in text
        assert "tok-wrong-secretish" not in text
        assert "Bearer" not in text
        assert "Basic" not in text


# --- backend decision -------------------------------------------------------------------------------------


def test_split_0_sends_everyone_to_production(authorizer: AuthorizerWorld) -> None:
    authorizer.set(enable="true", split=0)
    assert {authorizer.backend(c) for c in clients(200)} == {"production"}


def test_split_100_sends_everyone_to_migration(authorizer: AuthorizerWorld) -> None:
    authorizer.set(enable="true", split=100)
    assert {authorizer.backend(c) for c in clients(200)} == {"migration"}


def test_split_50_routes_about_half_and_each_client_sticks(authorizer: AuthorizerWorld) -> None:
    authorizer.set(enable="true", split=50)
    ids = clients(2000)
    first = {c: authorizer.backend(c) for c in ids}
    share = 100.0 * sum(b == "migration" for b in first.values()) / len(ids)
    assert 45.0 <= share <= 55.0, share
    authorizer.clock.advance(60)  # fresh settings and secret: the answer must not change
    assert all(authorizer.backend(c) == first[c] for c in ids[:300])
    assert all((first[c] == "migration") == (bucket(c) < 50) for c in ids)


def test_source_ip_is_the_client_key_without_a_valid_client_id(authorizer: AuthorizerWorld) -> None:
    authorizer.set(enable="true", split=50)
    ip_mig = next("198.51.100.%d" % i for i in range(256) if bucket("198.51.100.%d" % i) < 50)
    ip_prod = next("198.51.100.%d" % i for i in range(256) if bucket("198.51.100.%d" % i) >= 50)
    assert authorizer.backend(None, ip=ip_mig) == "migration"
    assert authorizer.backend(None, ip=ip_prod) == "production"
    assert authorizer.backend("x" * 129, ip=ip_mig) == "migration"  # too long: the IP decides
    assert authorizer.backend("bad\x01id", ip=ip_prod) == "production"


def test_cutover_disabled_with_split_100_sends_everyone_to_production(authorizer: AuthorizerWorld) -> None:
    authorizer.set(enable="false", split=100)
    assert {authorizer.backend(c) for c in clients(200)} == {"production"}


@pytest.mark.parametrize(
    ("enable", "split"),
    [
        ("maybe", "100"),
        ("TRUE", "100"),
        ("true", "150"),
        ("true", "-1"),
        ("true", "50.5"),
        ("true", "abc"),
        ("missing", "100"),
        ("true", "missing"),
    ],
)
def test_invalid_settings_fail_safe_to_production_with_a_warning(
    authorizer: AuthorizerWorld, enable: str, split: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in ((ENABLE, enable), (SPLIT, split)):
        if value == "missing":
            authorizer.ssm.delete_parameter(Name=name)
        else:
            authorizer.ssm.put_parameter(Name=name, Value=value, Type="String", Overwrite=True)
    assert {authorizer.backend(c) for c in clients(100)} == {"production"}
    warnings = [line for line in log_lines(capsys) if line["event"] == "warning"]
    assert len(warnings) == 1  # once per settings read, not once per request


def test_split_change_and_rollback_apply_after_the_settings_ttl_without_redeploy(authorizer: AuthorizerWorld) -> None:
    ttl = 5.0
    client = "merchant-7"
    assert authorizer.backend(client) == "production"  # split 0, settings now cached
    authorizer.set(split=100)
    authorizer.clock.advance(ttl - 0.01)
    assert authorizer.backend(client) == "production"  # still within the TTL
    authorizer.clock.advance(0.01)
    assert authorizer.backend(client) == "migration"  # TTL elapsed: new split applied
    out = authorizer.call(client_id=client)
    assert out["context"] == {"backend": "migration", "splitPercentage": 100}

    authorizer.set(split=0)  # rollback
    authorizer.clock.advance(ttl - 0.01)
    assert authorizer.backend(client) == "migration"
    authorizer.clock.advance(0.01)
    assert authorizer.backend(client) == "production"

    authorizer.set(split=100)
    authorizer.clock.advance(ttl)
    assert authorizer.backend(client) == "migration"
    authorizer.set(enable="false")  # rollback by switching the cutover off
    authorizer.clock.advance(ttl - 0.01)
    assert authorizer.backend(client) == "migration"
    authorizer.clock.advance(0.01)
    assert authorizer.backend(client) == "production"


def test_raising_the_split_never_moves_a_client_back_to_production(authorizer: AuthorizerWorld) -> None:
    ids = clients(2000)
    authorizer.set(enable="true", split=10)
    at10 = {c for c in ids if authorizer.backend(c) == "migration"}
    authorizer.set(split=50)
    authorizer.clock.advance(5)
    at50 = {c for c in ids if authorizer.backend(c) == "migration"}
    assert at10
    assert at10 < at50


# --- degraded states: a dependency's failure never denies a valid caller it can still check -----------------

SETTINGS_TTL = 5.0
SETTINGS_STALENESS = 300.0  # SETTINGS_MAX_STALENESS_SECONDS in the fixture
TOKEN_STALENESS = 900.0  # TOKEN_MAX_STALENESS_SECONDS in the fixture


def degraded(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [line for line in lines if line["event"] == "degraded"]


def migrating(authorizer: AuthorizerWorld) -> None:
    """Settings read and cached at split 100 with cutover on: every caller on the migration side."""
    authorizer.set(enable="true", split=100)
    assert authorizer.backend("merchant-1") == "migration"


def test_throttled_settings_keep_the_last_good_ones_within_the_staleness_bound(
    authorizer: AuthorizerWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    migrating(authorizer)
    capsys.readouterr()
    authorizer.fail("ssm")
    authorizer.clock.advance(SETTINGS_TTL + SETTINGS_STALENESS - 1)
    out = authorizer.call(client_id="merchant-1")
    assert effect(out) == "Allow"
    assert out["context"] == {"backend": "migration", "splitPercentage": 100}
    (line,) = degraded(log_lines(capsys))
    assert line["reason"] == "settings-stale"
    assert line["error"] == "ThrottlingException"
    assert line["age"] == SETTINGS_TTL + SETTINGS_STALENESS - 1
    assert line["client"] == out["principalId"]


def test_settings_past_the_staleness_bound_send_valid_callers_to_production(
    authorizer: AuthorizerWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    migrating(authorizer)
    capsys.readouterr()
    authorizer.fail("ssm", "InternalServerError")
    authorizer.clock.advance(SETTINGS_TTL + SETTINGS_STALENESS)
    out = authorizer.call(client_id="merchant-1")
    assert effect(out) == "Allow"
    assert out["context"] == {"backend": "production", "splitPercentage": 0}
    (line,) = degraded(log_lines(capsys))
    assert (line["reason"], line["error"]) == ("settings-unavailable", "InternalServerError")


def test_a_cold_instance_whose_first_settings_read_fails_sends_valid_callers_to_production(
    authorizer: AuthorizerWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    authorizer.set(enable="true", split=100)
    authorizer.fail("ssm")
    assert {authorizer.backend(c) for c in clients(20)} == {"production"}
    lines = degraded(log_lines(capsys))
    assert len(lines) == 20  # one per request served so
    assert {(line["reason"], line["age"]) for line in lines} == {("settings-unavailable", None)}


def test_a_failing_settings_read_is_retried_once_a_second_not_per_request(authorizer: AuthorizerWorld) -> None:
    migrating(authorizer)
    authorizer.fail("ssm")
    authorizer.clock.advance(SETTINGS_TTL)
    for _ in range(50):
        authorizer.call()
    assert authorizer.failed_calls == [("ssm", "get_parameters")]
    authorizer.clock.advance(authorizer.module.RETRY_SECONDS)
    authorizer.call()
    assert authorizer.failed_calls == [("ssm", "get_parameters")] * 2


def test_settings_recover_at_the_first_good_read(
    authorizer: AuthorizerWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    migrating(authorizer)
    authorizer.fail("ssm")
    authorizer.clock.advance(SETTINGS_TTL + SETTINGS_STALENESS)
    assert authorizer.backend("merchant-1") == "production"
    authorizer.heal("ssm")
    authorizer.clock.advance(authorizer.module.RETRY_SECONDS)
    capsys.readouterr()
    assert authorizer.backend("merchant-1") == "migration"
    assert degraded(log_lines(capsys)) == []


def test_a_failing_secret_read_keeps_the_last_good_token_versions_within_their_bound(
    authorizer: AuthorizerWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    assert effect(authorizer.call()) == "Allow"  # token versions cached
    authorizer.fail("secretsmanager")
    authorizer.clock.advance(60 + TOKEN_STALENESS - 1)
    capsys.readouterr()
    assert effect(authorizer.call()) == "Allow"
    assert [line["reason"] for line in degraded(log_lines(capsys))] == ["token-stale"]
    assert effect(authorizer.call(token="tok-wrong")) == "Deny"


def test_token_versions_past_their_bound_are_not_trusted(
    authorizer: AuthorizerWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    assert effect(authorizer.call()) == "Allow"
    authorizer.fail("secretsmanager")
    authorizer.clock.advance(60 + TOKEN_STALENESS)
    capsys.readouterr()
    out = authorizer.call()
    assert effect(out) == "Deny"
    lines = log_lines(capsys)
    assert [line["reason"] for line in degraded(lines)] == ["token-unavailable"]
    assert lines[-1]["event"] == "denied"
    assert lines[-1]["reason"] == "token-unavailable"


def test_a_cold_instance_that_cannot_read_the_secret_denies_and_says_so(
    authorizer: AuthorizerWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    authorizer.fail("secretsmanager", "AccessDeniedException")
    assert effect(authorizer.call()) == "Deny"
    (line,) = degraded(log_lines(capsys))
    assert (line["reason"], line["error"], line["age"]) == ("token-unavailable", "AccessDeniedException", None)


def test_a_rotated_out_token_is_not_revived_by_a_secrets_manager_outage(authorizer: AuthorizerWorld) -> None:
    authorizer.rotate("tok-next")
    assert effect(authorizer.call(token="tok-next")) == "Allow"  # caches next (current) and tok-current (previous)
    authorizer.fail("secretsmanager")
    authorizer.clock.wall_offset = 3601  # past the rotation window
    authorizer.clock.advance(61)
    assert effect(authorizer.call(token="tok-current")) == "Deny"
    assert effect(authorizer.call(token="tok-next")) == "Allow"


@pytest.mark.parametrize(
    "state", ["settings-stale", "settings-unavailable", "settings-cold", "token-stale", "both-stale"]
)
def test_a_wrong_token_is_denied_in_every_degraded_state(
    authorizer: AuthorizerWorld, state: str, capsys: pytest.CaptureFixture[str]
) -> None:
    if state != "settings-cold":
        migrating(authorizer)
    if state.startswith("settings") or state == "both-stale":
        authorizer.fail("ssm")
    if state in ("token-stale", "both-stale"):
        authorizer.fail("secretsmanager")
    authorizer.clock.advance(
        {"settings-unavailable": SETTINGS_TTL + SETTINGS_STALENESS, "settings-cold": 0}.get(state, 61)
    )
    assert effect(authorizer.call(token="tok-current")) == "Allow"
    lines = log_lines(capsys)
    assert degraded(lines), "the state is a degraded one"
    for wrong in ("tok-wrong", "tok-current-", "tok-curren"):
        assert effect(authorizer.call(token=wrong)) == "Deny"
