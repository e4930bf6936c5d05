"""Configuration from file + environment; a wrong value stops start-up with one line naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from spotvortex.contracts import Mode
from spotvortex.runtime.config import ServiceSettings, load_settings
from spotvortex.runtime.errors import ConfigError


def test_defaults_are_safe() -> None:
    s = load_settings(ServiceSettings, env={})
    assert s.mode is Mode.SHADOW
    assert s.nats.servers == ["nats://127.0.0.1:4222"]


def test_file_then_environment(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("cluster: prod\nmode: enforce\nhttp:\n  port: 9000\nnats:\n  servers: [nats://a:4222]\n")
    s = load_settings(
        ServiceSettings, path, env={"SPOTVORTEX_HTTP__PORT": "9100", "SPOTVORTEX_NATS_URL": "nats://b:1"}
    )
    assert (s.cluster, s.mode, s.http.port) == ("prod", Mode.ENFORCE, 9100)
    assert s.nats.servers == ["nats://b:1"]
    s = load_settings(ServiceSettings, path, env={"SPOTVORTEX_NATS__SERVERS": "nats://x:1, nats://y:2"})
    assert s.nats.servers == ["nats://x:1", "nats://y:2"]


def test_config_path_from_environment(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("region: eu-west-1\n")
    assert load_settings(ServiceSettings, env={"SPOTVORTEX_CONFIG": str(path)}).region == "eu-west-1"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            {"SPOTVORTEX_MODE": "yolo"},
            "`mode` from environment variable SPOTVORTEX_MODE: Invalid enum value 'yolo'; allowed: one of observe, shadow, enforce",
        ),
        ({"SPOTVORTEX_HTTP__PORT": "http"}, "`http.port` from environment variable SPOTVORTEX_HTTP__PORT"),
        ({"SPOTVORTEX_HTTP__PORT": "70000"}, "allowed: an integer from 0 to 65535"),
        (
            {"SPOTVORTEX_CLUSTER": "Prod"},
            "`cluster` from environment variable SPOTVORTEX_CLUSTER: cluster name 'Prod' must be a DNS-1123 label",
        ),
        ({"SPOTVORTEX_CLUSTER": "market"}, "reserved"),
        ({"SPOTVORTEX_NATS_URL": "http://x"}, "`nats.servers`"),
        ({"SPOTVORTEX_LOG_LEVEL": "loud"}, "allowed: one of debug, error, info, warning"),
        ({"SPOTVORTEX_NATS__PASSWORD": "p"}, "`nats.password` is set without `nats.user`"),
    ],
)
def test_bad_values_name_the_key_and_what_is_allowed(env: dict[str, str], expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(ServiceSettings, env=env)
    message = str(caught.value)
    assert expected in message
    assert "\n" not in message


def test_unknown_file_keys_are_errors(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("nats:\n  sevrers: [nats://a:1]\n")
    with pytest.raises(ConfigError, match=r"unknown key `nats.sevrers`"):
        load_settings(ServiceSettings, path, env={})


@pytest.mark.parametrize(
    ("content", "expected"), [("a: [", "not valid YAML"), ("- 1\n", "must hold a mapping")]
)
def test_unreadable_files(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(content)
    with pytest.raises(ConfigError, match=expected):
        load_settings(ServiceSettings, path, env={})


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(ServiceSettings, tmp_path / "nope.yaml", env={})


def test_unrelated_spotvortex_variables_are_ignored() -> None:
    assert load_settings(ServiceSettings, env={"SPOTVORTEX_SOMETHING_ELSE": "x"}).cluster == "local"
