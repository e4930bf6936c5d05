"""The command line: help, generated docs, and `spotvortex up` (what `make run` ends in) as a real process."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import pytest

from spotvortex.cli.main import main

SPOTVORTEX = str(Path(sys.executable).parent / "spotvortex")
ROOT = Path(__file__).resolve().parents[2]


def test_help_lists_the_subcommands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--help"])
    assert caught.value.code == 0
    out = capsys.readouterr().out
    for command in ("up", "run", "docs"):
        assert f"    {command} " in out


def test_events_doc_check_passes_on_the_committed_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["docs", "events", "--check", "--path", str(ROOT / "docs" / "events.md")]) == 0


def test_events_doc_check_fails_on_a_stale_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stale = tmp_path / "events.md"
    stale.write_text("# old\n")
    assert main(["docs", "events", "--check", "--path", str(stale)]) == 1
    assert "out of date" in capsys.readouterr().err


def test_run_reports_a_config_error_in_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPOTVORTEX_MODE", "sometimes")
    code = main(["run", "gates"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert "`mode` from environment variable SPOTVORTEX_MODE" in err


def _processes_mentioning(marker: str) -> list[int]:
    """PIDs whose command line or environment contains ``marker`` (Linux ``/proc``; empty elsewhere)."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            text = (proc / "cmdline").read_bytes() + (proc / "environ").read_bytes()
        except OSError:
            continue
        if marker.encode() in text and int(proc.name) != os.getpid():
            found.append(int(proc.name))
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_up_runs_the_whole_stack_decides_acts_and_stops_cleanly(cluster: str, tmp_path: Path) -> None:
    """What ``make run`` ends in: NATS, the simulated cluster, five services; decisions reach the cluster."""
    from tests.sim.test_kube_kubectl import KUBECTL_BIN, Kubectl

    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPOTVORTEX_")}
    proc = await asyncio.create_subprocess_exec(
        SPOTVORTEX, "up", "--cluster", cluster, "--nats-port", str(port), "--plain", "--speed", "60",
        "--log-dir", str(tmp_path / "logs"),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, env=env,
    )  # fmt: skip
    lines: list[str] = []

    async def until(prefix: str, timeout: float) -> str:
        assert proc.stdout is not None
        async with asyncio.timeout(timeout):
            while True:
                raw = await proc.stdout.readline()
                assert raw, f"up exited early: {lines[-10:]}"
                lines.append(raw.decode().rstrip())
                if prefix in lines[-1]:
                    return lines[-1]

    try:
        assert await until("NATS:", 20) == f"NATS: nats://127.0.0.1:{port}"
        kube_url = (await until("Kubernetes API:", 60)).split()[-1]
        assert (await until("Mode:", 90)) == "Mode: enforce"
        await until("Ready in", 5)
        await until("steer (applied)", 60)
        await until(": drained", 60)
        children = {p.name for p in (tmp_path / "logs").iterdir()}
        assert {"sim.log", "collector.log", "inference-1.log", "inference-2.log", "gates.log"} <= children
        if KUBECTL_BIN is not None:
            out = await Kubectl(kube_url, tmp_path).ok("get", "nodes")
            assert "SchedulingDisabled" in out  # a cordon the drainer made, as kubectl shows it
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 40) == 0
        with socket.socket() as s:  # the server went with it: the port is free again
            s.bind(("127.0.0.1", port))
        assert _processes_mentioning(f"127.0.0.1:{port}") == []  # no orphan: every child knew the NATS URL
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def test_a_killed_up_leaves_no_process_behind(cluster: str, tmp_path: Path) -> None:
    """Even SIGKILL, which ``up`` cannot handle, takes NATS, the simulator and the services with it."""
    from tests.helpers import eventually

    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPOTVORTEX_")}
    proc = await asyncio.create_subprocess_exec(
        SPOTVORTEX, "up", "--cluster", cluster, "--nats-port", str(port), "--plain", "--inference-replicas", "1",
        "--log-dir", str(tmp_path / "logs"),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, env=env,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        async with asyncio.timeout(90):
            while b"Ready in" not in (line := await proc.stdout.readline()):
                assert line, "up exited before it was ready"
        assert len(_processes_mentioning(f"127.0.0.1:{port}")) >= 6  # the simulator and the five services
        assert len(_processes_mentioning(f"-p\0{port}\0")) == 1  # nats-server, by its command line
        proc.kill()
        await proc.wait()
        await eventually(lambda: _processes_mentioning(f"127.0.0.1:{port}") == [], timeout=20)
        await eventually(lambda: _processes_mentioning(f"-p\0{port}\0") == [], timeout=20)  # nats-server too
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


def test_run_refuses_a_service_whose_preflight_fails_in_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A model bundle that does not verify stops ``spotvortex run inference`` before it connects anywhere."""
    monkeypatch.setenv("SPOTVORTEX_INFERENCE__MODELS_DIR", str(tmp_path))  # no manifest there
    code = main(["run", "inference"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert err.startswith("config error:")
