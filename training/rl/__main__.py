"""``python -m training.rl train|compare|tune ...``: see ``training.rl.train``, ``training.rl.validate`` and
``training.rl.tune``."""

from __future__ import annotations

import argparse

from training.rl import train, tune, validate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.rl", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    train.add_arguments(sub.add_parser("train", help="collect transitions, fit the q-network, export ONNX"))
    validate.add_arguments(sub.add_parser("compare", help="validate a q-model against the rules"))
    tune.add_arguments(
        sub.add_parser("tune", help="choose the reward's outage-event price on the tuning plan")
    )
    args = parser.parse_args(argv)
    if args.command == "tune":
        return tune.run_cli(args)
    return train.run_cli(args) if args.command == "train" else validate.run_cli(args)


if __name__ == "__main__":
    raise SystemExit(main())
