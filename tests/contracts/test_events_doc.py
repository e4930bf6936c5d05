from pathlib import Path

from spotvortex.contracts.catalog import CATALOG
from spotvortex.contracts.docs import render_events_md

DOC = Path(__file__).resolve().parents[2] / "docs" / "events.md"


def test_events_md_matches_the_code() -> None:
    assert DOC.read_text() == render_events_md(), "docs/events.md is stale: run `make docs`"


def test_events_md_documents_every_event_with_schema_and_example() -> None:
    text = render_events_md()
    for spec in CATALOG:
        assert f"### {spec.name}" in text
        assert spec.type.__name__ in text
    assert text.count("<summary>JSON Schema</summary>") == len(CATALOG)
