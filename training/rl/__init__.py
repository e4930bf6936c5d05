"""Training the rl q-value policy in the simulator, and validating it against the deterministic rules.

``train_rl`` (``training.rl.train``) collects transitions with an exploring behaviour policy, fits a q-network
by fitted-Q iteration and exports it to ONNX; ``compare`` (``training.rl.validate``) runs the validation plan;
``training.rl.tune`` chooses the reward's outage-event price on the tuning plan. torch is imported only while
fitting and exporting.

    .venv/bin/python -m training.rl train --out /tmp/rl_policy.onnx [--smoke]
    .venv/bin/python -m training.rl compare --model /tmp/rl_policy.onnx --out /tmp/rl_compare.json [--smoke]
    .venv/bin/python -m training.rl tune --out /tmp/rl_tune.json [--mixes wide conservative] [--smoke]
"""

from training.rl.train import train_rl
from training.rl.validate import compare

__all__ = ["compare", "train_rl"]
