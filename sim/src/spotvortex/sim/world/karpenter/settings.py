"""Karpenter simulator settings, with the defaults and where they come from (docs/simulation.md)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KarpenterSettings:
    launch_seconds: float = 60.0
    """Launch to Ready node; EKS with AL2023 and Karpenter commonly takes 45-90 s."""
    batch_idle_seconds: float = 1.0
    """Karpenter's ``BATCH_IDLE_DURATION`` default: pending pods are batched for 1 s."""
    ice_ttl_seconds: float = 180.0
    """``UnavailableOfferingsTTL`` (3 min) in ``pkg/cache/cache.go``."""
    interruption_handling: bool = True
    """An interruption queue is configured: notices taint and drain the node at once."""
    consolidation: bool = True
    """Honour each NodePool's ``consolidationPolicy``; ``False`` disables voluntary disruption entirely."""
    consolidation_interval_seconds: float = 60.0
    """How often disruption candidates are evaluated (Karpenter polls every 10 s; one decision per pass)."""
    eviction_retry_seconds: float = 5.0
    """A PDB-refused eviction is retried after this long, as the termination controller requeues."""
