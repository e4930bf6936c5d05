"""Karpenter, simulated: NodePools, provisioning with spot fallback, interruption handling, consolidation."""
