"""``spotvortex run <service>``: run one service in the foreground (what a container's entrypoint does)."""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Any

from spotvortex.runtime.config import ServiceSettings, load_settings
from spotvortex.runtime.errors import ConfigError
from spotvortex.runtime.service import ServiceSpec, run_service

SERVICES = ("collector", "inference", "gates", "router", "drainer")


def register(sub: Any) -> None:
    parser = sub.add_parser("run", help="run one service (collector, inference, gates, router, drainer)")
    parser.add_argument("service", choices=SERVICES)
    parser.add_argument(
        "--config", help="YAML config file (default: $SPOTVORTEX_CONFIG, then built-in defaults)"
    )
    parser.set_defaults(handler=run)


def load_spec(service: str) -> tuple[ServiceSpec | None, type[ServiceSettings]]:
    """The service's spec (``None`` when the package has none yet) and its settings type."""
    module = importlib.import_module(f"spotvortex.{service}")
    return getattr(module, "SPEC", None), getattr(module, "SETTINGS", ServiceSettings)


def run(args: argparse.Namespace) -> int:
    spec, settings_type = load_spec(args.service)
    try:
        settings = load_settings(settings_type, args.config)
    except ConfigError as err:
        print(err, file=sys.stderr)
        return 2
    if spec is None:
        print(
            f"spotvortex: the {args.service} service has no implementation in this version", file=sys.stderr
        )
        return 2
    if spec.preflight is not None:
        try:
            spec.preflight(settings)
        except ConfigError as err:
            print(err, file=sys.stderr)
            return 2
    return run_service(spec, settings)
