"""Drawing the live model: a rich table for terminals, one plain line per event otherwise."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from spotvortex.cli.live.model import Line, LiveModel


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def table(model: LiveModel, header: str) -> Group:
    grid = Table(title=header, title_justify="left", expand=True)
    for column in (
        "pool",
        "nodes spot/od",
        "spot share",
        "target",
        "spot $/h",
        "od $/h",
        "capacity risk",
        "runtime risk",
        "last decision",
        "drains in flight",
        "saved $/h",
    ):
        grid.add_column(column, no_wrap=column in ("pool", "nodes spot/od"))
    for name in sorted(model.pools):
        p = model.pools[name]
        grid.add_row(
            name,
            f"{p.spot}/{p.on_demand}",
            _share(p.spot_share),
            _share(p.target_share),
            "-" if p.spot_price is None else f"{p.spot_price:.4f}",
            "-" if p.on_demand_price is None else f"{p.on_demand_price:.4f}",
            _score(p.capacity_score),
            _score(p.runtime_score),
            f"{p.last_action} {p.last_reason}\n{p.last_verdict}".strip(),
            str(len(p.drains_in_flight)),
            f"{p.saved_per_hour:.3f}",
        )
    recent = Text("\n".join(plain(line) for line in model.recent) or "waiting for decisions…", style="dim")
    total = Text(f"saved vs all on-demand: ${model.saved_per_hour:.3f}/h   events seen: {model.events}")
    return Group(grid, total, recent)


def plain(line: Line) -> str:
    stamp = line.time.strftime("%Y-%m-%dT%H:%M:%S") if line.time else "-"
    return f"{stamp} {line.pool}: {line.text}"
