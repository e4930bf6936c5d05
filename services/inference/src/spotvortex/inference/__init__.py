"""SpotVortex inference service.

Runs the risk model and the policy over pool telemetry; publishes risk and proposed actions.
This package exports ``SPEC`` once the service is implemented; ``spotvortex run inference`` reports its absence.
"""
