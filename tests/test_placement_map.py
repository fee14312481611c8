"""Where children are placed: what the buyers' trade-off between distance and a match does."""

from __future__ import annotations

from rccsim.inputs.params import ParamSet
from rccsim.sim.simulation import Simulation


def _home_share_over_20(factor: float) -> float:
    params = ParamSet.defaults().updated({"market.home_distance_factor": factor})
    r = Simulation(region="GM", years=1, seed=1, start_year=2023, params=params).run()
    return r.record.metrics["by_placement_type"]["residential"]["share_over_20_miles"]


def test_children_go_further_for_a_home_when_distance_weighs_less():
    """market.home_distance_factor only reweighs distance in the buyers' ranking of children's
    homes; the share of children in homes placed over 20 miles from home follows from where
    homes are and who else wants them."""
    near, far = _home_share_over_20(1.0), _home_share_over_20(0.1)
    assert far > near + 0.02, (near, far)
