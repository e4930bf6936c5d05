"""Service configuration: a YAML file, then environment overrides, validated once at start-up.

Environment variables use the prefix ``SPOTVORTEX_`` and ``__`` between nested keys
(``SPOTVORTEX_HTTP__PORT=9000``, ``SPOTVORTEX_NATS__SERVERS=nats://a:4222,nats://b:4222``);
``SPOTVORTEX_NATS_URL`` is an alias for ``nats.servers``. A wrong value stops start-up with one line that
names the key, where it came from and what is allowed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import msgspec
import yaml

from spotvortex.contracts.enums import Mode
from spotvortex.contracts.tokens import TokenError, validate_cluster_name
from spotvortex.runtime.errors import ConfigError

PREFIX = "SPOTVORTEX_"
NATS_URL_ALIAS = "SPOTVORTEX_NATS_URL"
CONFIG_PATH_ENV = "SPOTVORTEX_CONFIG"

Port = Annotated[int, msgspec.Meta(ge=0, le=65535)]
PositiveSeconds = Annotated[float, msgspec.Meta(gt=0)]


class _Section(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    pass


class NatsSettings(_Section, frozen=True, kw_only=True):
    servers: list[str] = msgspec.field(default_factory=lambda: ["nats://127.0.0.1:4222"])
    user: str | None = None
    password: str | None = None
    token: str | None = None
    nkey_seed_file: str | None = None
    creds_file: str | None = None
    tls_ca_file: str | None = None
    tls_cert_file: str | None = None
    tls_key_file: str | None = None
    tls_hostname: str | None = None
    connect_timeout_seconds: PositiveSeconds = 5.0
    reconnect_wait_seconds: PositiveSeconds = 0.5
    max_reconnect_attempts: int = -1
    request_timeout_seconds: PositiveSeconds = 5.0
    stream_replicas: Annotated[int, msgspec.Meta(ge=1, le=5)] = 1
    """Copies JetStream keeps of every stream and KV bucket the services provision: 3 on a three-server
    cluster (R3), 1 on a single server (more than the servers there are is refused by NATS)."""


class HttpSettings(_Section, frozen=True, kw_only=True):
    host: str = "0.0.0.0"
    port: Port = 8080


class ClockSettings(_Section, frozen=True, kw_only=True):
    """``scaled`` runs ``factor`` times faster than the wall clock from ``origin`` (default: start-up).

    Processes that must agree on time (the local stack's services and its simulated cluster) share one origin.
    """

    kind: Literal["wall", "scaled"] = "wall"
    factor: PositiveSeconds = 1.0
    origin: datetime | None = None


class ServiceSettings(_Section, frozen=True, kw_only=True):
    """Settings every service shares; a service's own settings subclass this."""

    cluster: str = "local"
    region: str = "us-east-1"
    mode: Mode = Mode.SHADOW
    instance: str = ""
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    shutdown_timeout_seconds: PositiveSeconds = 20.0
    lease_ttl_seconds: PositiveSeconds = 15.0
    fetch_batch: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 64
    nats: NatsSettings = NatsSettings()
    http: HttpSettings = HttpSettings()
    clock: ClockSettings = ClockSettings()


S = TypeVar("S", bound=ServiceSettings)


def _fields(struct: type[msgspec.Struct]) -> dict[str, msgspec.inspect.Field]:
    info = msgspec.inspect.type_info(struct)
    assert isinstance(info, msgspec.inspect.StructType)
    return {f.name: f for f in info.fields}


def _unwrap(t: msgspec.inspect.Type) -> msgspec.inspect.Type:
    if isinstance(t, msgspec.inspect.UnionType):
        non_null = [x for x in t.types if not isinstance(x, msgspec.inspect.NoneType)]
        if len(non_null) == 1:
            return non_null[0]
    return t


def _field_type(settings_type: type[msgspec.Struct], path: list[str]) -> msgspec.inspect.Type | None:
    current: type[msgspec.Struct] = settings_type
    found: msgspec.inspect.Type | None = None
    for i, key in enumerate(path):
        field = _fields(current).get(key)
        if field is None:
            return None
        found = _unwrap(field.type)
        if i < len(path) - 1:
            if not isinstance(found, msgspec.inspect.StructType):
                return None
            current = found.cls
    return found


def _allowed(t: msgspec.inspect.Type | None) -> str:
    match t:
        case msgspec.inspect.LiteralType(values=values):
            return "one of " + ", ".join(str(v) for v in values)
        case msgspec.inspect.EnumType(cls=cls):
            return "one of " + ", ".join(str(m.value) for m in cls)
        case msgspec.inspect.IntType(ge=ge, le=le):
            return f"an integer{_bounds(ge, le)}"
        case msgspec.inspect.FloatType(ge=ge, le=le, gt=gt):
            low = f" > {gt}" if gt is not None else ""
            return f"a number{low}{_bounds(ge, le)}"
        case msgspec.inspect.BoolType():
            return "true or false"
        case msgspec.inspect.ListType():
            return "a list (comma-separated in the environment)"
        case msgspec.inspect.StrType():
            return "a string"
        case _:
            return "see docs/operations.md"


def _bounds(ge: float | None, le: float | None) -> str:
    if ge is not None and le is not None:
        return f" from {ge} to {le}"
    if ge is not None:
        return f" >= {ge}"
    if le is not None:
        return f" <= {le}"
    return ""


def _env_overrides(
    settings_type: type[msgspec.Struct], env: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Nested dict of values from the environment, and the variable each dotted key came from."""
    data: dict[str, Any] = {}
    origin: dict[str, str] = {}
    items = dict(env)
    if NATS_URL_ALIAS in items and "SPOTVORTEX_NATS__SERVERS" not in items:
        items["SPOTVORTEX_NATS__SERVERS"] = items[NATS_URL_ALIAS]
    for var, raw in sorted(items.items()):
        if not var.startswith(PREFIX) or var in (NATS_URL_ALIAS, CONFIG_PATH_ENV):
            continue
        path = [p.lower() for p in var[len(PREFIX) :].split("__")]
        field_type = _field_type(settings_type, path)
        if field_type is None or isinstance(field_type, msgspec.inspect.StructType):
            continue  # not ours (other SPOTVORTEX_ variables configure tools and tests)
        value: Any = raw
        if isinstance(field_type, msgspec.inspect.ListType):
            value = [part.strip() for part in raw.split(",") if part.strip()]
        cursor = data
        for key in path[:-1]:
            cursor = cursor.setdefault(key, {})
        cursor[path[-1]] = value
        origin[".".join(path)] = var
    return data, origin


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


_AT = re.compile(r"^(?P<msg>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_UNKNOWN = re.compile(r"^Object contains unknown field `(?P<name>[^`]+)`$")


def _config_error(
    settings_type: type[msgspec.Struct], err: msgspec.ValidationError, source: str, origin: dict[str, str]
) -> ConfigError:
    match = _AT.match(str(err))
    assert match is not None
    msg, path = match.group("msg"), (match.group("path") or "").lstrip(".")
    unknown = _UNKNOWN.match(msg)
    if unknown:
        key = ".".join(p for p in (path, unknown.group("name")) if p)
        return ConfigError(
            f"config error: unknown key `{key}` in {source}; check the spelling in docs/operations.md"
        )
    key = re.sub(r"\[\d+\]", "", path)
    where = f"environment variable {origin[key]}" if key in origin else source
    allowed = _allowed(_field_type(settings_type, key.split("."))) if key else "a mapping"
    return ConfigError(f"config error: `{key or '<root>'}` from {where}: {msg}; allowed: {allowed}")


def load_settings(
    settings_type: type[S],
    path: str | Path | None = None,
    env: Mapping[str, str] | None = None,
) -> S:
    """Read ``path`` (or ``$SPOTVORTEX_CONFIG``), apply environment overrides, validate, and return settings."""
    env = os.environ if env is None else env
    path = path or env.get(CONFIG_PATH_ENV)
    source = f"config file {path}" if path else "defaults"
    data: dict[str, Any] = {}
    if path:
        try:
            loaded = yaml.safe_load(Path(path).read_text()) or {}
        except FileNotFoundError:
            raise ConfigError(f"config error: config file {path} does not exist") from None
        except yaml.YAMLError as err:
            raise ConfigError(f"config error: config file {path} is not valid YAML: {err}") from None
        if not isinstance(loaded, dict):
            raise ConfigError(f"config error: config file {path} must hold a mapping of keys")
        data = loaded
    overrides, origin = _env_overrides(settings_type, env)
    merged = _merge(data, overrides)
    try:
        settings = msgspec.convert(merged, settings_type, strict=False)
    except msgspec.ValidationError as err:
        raise _config_error(settings_type, err, source, origin) from None
    _check_semantics(settings, source, origin)
    return settings


def _check_semantics(settings: ServiceSettings, source: str, origin: dict[str, str]) -> None:
    def where(key: str) -> str:
        return f"environment variable {origin[key]}" if key in origin else source

    try:
        validate_cluster_name(settings.cluster)
    except TokenError as err:
        raise ConfigError(f"config error: `cluster` from {where('cluster')}: {err}") from None
    if not settings.nats.servers:
        raise ConfigError(
            f"config error: `nats.servers` from {where('nats.servers')}: at least one URL is needed"
        )
    for url in settings.nats.servers:
        if not re.match(r"^(nats|tls|ws|wss)://[^\s/]+$", url):
            raise ConfigError(
                f"config error: `nats.servers` from {where('nats.servers')}: {url!r} is not a NATS URL; "
                "allowed: nats://host:port, tls://host:port"
            )
    if bool(settings.nats.tls_cert_file) != bool(settings.nats.tls_key_file):
        raise ConfigError("config error: `nats.tls_cert_file` and `nats.tls_key_file` must be set together")
    if settings.nats.password and not settings.nats.user:
        raise ConfigError("config error: `nats.password` is set without `nats.user`")
