"""The candidate risk networks over feature spec 2 windows ``[batch, STEPS, features]``.

Both return ``(capacity_score, runtime_score, feature_weights)`` so either can be shipped behind one contract.
``feature_weights`` [batch, features] is each input's share of the decision, summing to 1 per row, which the
inference service puts in the risk event as the top contributing inputs.

- :class:`CompactTFT`: a Temporal Fusion Transformer reduced to its working parts. Per step a variable-selection
  network weighs the inputs (softmax), each input has its own linear embedding, a GRU encodes the steps, one
  interpretable attention head reads the encoded steps with the last as query, a gated skip joins the attention
  context to the last state, and two heads give the logits. Prices skip that path and add to the logits through
  non-negative weights, so a price spike can only raise a score. Feature weights are the variable-selection
  weights averaged over the steps by the attention (the temporal path's inputs).
- :class:`WindowLogistic`: logistic regression on the last step and the window mean (the non-temporal baseline
  in the same contract). Feature weights are the shares of |coefficient × (value − training mean)|.

Each ends in a per-head affine calibration of the logits (Platt scaling), fitted after training on the
calibration split and folded into the exported graph, so no calibration file exists to lose or tamper with.
"""

from __future__ import annotations

import math

import torch
from torch import nn


class Calibrated(nn.Module):
    """Per-head ``a · logit + b`` (identity until fitted)."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("scale", torch.ones(2))
        self.register_buffer("bias", torch.zeros(2))

    def forward(self, logits: torch.Tensor) -> torch.Tensor:
        return logits * self.scale + self.bias


class CompactTFT(nn.Module):
    kind = "compact-tft"

    def __init__(self, n_features: int, hidden: int = 16, monotone: tuple[int, ...] = ()) -> None:
        super().__init__()
        self.hidden = hidden
        # Inputs in ``monotone`` (prices) bypass the temporal path: there they could learn that a price spike
        # means *less* risk (the earlier model did, and the traces carry no price signal to prevent it). They
        # enter the logits through non-negative weights on their last value and window mean instead.
        keep = torch.ones(n_features)
        keep[list(monotone)] = 0.0
        self.register_buffer("keep", keep)
        self.register_buffer("hidden_from_selection", (1.0 - keep) * -1e4)
        self.monotone_index = list(monotone)
        self.monotone_weight = nn.Parameter(torch.full((2, 2 * len(monotone)), -3.0))
        self.select = nn.Linear(n_features, n_features)
        self.embed_weight = nn.Parameter(torch.randn(n_features, hidden) * 0.3)
        self.embed_bias = nn.Parameter(torch.zeros(n_features, hidden))
        self.encoder = nn.GRU(hidden, hidden, batch_first=True)
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)
        self.gate = nn.Linear(2 * hidden, 2 * hidden)
        self.heads = nn.Linear(hidden, 2)
        self.calibration = Calibrated()

    def logits(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        bypass = x[:, :, self.monotone_index]
        price_terms = torch.cat([bypass[:, -1, :], bypass.mean(dim=1)], dim=-1)  # [B, 2M]
        x = x * self.keep
        weights = torch.softmax(self.select(x) + self.hidden_from_selection, dim=-1)  # [B, T, F]
        # Σ_f w_f · (x_f · E_f + c_f), written as two products so no [B, T, F, H] tensor is ever built
        steps = torch.matmul(weights * x, self.embed_weight) + torch.matmul(weights, self.embed_bias)
        encoded, _ = self.encoder(steps)
        last = encoded[:, -1, :]
        # q · key(h_t) = h_t · (W_kᵀ q) + q · b_k, and the last term is the same for every step, so it cancels
        # in the softmax; value() is affine and the weights sum to 1, so it can follow the weighted sum
        probe = torch.matmul(self.query(last), self.key.weight).unsqueeze(-1)  # [B, H, 1]
        scores = torch.matmul(encoded, probe).transpose(1, 2)  # [B, 1, T]
        attention = torch.softmax(scores / math.sqrt(self.hidden), dim=-1)
        context = self.value(torch.matmul(attention, encoded).squeeze(1))
        gated = nn.functional.glu(self.gate(torch.cat([last, context], dim=-1)), dim=-1)
        logits = self.heads(last + gated) + torch.matmul(
            price_terms, nn.functional.softplus(self.monotone_weight).T
        )
        importance = torch.matmul(attention, weights).squeeze(1)  # [B, F]
        return logits, importance

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        logits, importance = self.logits(x)
        p = torch.sigmoid(self.calibration(logits))
        return p[:, :1], p[:, 1:], importance


class WindowLogistic(nn.Module):
    kind = "window-logistic"

    def __init__(self, n_features: int, n_market: int, mean: torch.Tensor, std: torch.Tensor) -> None:
        super().__init__()
        self.n_market = n_market
        self.register_buffer("mean", mean)
        self.register_buffer("std", std)
        self.linear = nn.Linear(n_features + n_market, 2)
        self.register_buffer("fold", torch.eye(n_market, n_features))  # window means onto their inputs
        self.calibration = Calibrated()

    def keep_monotone(self, raises_risk: torch.Tensor) -> None:
        """Project the weights of risk-raising inputs (last step and window mean) to ≥ 0 after each step, so
        a price spike or a capacity loss can never lower a score (the earlier model's failure)."""
        with torch.no_grad():
            mask = torch.cat([raises_risk, raises_risk[: self.n_market]])
            self.linear.weight[:, mask] = self.linear.weight[:, mask].clamp(min=0.0)

    def summary(self, x: torch.Tensor) -> torch.Tensor:
        raw = torch.cat([x[:, -1, :], x[:, :, : self.n_market].mean(dim=1)], dim=-1)
        return (raw - self.mean) / self.std

    def logits(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        z = self.summary(x)
        contribution = (z * self.linear.weight[0]).abs()
        n_features = x.shape[-1]
        per_input = contribution[:, :n_features]
        per_input = per_input + nn.functional.pad(
            contribution[:, n_features:], (0, n_features - self.n_market)
        )
        importance = per_input / (per_input.sum(dim=-1, keepdim=True) + 1e-9)
        return self.linear(z), importance

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        logits, importance = self.logits(x)
        p = torch.sigmoid(self.calibration(logits))
        return p[:, :1], p[:, 1:], importance
