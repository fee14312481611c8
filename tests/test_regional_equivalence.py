"""A regional run against an all-England run: the region's children and homes after ten years.

The background (rccsim/core/background.py) stands in for the rest of England in a regional run.
These tests state the tolerances it meets for GM today, on one seed, and the one it does not yet
meet (children in unregistered settings: background children do not compete for places in the
market's rounds). ``python experiments/scripts/background_check.py`` prints the same figures over
several seeds. Slow: an England decade takes about half a minute.
"""

from __future__ import annotations

import numpy as np
import pytest
from rccsim.base.codes import Kind, UnitType
from rccsim.sim.simulation import Simulation

pytestmark = pytest.mark.slow


def _figures(region: str) -> dict:
    m = Simulation(region=region, years=10, seed=1).model
    gm = np.zeros(m.geo.n, dtype=bool)
    gm[m.geo.resolve_region("GM").la_index] = True
    m.run()
    c, u, log = m.children, m.units, m.recorder.placements
    ids = np.flatnonzero(c.in_care[: c.n] & gm[c.la[: c.n]])
    placed = ids[c.unit[ids] >= 0]
    kind = c.kind[ids]
    homes = u.open[: u.n] & (u.utype[: u.n] == UnitType.HOME) & gm[np.maximum(u.la[: u.n], 0)]
    k = log.n
    child = log.child[:k].astype(np.int64)
    unreg = gm[c.la[child]] & (log.kind[:k] == Kind.UNREGISTERED)
    start, end = log.start[:k].astype(np.int64), np.minimum(log.end[:k].astype(np.int64), m.horizon)
    counts = []
    for y0, y1 in zip(m.year_bounds[:-1], m.year_bounds[1:]):
        days = np.maximum(np.minimum(end, y1) - np.maximum(start, y0), 0)
        sel = unreg & (days > 0)
        counts.append(int((np.bincount(child[sel], days[sel], minlength=c.n) >= 28).sum()))
    return {
        "residential": float(np.isin(kind, (Kind.HOME_LA, Kind.HOME_IND)).mean()),
        "over_20_miles": float((c.distance[placed] > 20.0).mean()),
        "homes_in_gm": int(homes.sum()),
        "unregistered_4w": float(np.mean(counts)),
    }


@pytest.fixture(scope="module")
def both():
    return _figures("GM"), _figures("england")


def test_a_gm_run_places_gms_children_as_an_england_run_does(both):
    gm, england = both
    # GM run / England run, seed 1: residential 0.079 / 0.096, over 20 miles 0.071 / 0.061
    assert abs(gm["residential"] - england["residential"]) < 0.03
    assert abs(gm["over_20_miles"] - england["over_20_miles"]) < 0.03
    # homes in GM: 279 / 385 (both grow from 234: before the background was corrected, 225)
    assert gm["homes_in_gm"] > 0.65 * england["homes_in_gm"]


@pytest.mark.xfail(strict=True, reason="background children do not compete in the market's rounds: "
                   "a GM run has about a seventh of the England run's children in unregistered settings")
def test_a_gm_run_has_gms_shortage(both):
    gm, england = both
    assert gm["unregistered_4w"] > 0.7 * england["unregistered_4w"]
