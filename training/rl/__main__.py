"""``python -m training.rl train|compare ...``: see ``training.rl.train`` and ``training.rl.validate``."""

from __future__ import annotations

import argparse

from training.rl import train, validate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.rl", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    train.add_arguments(sub.add_parser("train", help="collect transitions, fit the q-network, export ONNX"))
    validate.add_arguments(sub.add_parser("compare", help="validate a q-model against the rules"))
    args = parser.parse_args(argv)
    return train.run_cli(args) if args.command == "train" else validate.run_cli(args)


if __name__ == "__main__":
    raise SystemExit(main())
