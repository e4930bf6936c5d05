"""The rl stage of ``make train``: train the q-value policy in the simulator with the bundle's new risk model,
then compare it with the deterministic rules on the validation seeds (``training/rl``)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from training.manifest import RL_FILE
from training.rl.train import train_rl
from training.rl.validate import compare, table

ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER = ROOT / "models" / RL_FILE


def provisional(out: Path) -> dict[str, Any]:
    """The bundle must load before the rl model exists (the simulator decides with its risk model): the shipped
    q-model stands in until training replaces it."""
    if not (out / RL_FILE).exists():
        shutil.copyfile(PLACEHOLDER, out / RL_FILE)
    return {"kind": "provisional", "description": "stand-in until the rl stage has trained the q-model"}


def train_policy(out: Path, *, smoke: bool = False) -> dict[str, Any]:
    candidate = out / f"{RL_FILE}.candidate"  # the bundle's manifest still vouches for the stand-in
    trained = train_rl(candidate, smoke=smoke, models_dir=out)
    comparison = compare(candidate, smoke=smoke, models_dir=out)
    candidate.replace(out / RL_FILE)
    promotion = comparison["promotion"]
    training = trained["training"]
    verdict = (
        "It meets the promotion rule on every validation seed and is recommended as the default policy."
        if promotion["promote"]
        else "It does not meet the promotion rule, so the deterministic rules stay the default and rl runs in "
        "their shadow (agreement counted in `spotvortex_shadow_action_agreement_total`)."
    )
    return {
        "kind": trained["kind"],
        "description": (
            f"q-value network over rl state spec 1, trained by fitted-Q iteration on {training['rows']} simulator "
            f"transitions ({', '.join(training['scenarios'])} scenario, training seeds {training['seeds']}), "
            f"reward {training['reward']}. {verdict}"
        ),
        "training": training,
        "metrics": {
            "promotion": promotion,
            "per_seed": comparison["per_seed"],
            "shadow_agreement": comparison["shadow_agreement"],
        },
        "default_policy": "rl" if promotion["promote"] else "deterministic",
        "report": [
            "",
            "### rl against the deterministic rules, validation seeds (vs spot-first)",
            "",
            table(comparison).rstrip(),
            "",
            f"Training: {trained['seconds']['total']} s; validation: {comparison['seconds']} s. "
            "Commands: `python -m training.rl train`, `python -m training.rl compare` (`training/rl/README.md`).",
        ],
    }
