"""``spotvortex eval`` as a user runs it: what it writes, that it writes the same bytes every time (in one
worker or several), its exit codes, and one clear line on stderr for bad input."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from spotvortex.sim.eval import swarm
from spotvortex.sim.eval.runs import RunSpec, run
from spotvortex.sim.market.sources import fixture_files
from tests.eval.support import (
    METRIC_KEYS,
    PNG_SIGNATURE,
    SEED,
    START_TEXT,
    InlineExecutor,
    evaluate,
    read_result,
    write_scenario,
)

POLICIES = ("spot-first", "on-demand", "static-0.5", "spotvortex")
SEEDS = (SEED, SEED + 1)
LOOSE_GATE = ("--gate-improvement", "-1000", "--gate-outage-delta", "1000")


def traces_scenario(directory: Path) -> Path:
    """A day of a spot pool losing capacity now and then: every policy has something to react to."""
    return write_scenario(
        directory,
        "churn",
        market={"capacity": "traces"},
        duration="24h",
        workloads=[{"name": "app", "pool": "web", "replicas": 3, "cpu": "1", "memory": "1Gi", "floor": 2,
                    "penalty_per_hour": 50}],
    )  # fmt: skip


def eval_args(scenario: Path, out: Path, *extra: str, workers: int = 1) -> list[str | Path]:
    return ["--scenario", scenario, "--seeds", str(len(SEEDS)), "--policies", ",".join(POLICIES),
            "--out", out, "--workers", str(workers), *LOOSE_GATE, *extra]  # fmt: skip


@pytest.fixture(scope="module")
def charted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """One evaluation of the churn scenario with charts: (scenario file, output directory, stdout)."""
    directory = tmp_path_factory.mktemp("charted")
    scenario = traces_scenario(directory)
    out = directory / "out"
    outcome = evaluate(*eval_args(scenario, out))
    assert outcome.code == 0, outcome.err
    return scenario, out, outcome.out


# -- outputs -------------------------------------------------------------------------------------------------


def test_result_json_records_the_inputs(charted: tuple[Path, Path, str]) -> None:
    _, out, _ = charted
    document = read_result(out)
    assert document["schema_version"] == 1
    assert document["inputs"] == {
        "scenario": "churn",
        "market": "fixture",
        "files": None,
        "start": START_TEXT,
        "end": "2021-03-11T00:00:00+00:00",
        "seeds": list(SEEDS),
        "policies": list(POLICIES),
        "cadence_seconds": 600.0,
        "transport": "in-process",
        "capacity": "traces",
        "hazard_rate": 1.0,
    }


def test_result_json_has_one_run_per_policy_and_seed_with_every_metric(
    charted: tuple[Path, Path, str],
) -> None:
    _, out, _ = charted
    document = read_result(out)
    runs = document["runs"]
    assert [(r["policy"], r["seed"]) for r in runs] == sorted(itertools.product(POLICIES, SEEDS))
    for r in runs:
        assert set(r["metrics"]) == METRIC_KEYS, "every metric, and not the wall time (it would differ)"
        assert r["metrics"]["simulated_days"] == 1.0


def test_result_json_north_star_is_recomputed_from_its_runs(charted: tuple[Path, Path, str]) -> None:
    _, out, _ = charted
    document = read_result(out)
    metrics = {(r["policy"], r["seed"]): r["metrics"] for r in document["runs"]}
    star = document["north_star"]
    assert set(star) == set(POLICIES) - {"spot-first"}
    for policy, entry in star.items():
        improvement, delta = entry["net_profit_improvement_pct"], entry["outage_delta"]
        assert set(improvement["per_seed"]) == set(delta["per_seed"]) == {str(s) for s in SEEDS}
        for seed in SEEDS:
            base, mine = metrics["spot-first", seed], metrics[policy, seed]
            expected = round(100 * (base["net_cost"] - mine["net_cost"]) / base["net_cost"], 3)
            assert improvement["per_seed"][str(seed)] == expected
            assert delta["per_seed"][str(seed)] == mine["outage_events"] - base["outage_events"]
        assert improvement["median"] == pytest.approx(sum(improvement["per_seed"].values()) / 2, abs=1e-3)
        assert delta["max"] == max(delta["per_seed"].values())
        assert entry["gate"] == {
            "min_median_improvement_pct": -1000.0,
            "max_outage_delta": 1000,
            "passed": True,
        }


def test_result_md_has_the_metrics_table_and_the_north_star(charted: tuple[Path, Path, str]) -> None:
    _, out, stdout = charted
    text = (out / "result.md").read_text()
    lines = text.splitlines()
    assert lines[0] == "# Evaluation: churn"
    header = "| policy | net_cost | compute_cost | outage_penalty | outage_events | outage_minutes |"
    assert any(line.startswith(header) for line in lines)
    for policy in POLICIES:
        assert sum(line.startswith(f"| {policy} |") for line in lines) == (1 if policy == "spot-first" else 2)
    assert "## North star (against spot-first)" in lines
    assert text in stdout, "the same report is printed"


def test_charts_are_png_files(charted: tuple[Path, Path, str]) -> None:
    _, out, stdout = charted
    charts = sorted(p.name for p in out.glob("*.png"))
    assert charts == ["cost_vs_outage.png", "timeline.png"]
    for name in charts:
        data = (out / name).read_bytes()
        assert data.startswith(PNG_SIGNATURE)
        assert len(data) > 1000
    assert "timeline.png, cost_vs_outage.png" in stdout


def test_no_charts_writes_only_the_json_and_the_markdown(tmp_path: Path) -> None:
    out = tmp_path / "out"
    outcome = evaluate("--scenario", write_scenario(tmp_path), "--seeds", "1", "--policies", "spot-first",
                       "--workers", "1", "--out", out, "--no-charts")  # fmt: skip
    assert outcome.code == 0, outcome.err
    assert sorted(p.name for p in out.iterdir()) == ["result.json", "result.md"]


def test_the_fixture_files_given_explicitly_give_the_same_runs_as_the_fixture_market(tmp_path: Path) -> None:
    scenario = write_scenario(tmp_path)
    files = fixture_files()
    common = ("--scenario", scenario, "--seeds", "1", "--policies", "spot-first,on-demand", "--workers", "1",
              "--no-charts")  # fmt: skip
    assert evaluate(*common, "--out", tmp_path / "market").code == 0
    explicit = evaluate(*common, "--out", tmp_path / "files", "--prices", files.spot_prices,
                        "--ondemand", files.on_demand, "--availability", files.availability,
                        "--advisor", files.advisor)  # fmt: skip
    assert explicit.code == 0, explicit.err

    by_market, by_files = read_result(tmp_path / "market"), read_result(tmp_path / "files")
    assert by_files["runs"] == by_market["runs"]
    assert by_files["inputs"]["market"] == "files"
    assert by_files["inputs"]["files"] == [
        Path(f).name for f in (files.spot_prices, files.on_demand, files.availability, files.advisor)
    ]


def test_start_and_end_choose_the_window(tmp_path: Path) -> None:
    out = tmp_path / "out"
    window = ("--start", "2021-03-12T06:00:00+00:00", "--end", "2021-03-12T12:00:00+00:00")
    outcome = evaluate("--scenario", write_scenario(tmp_path, duration="30d"), "--seeds", "1",
                       "--policies", "spot-first", "--workers", "1", "--out", out, "--no-charts",
                       *window)  # fmt: skip
    assert outcome.code == 0, outcome.err
    document = read_result(out)
    assert (document["inputs"]["start"], document["inputs"]["end"]) == (
        "2021-03-12T06:00:00+00:00",
        "2021-03-12T12:00:00+00:00",
    )
    assert document["runs"][0]["metrics"]["simulated_days"] == 0.25


# -- determinism ---------------------------------------------------------------------------------------------


def test_the_same_command_writes_byte_identical_results(
    charted: tuple[Path, Path, str], tmp_path: Path
) -> None:
    scenario, first, _ = charted
    again = tmp_path / "again"
    assert evaluate(*eval_args(scenario, again, "--no-charts")).code == 0
    assert (again / "result.json").read_bytes() == (first / "result.json").read_bytes()
    assert (again / "result.md").read_bytes() == (first / "result.md").read_bytes()


def test_two_worker_processes_write_the_same_result_as_one(
    charted: tuple[Path, Path, str], tmp_path: Path
) -> None:
    scenario, one, _ = charted
    two = tmp_path / "two"
    assert evaluate(*eval_args(scenario, two, "--no-charts", workers=2)).code == 0
    assert (two / "result.json").read_bytes() == (one / "result.json").read_bytes()


def test_the_runs_of_the_determinism_check_differ_between_policies_and_seeds(
    charted: tuple[Path, Path, str],
) -> None:
    """Byte equality means little if every run is the same: the churn scenario makes them differ."""
    _, out, _ = charted
    metrics = {(r["policy"], r["seed"]): r["metrics"] for r in read_result(out)["runs"]}
    assert metrics["spot-first", SEEDS[0]] != metrics["spot-first", SEEDS[1]]
    assert len({m["net_cost"] for m in metrics.values()}) > len(POLICIES)
    assert all(metrics["spotvortex", s]["decisions"] > 0 for s in SEEDS)
    assert any(m["interruptions"] > 0 for m in metrics.values())


# -- exit codes ----------------------------------------------------------------------------------------------


def test_exit_1_when_spotvortex_misses_the_gate(tmp_path: Path) -> None:
    # No spot capacity is ever lost, so nothing beats running everything on spot: spotvortex cannot gain 2 %.
    out = tmp_path / "out"
    outcome = evaluate("--scenario", write_scenario(tmp_path), "--seeds", "1", "--policies", "spotvortex",
                       "--workers", "1", "--out", out, "--no-charts")  # fmt: skip
    assert outcome.code == 1
    assert outcome.err.rstrip().endswith("gate failed for: spotvortex")
    document = read_result(out)
    assert document["inputs"]["policies"] == ["spot-first", "spotvortex"], "the baseline is added"
    assert document["north_star"]["spotvortex"]["gate"]["passed"] is False


def test_exit_0_when_a_loose_gate_lets_spotvortex_pass(tmp_path: Path) -> None:
    outcome = evaluate("--scenario", write_scenario(tmp_path), "--seeds", "1", "--policies", "spotvortex",
                       "--workers", "1", "--out", tmp_path / "out", "--no-charts", *LOOSE_GATE)  # fmt: skip
    assert outcome.code == 0, outcome.err
    assert "gate failed" not in outcome.err


def test_exit_0_with_baselines_only_even_when_they_miss_the_gate(tmp_path: Path) -> None:
    out = tmp_path / "out"
    outcome = evaluate("--scenario", write_scenario(tmp_path), "--seeds", "1",
                       "--policies", "spot-first,on-demand,static-0.5", "--workers", "1", "--out", out,
                       "--no-charts")  # fmt: skip
    assert outcome.code == 0, outcome.err
    star = read_result(out)["north_star"]
    assert star["on-demand"]["gate"]["passed"] is False
    assert star["static-0.5"]["gate"]["passed"] is False


# -- bad input -----------------------------------------------------------------------------------------------

BAD_INPUT = {
    "unknown policy": (["--policies", "spot-first,yolo"], "unknown policy 'yolo'"),
    "zero seeds": (["--seeds", "0"], "--seeds must be at least 1"),
    "missing scenario": (["--scenario", "{tmp}/absent.yaml"], "absent.yaml: no such scenario file"),
    "unknown shipped scenario": (["--scenario", "nosuchname"], "no scenario named 'nosuchname'"),
    "missing prices": (["--prices", "{tmp}/absent.csv"], "absent.csv: no such file"),
    "on-demand table without prices": (["--ondemand", "{tmp}/od.csv"], "go with --prices"),
    "naive start": (["--start", "2021-03-10T00:00:00"], "give times with a zone"),
    "naive end": (["--end", "2021-03-10T06:00:00"], "give times with a zone"),
    "end at the start": (["--end", START_TEXT], "empty window"),
    "end before the start": (["--start", "2021-03-10T06:00:00+00:00", "--end", START_TEXT], "empty window"),
    "negative hazard rate": (["--hazard-rate", "-1"], "--hazard-rate must not be negative"),
}


def refused(outcome: Any, expected: str, out: Path) -> None:
    assert outcome.code == 2, outcome.err
    (line,) = outcome.error_lines()
    assert line.startswith("spotvortex eval: ")
    assert expected in line
    assert "Traceback" not in outcome.err
    assert not (out / "result.json").exists()


@pytest.mark.parametrize(("args", "expected"), BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_input_exits_2_with_one_line_on_stderr(args: list[str], expected: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    given = [a.format(tmp=tmp_path) for a in args]
    scenario: list[str | Path] = [] if "--scenario" in given else ["--scenario", write_scenario(tmp_path)]
    outcome = evaluate(*scenario, "--seeds", "1", "--policies", "spot-first,on-demand", *given,
                       "--workers", "1", "--out", out, "--no-charts")  # fmt: skip
    refused(outcome, expected, out)


@pytest.mark.parametrize(
    "what",
    [
        pytest.param("prices", id="malformed prices file"),
        pytest.param("scripted", id="missing scripted price file"),
    ],
)
def test_unusable_market_data_exits_2_with_one_line_on_stderr(what: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    if what == "prices":
        bad = tmp_path / "prices.csv"
        bad.write_text("timestamp,region\n")
        args: list[str | Path] = ["--scenario", write_scenario(tmp_path), "--prices", bad]
        expected = "prices.csv"
    else:
        args = ["--scenario", write_scenario(tmp_path, market={"scripted": str(tmp_path / "absent.json")})]
        expected = "absent.json"
    try:
        outcome = evaluate(*args, "--seeds", "1", "--policies", "spot-first", "--workers", "1", "--out", out,
                           "--no-charts")  # fmt: skip
    except Exception as exc:  # the bug: BrokenProcessPool escapes main
        pytest.fail(f"spotvortex eval raised {type(exc).__name__}: {exc}")
    refused(outcome, expected, out)


class Livelock(AssertionError):
    pass


@pytest.mark.parametrize("cadence", ["0", "-600"])
def test_a_cadence_that_is_not_positive_is_refused(
    cadence: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Runs in this process, with a guard that turns the endless loop into a failure instead of a hang.
    monkeypatch.setattr("spotvortex.sim.eval.cli.ProcessPoolExecutor", InlineExecutor)
    ticks = {"n": 0}
    real_tick = swarm.InProcessSwarm._tick

    def guarded(self: swarm.InProcessSwarm) -> None:
        ticks["n"] += 1
        if ticks["n"] > 2_000:  # 12 h at the default cadence is 73 ticks
            raise Livelock(f"the swarm ticked {ticks['n']} times at {self.world.now}")
        real_tick(self)

    monkeypatch.setattr(swarm.InProcessSwarm, "_tick", guarded)
    out = tmp_path / "out"
    outcome = evaluate("--scenario", write_scenario(tmp_path), "--seeds", "1", "--policies", "static-0.5",
                       "--workers", "1", "--out", out, "--no-charts", "--cadence", cadence)  # fmt: skip
    refused(outcome, "cadence", out)


def test_an_output_path_that_is_a_file_exits_2_with_one_line_on_stderr(tmp_path: Path) -> None:
    out = tmp_path / "taken"
    out.write_text("not a directory\n")
    try:
        outcome = evaluate("--scenario", write_scenario(tmp_path), "--seeds", "1", "--policies", "spot-first",
                           "--workers", "1", "--out", out, "--no-charts")  # fmt: skip
    except OSError as exc:
        pytest.fail(f"spotvortex eval raised {type(exc).__name__}: {exc}")
    assert outcome.code == 2
    (line,) = outcome.error_lines()
    assert line.startswith("spotvortex eval: ")


def test_a_policy_named_twice_is_run_once(tmp_path: Path) -> None:
    out = tmp_path / "out"
    outcome = evaluate("--scenario", write_scenario(tmp_path), "--seeds", "1",
                       "--policies", "spot-first,on-demand,on-demand", "--workers", "1", "--out", out,
                       "--no-charts")  # fmt: skip
    if outcome.code == 2:  # refusing the repetition is fine too
        return
    keys = [(r["policy"], r["seed"]) for r in read_result(out)["runs"]]
    assert sorted(set(keys)) == keys


# -- the capacity process ------------------------------------------------------------------------------------


def test_a_run_spec_capacity_replaces_the_scenarios_capacity_process(tmp_path: Path) -> None:
    churn = str(traces_scenario(tmp_path))
    calm = str(write_scenario(tmp_path))
    assert run(RunSpec(churn, "spot-first", SEED)).metrics["interruptions"] > 0
    assert run(RunSpec(churn, "spot-first", SEED, capacity="none")).metrics["interruptions"] == 0
    assert run(RunSpec(calm, "spot-first", SEED, capacity="traces")).metrics["interruptions"] > 0


def test_a_run_spec_hazard_rate_scales_the_hazard_models_losses(tmp_path: Path) -> None:
    calm = str(write_scenario(tmp_path))
    quiet = run(RunSpec(calm, "spot-first", SEED, capacity="hazard", hazard_rate=0.0)).metrics
    stormy = run(RunSpec(calm, "spot-first", SEED, capacity="hazard", hazard_rate=10_000.0)).metrics
    assert quiet["interruptions"] == 0
    assert stormy["interruptions"] > 0
    assert stormy["spot_residency"] < quiet["spot_residency"] == 1.0


@pytest.mark.parametrize(
    ("options", "capacity", "rate"),
    [
        pytest.param(["--capacity", "none"], "none", 1.0, id="capacity none on a traces scenario"),
        pytest.param(["--capacity", "hazard", "--hazard-rate", "0"], "hazard", 0.0, id="hazard rate zero"),
    ],
)
def test_capacity_options_reach_the_runs(
    options: list[str], capacity: str, rate: float, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    outcome = evaluate("--scenario", traces_scenario(tmp_path), "--seeds", "2", "--policies", "spot-first",
                       "--workers", "1", "--out", out, "--no-charts", *options)  # fmt: skip
    assert outcome.code == 0, outcome.err
    document = read_result(out)
    assert (document["inputs"]["capacity"], document["inputs"]["hazard_rate"]) == (capacity, rate)
    assert [r["metrics"]["interruptions"] for r in document["runs"]] == [0, 0]
