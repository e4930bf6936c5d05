"""The command line: help, generated docs, and `spotvortex up` (what `make run` ends in) as a real process."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import nats
import pytest

from spotvortex.cli.main import main
from spotvortex.contracts import jetstream

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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_up_starts_nats_provisions_and_stops_cleanly(cluster: str) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPOTVORTEX_")}
    proc = await asyncio.create_subprocess_exec(
        SPOTVORTEX, "up", "--cluster", cluster, "--nats-port", str(port),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode()
        assert line.strip() == f"NATS: nats://127.0.0.1:{port}"
        nc = await nats.connect(f"nats://127.0.0.1:{port}")
        try:
            js = nc.jetstream()
            for spec in jetstream.all_stream_specs(cluster):
                assert (await js.stream_info(spec.name)).config.subjects == spec.subjects
        finally:
            await nc.close()
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 20) == 0
        with socket.socket() as s:  # the server went with it: the port is free again
            s.bind(("127.0.0.1", port))
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
