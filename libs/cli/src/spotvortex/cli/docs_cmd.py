"""``spotvortex docs``: write or check generated documentation."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from spotvortex.contracts.docs import render_events_md

DEFAULT_EVENTS_MD = Path("docs/events.md")


def register(sub: Any) -> None:
    parser = sub.add_parser("docs", help="generate docs/events.md from the event contracts")
    parser.add_argument("what", choices=["events"], help="which document")
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--write", action="store_true", help="write the file")
    action.add_argument("--check", action="store_true", help="exit 1 when the file differs from the code")
    parser.add_argument("--path", type=Path, default=DEFAULT_EVENTS_MD, help="where the document lives")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    text = render_events_md()
    path: Path = args.path
    if args.write:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(f"wrote {path}")
        return 0
    if args.check:
        if not path.exists() or path.read_text() != text:
            print(f"{path} is out of date; run `make docs`", file=sys.stderr)
            return 1
        print(f"{path} is up to date")
        return 0
    sys.stdout.write(text)
    return 0
