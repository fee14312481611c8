"""rccsim: an agent-based simulation of the regional market for children's care placements in England.

The common task is one line::

    from model import Simulation
    result = Simulation(region="GM", years=10, seed=1).run()
    print(result.summary_table())

Data flow: published data -> world builder (:mod:`rccsim.core.world`) -> engine (:mod:`rccsim.core.engine`)
-> placement market (:mod:`rccsim.core.market`) -> recorder (:mod:`rccsim.core.recorder`) -> metrics and
results (:mod:`rccsim.outputs.metrics`, :mod:`rccsim.outputs.record`).
"""

from rccsim.base.errors import InputError
from rccsim.core.engine import CareMarket
from rccsim.inputs.params import ParamSet
from rccsim.outputs.record import RunResult
from rccsim.sim.scenario import Scenario, load_scenario
from rccsim.sim.simulation import Simulation

__all__ = ["CareMarket", "Simulation", "InputError", "ParamSet", "Scenario", "load_scenario", "RunResult"]
