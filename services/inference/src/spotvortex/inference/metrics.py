"""Inference metrics (prefix ``spotvortex_``, base units, bounded labels: families, actions, reason codes).

Counts are per replica and only describe what this replica decided; nothing here is needed for a decision.
"""

from __future__ import annotations

import weakref

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from spotvortex.inference.decide import Outcome
from spotvortex.inference.models import Models

_BY_REGISTRY: weakref.WeakKeyDictionary[CollectorRegistry, InferenceMetrics] = weakref.WeakKeyDictionary()


class InferenceMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        r = registry
        self.unsupported_family = Counter(
            "spotvortex_unsupported_instance_family_total",
            "Pool decisions that met an instance family outside the models' scope, by family",
            ["family"],
            registry=r,
        )
        self.decisions = Counter(
            "spotvortex_inference_decisions_total",
            "Proposed actions, by policy, action and reason code",
            ["policy", "action", "reason"],
            registry=r,
        )
        self.shadow_recommended = Counter(
            "spotvortex_shadow_action_recommended_total",
            "Actions the shadow policy would have taken, by shadow source and action",
            ["source", "action"],
            registry=r,
        )
        self.shadow_agreement = Counter(
            "spotvortex_shadow_action_agreement_total",
            "Decisions where the shadow policy agreed (same) or not (different) with the acting policy",
            ["agreement"],
            registry=r,
        )
        self.batch_size = Histogram(
            "spotvortex_inference_batch_size",
            "Pool snapshots decided in one micro-batch",
            registry=r,
            buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000),
        )
        self.batch_seconds = Histogram(
            "spotvortex_inference_batch_duration_seconds",
            "Time to decide one micro-batch (features, model calls, policy), measured around the work",
            registry=r,
            buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25),
        )
        self.model_info = Gauge(
            "spotvortex_model_info",
            "The verified models being served (value 1)",
            ["role", "version", "kind"],
            registry=r,
        )

    @classmethod
    def of(cls, registry: CollectorRegistry) -> InferenceMetrics:
        """One set per registry, so building the service twice in a process does not register twice."""
        found = _BY_REGISTRY.get(registry)
        if found is None:
            found = _BY_REGISTRY[registry] = cls(registry)
        return found

    def serving(self, models: Models) -> None:
        self.model_info.labels("risk", models.risk.version, models.risk.kind).set(1)
        if models.rl is not None:
            self.model_info.labels("rl", models.rl.version, models.rl.kind).set(1)

    def batch(self, size: int, seconds: float) -> None:
        self.batch_size.observe(size)
        self.batch_seconds.observe(seconds)

    def outcome(self, outcome: Outcome) -> None:
        action = outcome.action
        self.decisions.labels(action.policy.value, action.action.value, action.reason).inc()
        for family in outcome.unsupported_families:
            self.unsupported_family.labels(family).inc()
        if action.shadow_action is not None and outcome.shadow_agrees is not None:
            source = "rules" if action.policy.value == "rl" else "rl"
            self.shadow_recommended.labels(source, action.shadow_action.value).inc()
            self.shadow_agreement.labels("same" if outcome.shadow_agrees else "different").inc()
