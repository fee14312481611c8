"""rccsim: an agent-based simulation of the regional market for children's care placements in England.

The common task is one line::

    from rccsim import Simulation
    result = Simulation(region="GM", years=3, seed=1).run()
    result.metrics          # one row per headline metric
    result.by_year()        # one row per run year
    result.by_la()          # one row per LA

and a comparison of scenarios against the baseline on common random numbers::

    from rccsim import compare
    compare(region="GM", scenarios=["capital_homes"], seeds=5, years=3)

Layers, each importing only those below it: ``cli`` -> ``report`` -> ``calibrate`` -> ``studies``
-> ``io`` -> ``sim`` (the front end) -> ``outputs`` -> ``levers`` -> ``core`` -> ``inputs`` ->
``base``. Imports here are deferred, so that ``import rccsim`` and ``rccsim --help`` start fast.
"""

from __future__ import annotations

__all__ = ["Simulation", "Result", "compare", "load_scenario", "InputError", "ParamSet"]

_LAZY = {
    "Simulation": "rccsim.sim.simulation",
    "Result": "rccsim.sim.simulation",
    "compare": "rccsim.studies.api",
    "load_scenario": "rccsim.sim.scenario",
    "Scenario": "rccsim.sim.scenario",
    "InputError": "rccsim.base.errors",
    "ParamSet": "rccsim.inputs.params",
}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'rccsim' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


def __dir__():
    return sorted(__all__)
