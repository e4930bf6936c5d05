"""SpotVortex collector service.

Watches Nodes, Pods, PDBs and NodePools and ingests market events; publishes pool telemetry.
This package exports ``SPEC`` once the service is implemented; ``spotvortex run collector`` reports its absence.
"""
