"""The background of a regional run follows the England index (rccsim/core/background.py)."""

from __future__ import annotations

import numpy as np
import pytest
from rccsim.base.paths import data_dir
from rccsim.core.background import INDEX_FILE, load_index
from rccsim.inputs.params import ParamSet


def test_the_england_index_was_written_with_the_installed_parameters():
    path = data_dir() / "derived" / INDEX_FILE
    line = next(ln for ln in path.read_text().splitlines() if ln.startswith("# parameter_hash:"))
    written = line.split(":", 1)[1].strip()
    assert written == ParamSet.defaults().digest(), (
        "the installed parameters changed since the England index was written: run "
        "python experiments/scripts/background_index.py")


def test_the_index_covers_the_default_start_and_begins_at_one():
    idx = load_index(2024)
    assert idx is not None and len(idx) == 11
    assert np.allclose(idx[0], 1.0)
    # it moves: an England baseline's demand for independent places does not stay level
    assert np.abs(idx[-1] - 1.0).max() > 0.01


@pytest.fixture(scope="module")
def gm():
    from rccsim.sim.simulation import Simulation

    return Simulation(region="GM", years=2, seed=3).model


def test_background_demand_follows_the_index(gm):
    bg = gm.background
    assert bg.demand.sum() > 0
    outside = np.arange(len(bg.demand)) % 100 < 50  # the run's own LAs' groups follow an index of their own
    key = int(np.argmax(np.where(outside, bg.demand, 0)))  # the largest background group outside
    index = np.ones((3, len(bg.demand)))
    base = (key // 100) * 100 + (key % 100) % 50
    index[1, base] = 1.5
    index[2, base] = 2.0
    saved = bg.index
    try:
        bg.index = index
        b = gm.year_bounds
        assert bg.demand_on(0)[key] == bg.demand[key]
        assert bg.demand_on(int(b[1]))[key] == round(bg.demand[key] * 1.5)
        mid = int((b[1] + b[2]) // 2)
        assert bg.demand[key] * 1.5 < bg.demand_on(mid)[key] < bg.demand[key] * 2.0
        assert bg.demand_on(int(b[2]) + 400)[key] == round(bg.demand[key] * 2.0)  # past the end: held
        other = np.flatnonzero(bg.demand > 0)
        other = other[((other // 100) * 100 + (other % 100) % 50 != base) & (other % 100 < 50)]
        assert (bg.demand_on(int(b[1]))[other] == bg.demand[other]).all()
    finally:
        bg.index = saved


def test_the_derived_background_files_were_written_with_the_installed_parameters():
    from rccsim.core.background import OWN_INDEX_FILE, START_FILE

    for name in (OWN_INDEX_FILE, START_FILE):
        line = next(ln for ln in (data_dir() / "derived" / name).read_text().splitlines()
                    if ln.startswith("# parameter_hash:"))
        assert line.split(":", 1)[1].strip() == ParamSet.defaults().digest(), (
            f"{name} is stale: run python experiments/scripts/background_index.py")


def test_a_named_region_follows_its_own_index_and_a_list_of_las_does_not(gm):
    """Other LAs' demand for the run's own places is the England runs' count of their children
    there, but no more than the England runs' share of the places the run has; groups outside the
    run follow their region's index."""
    from rccsim.core.background import load_own_index

    bg = gm.background
    assert bg.own_index is not None and bg.own_index.shape == (11, 2, 9)
    assert load_own_index(2024, "E08000003") is None
    own = np.arange(len(bg.demand)) % 100 >= 50
    key = int(np.argmax(np.where(own, bg.demand, 0)))  # an own group
    assert bg.demand[key] > 0
    u = gm.units
    ids = bg._eligible()
    ids = ids[bg.group(ids) == key]
    avail = int((u.places[ids] - u.unavailable[ids]).sum())
    saved = bg.own_index
    try:
        bg.own_index = np.full((3, 2, 9), 0.25)
        bg.own_index[:, 0, key // 100] = 10_000.0  # many children: the share of places binds
        bg.own_index[1, 1, key // 100] = 0.5
        b = gm.year_bounds
        assert bg.demand_on(int(b[1]))[key] == round(0.5 * avail)
        assert bg.demand_on(int(b[2]))[key] == round(0.25 * avail)
        bg.own_index[2, 0, key // 100] = 3.0  # few children: the count binds
        assert bg.demand_on(int(b[2]))[key] == 3
        other = key - 50  # the same unit type, need level and region outside the run: the region's index
        assert bg.demand_on(int(b[1]))[other] == round(bg.demand[other] * bg.index[1, other])
    finally:
        bg.own_index = saved


def test_outside_the_run_the_providers_places_follow_the_england_runs():
    """In a regional run the rest of England's homes and supported accommodation are replayed from
    the England runs: each group is kept within a home of its places there, the entry rule opens
    nothing outside the run's LAs, and the run's own LAs keep the rules."""
    from rccsim.core.providers import replayed
    from rccsim.sim.simulation import Simulation

    m = Simulation(region="GM", years=3, seed=2).model
    bg = m.background
    assert replayed(m)
    saved = bg.supply_index.copy()
    groups = np.flatnonzero((bg.supply0 > 40) & (np.arange(len(bg.supply0)) % 100 < 50))
    # a made-up path: these groups grow by half in year 1 and fall back to 80% in year 2
    bg.supply_index[:] = 1.0
    bg.supply_index[1, groups] = 1.5
    bg.supply_index[2:, groups] = 0.8
    m.run()
    got = bg.supply_by_group()
    want = bg.supply_on(m.horizon - 1)
    assert np.allclose(want[groups], 0.8 * bg.supply0[groups])
    # within a home's places (up to 6) of the path, up to the last quarter's closures and openings
    assert np.abs(got[groups] - want[groups]).max() <= 8
    bg.supply_index = saved
    england = Simulation(region="england", years=1, seed=2).model
    assert not replayed(england)


def test_carers_fostering_background_children_leave_as_carers_with_a_child_do():
    """A household with another LA's child placed (background) is a household with a child: it
    leaves at the lower rate (in a regional run, agency carers far from the region used to leave as
    if empty, and the rest of England's agency fostering shrank fourfold in five years)."""
    from rccsim.base.codes import Sector, UnitType
    from rccsim.core.carers import _leave
    from rccsim.sim.simulation import Simulation

    m = Simulation(region="E08000009", years=1, seed=1).model
    u = m.units
    n = u.n
    hh = np.flatnonzero(u.open[:n] & (u.utype[:n] == UnitType.FOSTER) & (u.sector[:n] != Sector.LA)
                        & ~u.kinship[:n] & ~m.world.simulated[np.maximum(u.la[:n], 0)])
    with_bg = hh[(u.bg_occupied[hh] > 0) & (u.occupied[hh] == 0)]
    empty = hh[(u.bg_occupied[hh] == 0) & (u.occupied[hh] == 0)]
    assert len(with_bg) > 1000 and len(empty) > 1000
    for _ in range(12):
        _leave(m, 0)
    left_bg = 1 - u.open[with_bg].mean()
    left_empty = 1 - u.open[empty].mean()
    # a year at 0.3 a year empty and 0.15 of that with a child (more after breakdowns): about 26%
    # and 4-8%
    assert left_bg < 0.12 and left_empty > 0.2


def test_the_background_fills_need_levels_as_englands_start_does(gm):
    """Homes for the highest needs start full in England, homes for standard needs do not: the
    background of a regional run is seeded so, and pays what children of each level paid."""
    from rccsim.base.codes import Sector, UnitType
    from rccsim.core.background import load_start_occupancy

    u = gm.units
    n = u.n
    start = load_start_occupancy(2024)
    outside = ~gm.world.simulated[np.maximum(u.la[:n], 0)]
    occ = []
    for need in range(3):
        sel = u.open[:n] & (u.utype[:n] == UnitType.HOME) & (u.sector[:n] != Sector.LA) & outside & (u.max_need[:n] == need)
        sel &= u.regional[:n] == 0
        avail = (u.places[:n][sel] - u.unavailable[:n][sel]).sum()
        occ.append((u.occupied[:n][sel] + u.bg_occupied[:n][sel]).sum() / avail)
        assert abs(occ[-1] - start[0, 0, UnitType.HOME * 3 + need]) < 0.05
    assert occ[2] > occ[0] + 0.2
    homes = np.flatnonzero(u.open[:n] & (u.utype[:n] == UnitType.HOME) & (u.sector[:n] != Sector.LA))
    ratio = gm.background.price_over_list(homes, 0)
    assert ratio[u.max_need[homes] == 2].min() > ratio[u.max_need[homes] == 1].max()
