"""Resource quantities as the API writes them."""

from __future__ import annotations

import pytest

from spotvortex.collector.quantity import quantity


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("500m", 0.5),
        ("2", 2.0),
        ("1.5", 1.5),
        (".5", 0.5),
        ("1Gi", 2.0**30),
        ("512Mi", 512 * 2.0**20),
        ("1G", 1e9),
        ("1e3", 1000.0),
        ("2k", 2000.0),
        (4, 4.0),
        (0.25, 0.25),
        ("-1", 0.0),
        ("lots", 0.0),
        ("1Xi", 0.0),
        (None, 0.0),
        (True, 0.0),
    ],
)
def test_quantities(raw: object, value: float) -> None:
    assert quantity(raw) == pytest.approx(value)
