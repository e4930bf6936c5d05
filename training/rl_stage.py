"""The rl stage of ``make train``: the q-value policy for the bundle."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from training.manifest import RL_FILE

ROOT = Path(__file__).resolve().parents[1]


def train_policy(out: Path, *, smoke: bool = False) -> dict[str, Any]:
    if not (out / RL_FILE).exists():
        shutil.copyfile(ROOT / "models" / RL_FILE, out / RL_FILE)
    return {
        "kind": "piecewise-linear-q-placeholder",
        "description": (
            "Placeholder q-value model: a hand-written piecewise-linear q-function over rl state spec 1 "
            "(growth only with headroom under the cap, a saving above 25 %, low risk, low recovery risk and a "
            "cheap migration; risk and overshoot favour reduction, alarm-level risk an emergency exit). Not "
            "trained by reinforcement learning; it runs in the shadow of the deterministic policy."
        ),
        "metrics": {},
    }
