"""SpotVortex gates service.

Applies the safety rules to proposed actions against durable per-pool state; approves or rejects.
This package exports ``SPEC`` once the service is implemented; ``spotvortex run gates`` reports its absence.
"""
