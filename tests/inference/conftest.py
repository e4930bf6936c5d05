"""The shipped models, verified and loaded once for the whole inference suite."""

from __future__ import annotations

import pytest

from spotvortex.inference import Models, load_models


@pytest.fixture(scope="session")
def models() -> Models:
    return load_models()
