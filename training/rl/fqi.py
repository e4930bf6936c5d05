"""Fitted-Q iteration over logged transitions (torch, CPU, deterministic).

``Q(s, a)`` is the expected discounted reward from taking ``a`` in state ``s`` and acting greedily after, in USD
(negative: a cost to go). Each iteration freezes the current network as the target, computes
``y = r + γ^(Δt / 600 s) · max_a' Q_target(s', a')`` for every logged transition, and fits the network to
``y`` on the logged action with a few epochs of Adam on the mean squared error (warm-started from the previous
iteration). Rewards are divided by their mean magnitude while fitting (targets of order one) and the scale is
folded back into the exported network, so the model's q-values are in USD.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from spotvortex.inference.rl import N_ACTIONS, N_STATE
from training.rl.collect import Dataset


@dataclass(frozen=True)
class FitConfig:
    gamma: float = 0.97  # per 600 simulated seconds: a half-life of ~3.8 h, a horizon of ~5.5 h
    iterations: int = 60
    epochs_per_iteration: int = 4
    hidden: int = 64
    batch: int = 1024
    learning_rate: float = 1e-3
    seed: int = 0

    @property
    def epochs(self) -> int:
        return self.iterations * self.epochs_per_iteration

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "epochs": self.epochs}


FULL = FitConfig()
SMOKE = FitConfig(iterations=6, epochs_per_iteration=2, hidden=32, batch=256)


def deterministic(seed: int) -> torch.Generator:
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    return torch.Generator().manual_seed(seed)


def q_network(hidden: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(N_STATE, hidden),
        nn.ReLU(),
        nn.Linear(hidden, hidden),
        nn.ReLU(),
        nn.Linear(hidden, N_ACTIONS),
    )


def in_usd(net: nn.Sequential, scale: float) -> nn.Sequential:
    """A copy of ``net`` whose outputs are ``scale`` times larger (the last layer rescaled)."""
    out = copy.deepcopy(net).eval()
    last = out[-1]
    assert isinstance(last, nn.Linear)
    with torch.no_grad():
        last.weight.mul_(scale)
        last.bias.mul_(scale)
    return out


def fit_q(data: Dataset, config: FitConfig) -> tuple[nn.Sequential, dict[str, Any]]:
    """The fitted q-network (outputs in USD) and what the fit did."""
    if data.rows == 0:
        raise ValueError("no transitions to fit")
    generator = deterministic(config.seed)
    states = torch.from_numpy(data.states)
    next_states = torch.from_numpy(data.next_states)
    actions = torch.from_numpy(data.actions)
    scale = float(np.mean(np.abs(data.rewards))) or 1.0
    rewards = torch.from_numpy(data.rewards / scale).float()
    discounts = torch.from_numpy(data.discounts(config.gamma)).float()
    net = q_network(config.hidden)
    optimiser = torch.optim.Adam(net.parameters(), lr=config.learning_rate)
    n = data.rows
    history: list[float] = []
    for _ in range(config.iterations):
        target_net = copy.deepcopy(net).eval()
        with torch.no_grad():
            targets = rewards + discounts * target_net(next_states).max(dim=1).values
        net.train()
        total = 0.0
        for _ in range(config.epochs_per_iteration):
            order = torch.randperm(n, generator=generator)
            total = 0.0
            for lo in range(0, n, config.batch):
                idx = order[lo : lo + config.batch]
                predicted = net(states[idx]).gather(1, actions[idx].unsqueeze(1)).squeeze(1)
                loss = nn.functional.mse_loss(predicted, targets[idx])
                optimiser.zero_grad()
                loss.backward()  # type: ignore[no-untyped-call, unused-ignore]
                optimiser.step()
                total += loss.item() * len(idx)
        history.append(total / n)
    net.eval()
    usd = in_usd(net, scale)
    with torch.no_grad():
        q = usd(states).numpy().astype(np.float64)
    greedy = q.argmax(axis=1)
    stats = {
        "reward_scale_usd": round(scale, 6),
        "loss_first_iteration": round(history[0], 6),
        "loss_last_iteration": round(history[-1], 6),
        "q_mean_usd": round(float(q.mean()), 4),
        "greedy_action_counts_on_training_states": [int(c) for c in np.bincount(greedy, minlength=N_ACTIONS)],
        "greedy_agrees_with_rules_on_training_states": round(float(np.mean(greedy == data.rules_actions)), 4),
    }
    return usd, stats
