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
    key = int(np.argmax(bg.demand))  # the largest background group
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
        other = other[(other // 100) * 100 + (other % 100) % 50 != base]
        assert (bg.demand_on(int(b[1]))[other] == bg.demand[other]).all()
    finally:
        bg.index = saved
