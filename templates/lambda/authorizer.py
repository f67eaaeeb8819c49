"""API Gateway REST REQUEST authorizer: authenticates the caller and picks the backend.

Embedded verbatim as Code.ZipFile (handler index.handler). Standard library and boto3 only.
Deny by default: any doubt about the caller (configuration, event shape, a token that cannot be checked) ends
in a Deny policy. Never logs or returns the token, the Authorization header or the secret.

A dependency's failure degrades, it does not deny a valid caller:
- settings (Parameter Store) that cannot be read once their TTL has passed: the last good ones are kept while
  they are at most SETTINGS_MAX_STALENESS_SECONDS past the TTL, then, and on a cold instance whose first read
  fails, every valid caller goes to production (the side that needs no settings);
- token versions (Secrets Manager) that cannot be read once their TTL has passed: the last good ones are kept
  while they are at most TOKEN_MAX_STALENESS_SECONDS past it. A cold instance that cannot read them cannot check
  a token, and denies.
A failing read is tried again at most once per RETRY_SECONDS per instance, not on every request. Each request
served in a degraded state logs {"event": "degraded", "reason": ...}, which a metric filter counts and an alarm
pages on; a wrong token is denied in every state.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import os
import re
import time
from collections.abc import Callable
from typing import Any, Generic, NamedTuple, TypeVar

import boto3

_REQUIRED_ENV = (
    "TOKEN_SECRET_ARN",
    "ROTATION_WINDOW_SECONDS",
    "ENABLE_CUTOVER_PARAMETER",
    "TRAFFIC_SPLIT_PARAMETER",
    "SETTINGS_TTL_SECONDS",
    "SETTINGS_MAX_STALENESS_SECONDS",
    "TOKEN_MAX_STALENESS_SECONDS",
    "API_ID",
    "STAGE",
)
_SECONDS_ENV = (
    "ROTATION_WINDOW_SECONDS",
    "SETTINGS_TTL_SECONDS",
    "SETTINGS_MAX_STALENESS_SECONDS",
    "TOKEN_MAX_STALENESS_SECONDS",
)
SECRET_TTL_SECONDS = 60.0
# A token that matches neither cached value may be one issued by a rotation newer than the cache:
# re-read the secret then, but at most this often, so bad tokens cannot flood Secrets Manager.
SECRET_REFRESH_MIN_SECONDS = 5.0
# After a failed read of the settings or the secret, the next read waits this long: a throttled service is not
# called again by every request.
RETRY_SECONDS = 1.0

_now: Callable[[], float] = time.monotonic  # cache clock; tests replace it
_wall: Callable[[], float] = time.time  # wall clock for the rotation window (compared with the version's CreatedDate)

# The environment: strings, and floats for _SECONDS_ENV.
_Config = dict[str, Any]
_T = TypeVar("_T")


class _TokenVersion(NamedTuple):
    """One version stage of the secret: its token, and when it was created (epoch seconds, None if not said)."""

    token: str
    created: float | None


class _TokenVersions(NamedTuple):
    """What a read of the secret gives: AWSCURRENT's token and creation time, and AWSPREVIOUS's token if any."""

    current: str
    created: float
    previous: str | None


class _SecretCache(NamedTuple):
    """The last good read of the secret, and when (on _now's clock) it was read."""

    fetched_at: float
    versions: _TokenVersions


class _Settings(NamedTuple):
    """What a read of the settings gives: the cutover switch and the traffic split (percent)."""

    enabled: bool
    split: int


class _SettingsCache(NamedTuple):
    """The last good read of the settings, and when (on _now's clock) it was read."""

    fetched_at: float
    settings: _Settings


class _Read(NamedTuple, Generic[_T]):
    """A read's value, or None and the name of the error that failed it."""

    value: _T | None
    error: str | None


class _Secrets(NamedTuple):
    """The token versions to check against, whether they were just read, and why they are stale (None if not)."""

    cache: _SecretCache
    fresh: bool
    degraded: _Degraded | None


class _Match(NamedTuple):
    """Whether the token is a valid one, and why the versions it was checked against are stale (None if not)."""

    matches: bool
    degraded: _Degraded | None


class _Routing(NamedTuple):
    """The settings a request is routed by, and why they are not fresh ones (None if they are)."""

    enabled: bool
    split: int
    degraded: _Degraded | None


_clients: dict[str, Any] = {}
_secret_cache: _SecretCache | None = None  # the last good read
_settings_cache: _SettingsCache | None = None  # the last good read
_failed_at: dict[str, float] = {}  # "settings" / "secret": when the last read failed, until one succeeds
_config_error_logged = False

_CLIENT_ID_RE = re.compile(r"^[\x20-\x7e]{1,128}$")
_TOKEN_RE = re.compile(r"^[\x21-\x7e]{1,1024}$")
_SPLIT_RE = re.compile(r"^[0-9]{1,3}$")


class _Deny(Exception):
    """Ends the request with a Deny policy; the message is a reason safe to log."""


class _Unauthorized(Exception):
    """Ends the request with Exception('Unauthorized'), which API Gateway answers with 401."""


def _reset() -> None:
    """Forget clients and cached values (tests)."""
    global _secret_cache, _settings_cache, _config_error_logged
    _clients.clear()
    _secret_cache = None
    _settings_cache = None
    _failed_at.clear()
    _config_error_logged = False


def _client(name: str) -> Any:
    if name not in _clients:
        _clients[name] = boto3.client(name)
    return _clients[name]


def _log(record: dict[str, Any]) -> None:
    print(json.dumps(record, sort_keys=True))


def _config() -> _Config:
    global _config_error_logged
    missing = [k for k in _REQUIRED_ENV if not os.environ.get(k)]
    cfg: _Config | None = None
    if not missing:
        try:
            cfg = {k: os.environ[k] for k in _REQUIRED_ENV}
            for k in _SECONDS_ENV:
                cfg[k] = float(cfg[k])
                if not 0 <= cfg[k] < float("inf"):
                    raise ValueError
        except ValueError:
            missing, cfg = [" or ".join(_SECONDS_ENV) + " (not a number >= 0)"], None
    if cfg is None:
        if not _config_error_logged:
            _config_error_logged = True
            _log({"event": "error", "reason": "configuration", "invalid": missing})
        raise _Deny("configuration")
    return cfg


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:16]


def _header(headers: object, name: str) -> object:
    """The value of a header, case-insensitively; None when absent, False when repeated."""
    if not isinstance(headers, dict):
        return None
    found = [v for k, v in headers.items() if isinstance(k, str) and k.lower() == name]
    return found[0] if len(found) == 1 else (False if found else None)


def _bearer(event: dict[str, Any]) -> str:
    """The bearer token, or raise Exception('Unauthorized') (API Gateway answers 401)."""
    value = _header(event.get("headers"), "authorization")
    multi = event.get("multiValueHeaders")
    if isinstance(multi, dict):
        values = [
            v
            for k, vs in multi.items()
            if isinstance(k, str) and k.lower() == "authorization"
            for v in (vs if isinstance(vs, list) else [vs])
        ]
        if len(values) > 1:
            value = False
    if not isinstance(value, str) or not value:
        raise _Unauthorized("missing-authorization" if value is None else "malformed-authorization")
    parts = value.split(" ")
    if len(parts) != 2 or parts[0].lower() != "bearer" or not _TOKEN_RE.match(parts[1]):
        raise _Unauthorized("malformed-authorization")
    return parts[1]


def _parse_method_arn(arn: object, cfg: _Config) -> str:
    if not isinstance(arn, str):
        raise _Deny("bad-method-arn")
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "execute-api" or not parts[3] or not parts[4]:
        raise _Deny("bad-method-arn")
    path = parts[5].split("/")
    if len(path) < 3 or path[0] != cfg["API_ID"] or path[1] != cfg["STAGE"]:
        raise _Deny("foreign-method-arn")
    return "arn:%s:execute-api:%s:%s:%s/%s/*/*" % (parts[1], parts[3], parts[4], cfg["API_ID"], cfg["STAGE"])


def _token_version(cfg: _Config, stage: str) -> _TokenVersion | None:
    """The token of one version stage; None for AWSPREVIOUS before the first rotation."""
    try:
        resp = _client("secretsmanager").get_secret_value(SecretId=cfg["TOKEN_SECRET_ARN"], VersionStage=stage)
    except Exception as exc:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code")
        if stage == "AWSPREVIOUS" and code == "ResourceNotFoundException":
            return None  # never rotated
        raise
    token = json.loads(resp["SecretString"])["token"]
    if not isinstance(token, str) or not token:
        raise ValueError("secret has no token")
    created = resp.get("CreatedDate")
    if isinstance(created, datetime.datetime):
        created = created.timestamp()
    return _TokenVersion(token, created)


class _Degraded:
    """Why a request is served from less than fresh data: logged once per request so served."""

    def __init__(self, reason: str, age: float | None, error: str | None) -> None:
        self.reason, self.age, self.error = reason, age, error

    def log(self, client: str | None) -> None:
        _log(
            {
                "event": "degraded",
                "reason": self.reason,
                "client": client,
                "age": None if self.age is None else round(self.age, 3),
                "error": self.error,
            }
        )


def _error_name(exc: BaseException) -> str:
    """The AWS error code of a failed call (ThrottlingException, ...), else the exception's type."""
    code = getattr(exc, "response", {}).get("Error", {}).get("Code")
    return code if isinstance(code, str) and code else type(exc).__name__


def _read(what: str, read: Callable[[], _T]) -> _Read[_T]:
    """Calls read() unless a read of `what` failed less than RETRY_SECONDS ago."""
    failed = _failed_at.get(what)
    if failed is not None and _now() - failed < RETRY_SECONDS:
        return _Read(None, "retry-wait")
    try:
        value = read()
    except Exception as exc:  # the caller decides what a failed read means
        _failed_at[what] = _now()
        return _Read(None, _error_name(exc))
    _failed_at.pop(what, None)
    return _Read(value, None)


def _read_secret(cfg: _Config) -> _TokenVersions:
    current = _token_version(cfg, "AWSCURRENT")
    if current is None or current.created is None:  # AWSCURRENT always exists: None is only for AWSPREVIOUS
        raise ValueError("AWSCURRENT has no CreatedDate")
    previous = _token_version(cfg, "AWSPREVIOUS")
    return _TokenVersions(current.token, current.created, None if previous is None else previous.token)


def _secrets(cfg: _Config, force: bool = False) -> _Secrets:
    """The token versions, whether they were just read, and why they are stale."""
    global _secret_cache
    now = _now()
    cache = _secret_cache
    # Fresh enough, unless forced: then only while younger than the refresh bound.
    if (
        cache is not None
        and now - cache.fetched_at < SECRET_TTL_SECONDS
        and (not force or now - cache.fetched_at < SECRET_REFRESH_MIN_SECONDS)
    ):
        return _Secrets(cache, False, None)
    read, error = _read("secret", lambda: _read_secret(cfg))
    if read is not None:
        _secret_cache = _SecretCache(now, read)
        return _Secrets(_secret_cache, True, None)
    if cache is not None and now - cache.fetched_at < SECRET_TTL_SECONDS + cfg["TOKEN_MAX_STALENESS_SECONDS"]:
        stale = now - cache.fetched_at >= SECRET_TTL_SECONDS
        return _Secrets(cache, False, _Degraded("token-stale", now - cache.fetched_at, error) if stale else None)
    _Degraded("token-unavailable", None if cache is None else now - cache.fetched_at, error).log(None)
    raise _Deny("token-unavailable")


def _token_matches(token: str, cfg: _Config) -> _Match:
    """Whether the token is AWSCURRENT's, or AWSPREVIOUS's within the rotation window."""

    def check(cache: _SecretCache) -> bool:
        current, created, previous = cache.versions
        ok = hmac.compare_digest(token.encode("utf-8"), current.encode("utf-8"))
        in_window = _wall() - created < cfg["ROTATION_WINDOW_SECONDS"]
        if previous is not None and in_window:
            ok = hmac.compare_digest(token.encode("utf-8"), previous.encode("utf-8")) or ok
        return ok

    cache, fresh, degraded = _secrets(cfg)
    if check(cache):
        return _Match(True, degraded)
    if not fresh:
        cache, fresh, _ = _secrets(cfg, force=True)
        if fresh:
            return _Match(check(cache), None)
    return _Match(False, degraded)


def _settings(cfg: _Config) -> _Routing:
    """At most SETTINGS_TTL_SECONDS old, or the last good ones while a read fails
    (at most SETTINGS_MAX_STALENESS_SECONDS past the TTL), or production's (cutover off) when there are none;
    invalid or missing values fail safe to production."""
    global _settings_cache
    now = _now()
    cache = _settings_cache
    ttl = cfg["SETTINGS_TTL_SECONDS"]
    if cache is not None and now - cache.fetched_at < ttl:
        return _Routing(*cache.settings, None)
    read, error = _read("settings", lambda: _read_settings(cfg))
    if read is not None:
        _settings_cache = _SettingsCache(now, read)
        return _Routing(*read, None)
    if cache is not None and now - cache.fetched_at < ttl + cfg["SETTINGS_MAX_STALENESS_SECONDS"]:
        return _Routing(*cache.settings, _Degraded("settings-stale", now - cache.fetched_at, error))
    return _Routing(
        False, 0, _Degraded("settings-unavailable", None if cache is None else now - cache.fetched_at, error)
    )


def _read_settings(cfg: _Config) -> _Settings:
    names = [cfg["ENABLE_CUTOVER_PARAMETER"], cfg["TRAFFIC_SPLIT_PARAMETER"]]
    resp = _client("ssm").get_parameters(Names=names)
    values = {p["Name"]: p.get("Value") for p in resp.get("Parameters", [])}
    enabled_raw = values.get(names[0])
    split_raw = values.get(names[1])
    enabled = enabled_raw == "true"
    if enabled_raw not in ("true", "false"):
        _log(
            {
                "event": "warning",
                "reason": "invalid-enable-cutover",
                "parameter": names[0],
                "present": enabled_raw is not None,
            }
        )
    split = 0
    if isinstance(split_raw, str) and _SPLIT_RE.match(split_raw) and int(split_raw) <= 100:
        split = int(split_raw)
    else:
        _log(
            {
                "event": "warning",
                "reason": "invalid-traffic-split",
                "parameter": names[1],
                "present": split_raw is not None,
            }
        )
    return _Settings(enabled, split)


def _bucket(client_key: str) -> int:
    return int.from_bytes(hashlib.sha256(client_key.encode("utf-8")).digest()[:8], "big") % 100


def _client_key(event: dict[str, Any]) -> str:
    client_id = _header(event.get("headers"), "x-client-id")
    if isinstance(client_id, str) and _CLIENT_ID_RE.match(client_id):
        return client_id
    ip = ((event.get("requestContext") or {}).get("identity") or {}).get("sourceIp")
    if not isinstance(ip, str) or not ip:
        raise _Deny("no-client-key")
    return ip


def _policy(principal: str, effect: str, resource: str, context: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "principalId": principal,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}],
        },
    }
    if context is not None:
        out["context"] = context
    return out


def handler(event: object, context: object) -> dict[str, Any]:
    client: str | None = None
    try:
        if not isinstance(event, dict) or event.get("type") != "REQUEST":
            raise _Deny("bad-event")
        cfg = _config()
        resource = _parse_method_arn(event.get("methodArn"), cfg)
        key = _client_key(event)
        client = _hash(key)
        token = _bearer(event)
        matches, token_degraded = _token_matches(token, cfg)
        if not matches:
            raise _Deny("invalid-token")
        enabled, split, settings_degraded = _settings(cfg)
        for degraded in (token_degraded, settings_degraded):
            if degraded is not None:
                degraded.log(client)
        backend = "migration" if enabled and _bucket(key) < split else "production"
        _log({"event": "authorized", "reason": "valid-token", "backend": backend, "client": client, "split": split})
        return _policy(client, "Allow", resource, {"backend": backend, "splitPercentage": split})
    except _Unauthorized as exc:
        _log({"event": "denied", "reason": str(exc), "backend": None, "client": client, "split": None})
        raise Exception("Unauthorized") from None
    except _Deny as exc:
        reason = str(exc)
    except Exception as exc:  # deny by default; log the kind of failure, never its payload
        reason = "error:" + type(exc).__name__
    _log({"event": "denied", "reason": reason, "backend": None, "client": client, "split": None})
    return _policy(client or "anonymous", "Deny", "*")
