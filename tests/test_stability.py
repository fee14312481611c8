"""Placement moves nearer home (``stability.rematch_rate``): a mechanism, checked on a small world.

A placement in the market more than ``stability.rematch_miles`` from home is planned to end, before
it settles, when the LA can find a nearer one. Against the same seed without it, children should
end up nearer home and move more; the moves are recorded as care-plan changes (CARPL) and, unlike
other planned moves out of a children's home, do not lower the child's assessed need.
"""

from __future__ import annotations

import pytest
from rccsim.base.codes import REASON
from rccsim.sim.scenario import Scenario
from rccsim.sim.simulation import Simulation

REGION = "E08000003,E08000006,E08000009"  # Manchester, Salford, Wigan
YEARS, SEED = 2, 5


def _run(rate: float):
    # GM's LAs place few children over 20 miles away: in this small world, "far" is over 5 miles
    scenario = Scenario(name=f"rematch_{rate}", parameters={"stability.rematch_rate": rate, "stability.rematch_miles": 5})
    sim = Simulation(region=REGION, years=YEARS, seed=SEED, scenario=scenario)
    return sim.model, sim.run().record


@pytest.fixture(scope="module")
def pair():
    return _run(0.0), _run(3.0)


def test_moving_children_nearer_home_shortens_distances_and_adds_moves(pair):
    (_, off), (_, on) = pair
    m0, m1 = off.metrics, on.metrics
    # (measured: 5.06 -> 4.79 miles; moves per child-year 0.41 -> 0.83; 3+ placements 5.9% -> 16.5%)
    assert m1["mean_distance_miles"] < m0["mean_distance_miles"], (m0["mean_distance_miles"], m1["mean_distance_miles"])
    assert m1["moves_per_child_year"] > m0["moves_per_child_year"] + 0.02
    assert m1["share_3plus_placements"] > m0["share_3plus_placements"]


def test_the_moves_are_care_plan_changes_of_far_placements(pair):
    (model0, _), (model1, _) = pair
    logs = []
    for model in (model0, model1):
        log = model.recorder.placements
        n = log.n
        ended = (log.end_reason[:n] >= 0)
        far = log.distance[:n] > model.p.stability.rematch_miles
        carpl = log.end_reason[:n] == REASON["CARPL"]
        logs.append(int((ended & far & carpl).sum()))
    # many more far placements end as planned moves when the LA moves children nearer home
    assert logs[1] > 2 * max(logs[0], 1), logs


def test_no_rate_no_moves_nearer_home(pair):
    (model0, _), (model1, _) = pair
    c0, c1 = model0.children, model1.children
    assert not c0.end_rematch[: c0.n].any()
    assert c1.end_rematch[: c1.n].any()
