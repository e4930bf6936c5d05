"""``spotvortex``: one command line for the local stack, the services and the tools."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence

from spotvortex.cli import docs_cmd, inject_cmd, models_cmd, run_cmd, up_cmd

Command = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="spotvortex",
        description="SpotVortex: a safety-gated Spot/On-Demand decision layer for Kubernetes autoscalers.",
    )
    sub = parser.add_subparsers(dest="command", metavar="<command>", required=True)
    up_cmd.register(sub)
    run_cmd.register(sub)
    docs_cmd.register(sub)
    inject_cmd.register(sub)
    models_cmd.register(sub)
    _register_optional(sub, "spotvortex.sim.cli")
    _register_optional(sub, "spotvortex.sim.eval.cli")
    return parser


def _register_optional(sub: argparse._SubParsersAction[argparse.ArgumentParser], module: str) -> None:
    """Commands of parts installed alongside (the simulator is not in a service image)."""
    try:
        command = importlib.import_module(module)
    except ModuleNotFoundError:
        return
    command.register(sub)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    command: Command = args.handler
    return command(args)


if __name__ == "__main__":
    sys.exit(main())
