"""SpotVortex drainer service.

Executes drain jobs: cordon, PDB-aware eviction, rollback; publishes per-node results.
This package exports ``SPEC`` once the service is implemented; ``spotvortex run drainer`` reports its absence.
"""
