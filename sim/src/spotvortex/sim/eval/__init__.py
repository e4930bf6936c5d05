"""``spotvortex eval``: the north star computed in virtual time, with the services' own cores in the loop."""
