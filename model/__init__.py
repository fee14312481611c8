"""rccsim: an agent-based simulation of the regional market for children's care placements in England.

The common task is one line::

    from model import Simulation
    result = Simulation(region="GM", years=10, seed=1).run()
    print(result.summary_table())

Data flow: published data -> world builder (:mod:`model.world`) -> engine (:mod:`model.engine`)
-> placement market (:mod:`model.market`) -> recorder (:mod:`model.recorder`) -> metrics and
results (:mod:`model.metrics`, :mod:`model.results`).
"""

from .engine import CareMarket, Simulation
from .errors import InputError
from .params import ParamSet, Scenario, load_scenario
from .results import RunResult

__all__ = ["CareMarket", "Simulation", "InputError", "ParamSet", "Scenario", "load_scenario", "RunResult"]
