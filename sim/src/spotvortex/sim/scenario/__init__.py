"""Scenarios: a cluster, its workloads and its market as one small YAML file (see docs/simulation.md)."""

from .loader import ScenarioError, load_scenario, scenario_names
from .schema import Scenario

__all__ = ["Scenario", "ScenarioError", "load_scenario", "scenario_names"]
