"""The simulated cluster: scheduler, kubelet, workloads, Karpenter, ASGs and the spot market acting on it.

Controllers here run in-process against the Kubernetes API emulator's store (the same objects HTTP clients
see), on a :class:`~spotvortex.sim.world.timeline.Timeline` of due steps, so the world runs unchanged on the
wall clock for a demo and in virtual time for a 30-day evaluation.
"""
