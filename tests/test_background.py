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
    from rccsim.core.background import load_own_index

    bg = gm.background
    assert bg.own_index is not None and bg.own_index.shape == (11, 9)
    assert load_own_index(2024, "E08000003") is None
    key = int(np.argmax(np.where(np.arange(len(bg.demand)) % 100 >= 50, bg.demand, 0)))  # an own group
    assert key % 100 >= 50 and bg.demand[key] > 0
    saved = bg.own_index
    try:
        bg.own_index = np.ones((3, 9))
        bg.own_index[1, key // 100] = 2.0
        assert bg.demand_on(int(gm.year_bounds[1]))[key] == 2 * bg.demand[key]
        other = key - 50  # the same unit type, need level and region outside the run: the region's index
        assert bg.demand_on(int(gm.year_bounds[1]))[other] == round(bg.demand[other] * bg.index[1, other])
    finally:
        bg.own_index = saved


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
