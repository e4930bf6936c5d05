"""Which way each action moves a pool — one definition for the gates, the router and the evaluation."""

from __future__ import annotations

from spotvortex.contracts import Action


def test_each_action_has_its_direction() -> None:
    assert {a: a.direction for a in Action} == {
        Action.HOLD: 0,
        Action.DECREASE_10: -1,
        Action.DECREASE_30: -1,
        Action.INCREASE_10: 1,
        Action.INCREASE_30: 1,
        Action.EMERGENCY_EXIT: -1,
    }
