"""``spotvortex inject`` publishes exactly the JSON of DESIGN §1, checked against the contract first."""

from __future__ import annotations

import asyncio
import json

import nats
import pytest

from spotvortex.cli.main import main
from spotvortex.contracts import MarketInterruption, decode, jetstream
from spotvortex.runtime.provision import ensure_all


async def test_an_interruption_is_stored_as_plain_json(
    nats_url: str, cluster: str, capsys: pytest.CaptureFixture[str]
) -> None:
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await ensure_all(js, jetstream.all_stream_specs(cluster), [], jetstream.kv_specs(cluster))
    sub = await js.subscribe("spotvortex.market.eu-west-1.interruption", ordered_consumer=True)
    try:
        argv = ["inject", "interruption", "--nats", nats_url, "--region", "eu-west-1", "--zone", "eu-west-1a",
                "--node", "ip-10-0-1-2.ec2.internal", "--notice-seconds", "90"]  # fmt: skip
        code = await asyncio.to_thread(main, argv)
        assert code == 0
        msg = await sub.next_msg(timeout=5)
        assert json.loads(msg.data) == {
            "zone": "eu-west-1a",
            "node": "ip-10-0-1-2.ec2.internal",
            "notice_seconds": 90,
        }
        assert decode(msg.data, MarketInterruption).notice_seconds == 90
        out = capsys.readouterr().out
        assert "nats --server" in out
        assert "pub spotvortex.market.eu-west-1.interruption" in out
    finally:
        await nc.close()


def test_an_invalid_event_is_refused_before_sending(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["inject", "rebalance", "--zone", "us-east-1a", "--nats", "nats://127.0.0.1:1"])
    assert code == 2
    assert "one of `node` or `instance_id` is required" in capsys.readouterr().err
