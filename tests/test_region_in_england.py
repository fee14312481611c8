"""A region run inside England ("GM in england"): the England run's own simulation, reported for the
region. Its figures must be those of the region's LAs in an England run on the same seed, not an
approximation of them."""

from __future__ import annotations

import json

import pytest
from rccsim.sim.simulation import Simulation


@pytest.fixture(scope="module")
def runs():
    england = Simulation(region="england", years=1, seed=3).run()
    gm = Simulation(region="GM in england", years=1, seed=3).run()
    return england, gm


def test_its_las_are_the_england_runs_las(runs):
    england, gm = runs
    rows = gm.record.metrics["by_la"]
    assert len(rows) == 10
    for code, vals in rows.items():
        assert vals == england.record.metrics["by_la"][code], code
    # the run's stock is the sum of its LAs', and smaller than England's
    end = gm.record.metrics["children_in_care_end"]
    assert end == sum(v["children_in_care_end"] for v in rows.values())
    assert 0 < end < england.record.metrics["children_in_care_end"] / 10


def test_it_says_what_it_simulated(runs):
    _, gm = runs
    prov = json.loads(gm.to_json())
    assert prov["region"] == "GM in England"
    assert prov["las_simulated"] == 153 and len(prov["la_codes"]) == 10
    m = gm.record.metrics
    # the region's homes and carers only (England has about 3,000 homes and 40,000 households)
    assert 100 < m["children_homes_end"] < 600
    assert 1_000 < m["foster_households_end"] < 6_000
