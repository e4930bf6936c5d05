"""Out-of-sample splits: validation examples come from zones *and* times the model never trained on.

Each trace's timeline is cut at fixed fractions: training up to ``train_until``, calibration (fitting the
probability calibration and early stopping) up to ``calibrate_until``, then a gap as long as the longest label
horizon, so no training label looks into the validation period. Training and calibration use every zone but the
validation zones; validation uses only the validation zones after the gap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spotvortex.sim.modeling.dataset import Examples

VALIDATION_ZONES = ("us-east-1d", "us-east-2b", "us-west-2c")  # one per region of the shipped traces
TRAIN_UNTIL = 0.56
CALIBRATE_UNTIL = 0.70


@dataclass(frozen=True)
class Split:
    train: Examples
    calibration: Examples
    validation: Examples
    validation_zones: tuple[str, ...]
    description: str


def time_zone_split(
    examples: Examples,
    validation_zones: tuple[str, ...] = VALIDATION_ZONES,
    *,
    gap_fraction: float = 0.01,
    train_until: float = TRAIN_UNTIL,
    calibrate_until: float = CALIBRATE_UNTIL,
) -> Split:
    held_out = np.asarray([z in validation_zones for z in examples.zone])
    if not held_out.any() or held_out.all():
        raise ValueError(f"validation zones {validation_zones} must be some, not all, of the examples' zones")
    f = examples.fraction
    return Split(
        train=examples.subset(~held_out & (f < train_until)),
        calibration=examples.subset(~held_out & (f >= train_until) & (f < calibrate_until)),
        validation=examples.subset(held_out & (f >= calibrate_until + gap_fraction)),
        validation_zones=validation_zones,
        description=(
            f"train: other zones, first {train_until:.0%} of each trace; calibration: other zones, "
            f"{train_until:.0%}–{calibrate_until:.0%}; validation: zones {', '.join(validation_zones)}, "
            f"after {calibrate_until + gap_fraction:.0%}"
        ),
    )
