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
    # GM's LAs place few children over 20 miles away: in this small world, "far" is over 5 miles.
    # Budgets that bind are off: moves nearer home change what the LAs spend, and so how much
    # price weighs in their next searches (rccsim.core.budgets), a second effect on distance that
    # would blur this one's in three LAs over two years
    scenario = Scenario(name=f"rematch_{rate}", parameters={"stability.rematch_rate": rate, "stability.rematch_miles": 5,
                                                            "budgets.price_weight": 0.0, "budgets.recruitment_cut": 0.0})
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


def _first_foster_placements(share: float):
    """Placements that were a child's first in a period of care begun in the run, with LA or
    agency foster carers, and how many days each lasted (ended ones), in a small world."""
    import numpy as np

    from rccsim.base.codes import Kind

    scenario = Scenario(name=f"bridging_{share}", parameters={"stability.bridging_share": share})
    sim = Simulation(region=REGION, years=1, seed=SEED, scenario=scenario)
    sim.run()
    log = sim.model.recorder.placements
    n = log.n
    sel = log.first[:n] & ~log.initial[:n] & np.isin(log.kind[:n], (Kind.FOSTER_LA, Kind.FOSTER_IFA))
    ended = sel & (log.end[:n] < sim.model.horizon)
    days = (log.end[:n] - log.start[:n])[ended]
    planned = log.end_reason[:n][ended] == REASON["CARPL"]
    return int(sel.sum()), days, planned


def test_short_term_first_placements_end_in_planned_moves_within_weeks():
    """stability.bridging_share: that share of children coming into care with foster carers are
    in a short-term placement (mean stability.bridging_days) that ends in a planned move; without
    it, first foster placements rarely end within a month."""
    n0, days0, _ = _first_foster_placements(0.0)
    n1, days1, planned1 = _first_foster_placements(0.55)
    short0, short1 = (days0 <= 31).sum() / n0, (days1 <= 31).sum() / n1
    assert short1 > short0 + 0.3, (short0, short1)
    assert planned1[days1 <= 31].mean() > 0.8  # mostly planned moves (a few breakdowns and exits)


def test_a_move_never_goes_back_to_the_unit_just_left():
    """A placement change goes to another carer or home (children.last_unit): consecutive
    placements of a child in one period of care never share a unit."""
    import numpy as np

    sim = Simulation(region=REGION, years=YEARS, seed=SEED)
    sim.run()
    log = sim.model.recorder.placements
    n = log.n
    child, start, unit, first = log.child[:n], log.start[:n], log.unit[:n], log.first[:n]
    order = np.lexsort((start, child))
    child, unit, first = child[order], unit[order], first[order]
    move = (child[1:] == child[:-1]) & ~first[1:]  # the next placement in the same period of care
    again = move & (unit[1:] == unit[:-1]) & (unit[1:] >= 0)
    assert move.sum() > 1000 and not again.any()


def test_moving_on_starts_at_the_sixteenth_birthday_and_does_not_settle():
    """stability.move_on_rate_16: with no other way for a placement to end, a foster or residential
    placement ends in a planned move only after the child's 16th birthday, whatever the age it
    began at; a child placed at 14-15 moves on too (the hazard used to be drawn at the age the
    placement began, so such a child never moved on)."""
    import numpy as np

    from rccsim.base.codes import Kind

    zero10 = [0.0] * 10
    scenario = Scenario(name="move_on_only", parameters={
        "stability.unplanned_rate": zero10, "stability.planned_rate": zero10, "stability.rematch_rate": 0.0,
        "stability.bridging_share": 0.0, "stability.move_on_rate_16": 2.0})
    sim = Simulation(region=REGION, years=2, seed=SEED, scenario=scenario)
    sim.run()
    model = sim.model
    log = model.recorder.placements
    n = log.n
    kinds = (Kind.FOSTER_LA, Kind.FOSTER_IFA, Kind.HOME_LA, Kind.HOME_IND)
    ended = np.isin(log.kind[:n], kinds) & (log.end[:n] < model.horizon) & (log.end_reason[:n] == REASON["CARPL"])
    dob = model.children.dob[log.child[:n]]
    age_end = (log.end[:n][ended] - dob[ended]) / 365.25
    age_start = (log.start[:n][ended] - dob[ended]) / 365.25
    teen = age_start >= 11  # younger children also move on to adoption
    assert teen.sum() > 100, teen.sum()
    assert (age_end[teen] >= 16.0 - 7 / 365.25).all(), np.sort(age_end[teen])[:5]  # ends fall on a weekly tick
    # the age when the placement's end was drawn: when it began, or the start date for the start state
    age_drawn = (np.maximum(log.start[:n][ended], 0) - dob[ended]) / 365.25
    # drawn before 16, moved on after: none when the hazard was the one at the age it was drawn
    early = teen & (age_drawn < 16.0)
    assert early.sum() > 50, early.sum()
    # no settling: at 2 a year, half move on within about 0.35 years of the 16th birthday (a hazard
    # settled to a quarter would take the median towards a year)
    assert np.median(age_end[early] - 16.0) < 0.5, np.median(age_end[early] - 16.0)
