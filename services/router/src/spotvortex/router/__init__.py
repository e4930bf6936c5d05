"""SpotVortex router service.

Turns approved target shares into provisioner steering and drain plans; holds the cluster lease.
This package exports ``SPEC`` once the service is implemented; ``spotvortex run router`` reports its absence.
"""
