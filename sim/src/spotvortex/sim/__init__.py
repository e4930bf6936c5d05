"""Simulated cluster and market: the world SpotVortex runs against locally, in tests and in evaluation."""
