"""Every LA, every start year: it runs, and it starts with the children DfE counts.

DfE publishes Cumbria (to 2023) and Northamptonshire (to 2021) under codes outside today's
153-LA table; their successors' counts for those years come from a split by the successors'
published shares (rccsim/inputs/geography.py). Every LA runs alone for one year from each start year
(seed 1 or 2, alternating over the LAs, so both seeds run in every year; runs spread over two
processes), and an England build starts with DfE's national count for each start year.
"""

from __future__ import annotations

import multiprocessing as mp

import numpy as np
import pandas as pd
import pytest
from rccsim.inputs.geography import SUCCESSORS, load_geography, split_whole
from rccsim.inputs.published import FIRST_YEAR, LAST_YEAR

YEARS = list(range(FIRST_YEAR, LAST_YEAR + 1))


def _one(job: tuple) -> tuple:
    """Worker: one LA alone, one year from ``year``, on ``seed``; what it started and ended with."""
    code, year, seed = job
    from rccsim.sim.simulation import Simulation

    try:
        result = Simulation(region=code, years=1, seed=seed, start_year=year).run().record
    except Exception as exc:  # reported by the test, with the LA, year and seed
        return code, year, seed, None, f"{type(exc).__name__}: {exc}"
    m = result.metrics
    return code, year, seed, (m["children_in_care_start"], m["children_in_care_end"], m["entries_per_year"]), None


@pytest.mark.parametrize("year", YEARS)
def test_every_la_runs_alone_from_every_start_year(year):
    geo = load_geography()
    jobs = [(code, year, 1 + i % 2) for i, code in enumerate(geo.las.la_code)]
    with mp.get_context("fork").Pool(2) as pool:
        results = pool.map(_one, jobs, chunksize=8)
    failed = [f"{c} {y} seed {s}: {err}" for c, y, s, _, err in results if err]
    assert not failed, failed[:5]
    published = dict(zip(geo.las.la_code, geo.las[f"cla_{year}"].astype(int)))
    for code, _, seed, (start, _end, _entries), _ in results:
        # exactly DfE's count at 31 March (children come from the published count, not a draw)
        assert start == published[code], (code, year, seed, start, published[code])
    assert len(results) == 153


@pytest.mark.parametrize("year", YEARS)
def test_england_starts_with_dfes_count(year):
    from rccsim.sim.simulation import StartState

    model = StartState(region="england", years=1, seed=1, start_year=year).template
    c = model.children
    start = int(c.in_care[: c.n].sum())
    national = pd.read_csv(_national_path(), encoding="utf-8-sig", dtype=str)
    row = national[(national.geographic_level == "National") & (national.time_period == str(year))
                   & (national.population_count == "Children looked after at 31 March each year")]
    dfe = int(row.number.iloc[0])
    assert abs(start - dfe) / dfe < 0.005, (year, start, dfe)
    assert abs(start - dfe) <= 10  # DfE rounds the national count to the nearest 10
    # and every LA that DfE counts children for has some
    per_la = np.bincount(c.la[: c.n][c.in_care[: c.n]], minlength=model.geo.n)
    counted = model.geo.las[f"cla_{year}"].to_numpy() > 0
    assert (per_la[counted] > 0).all()
    assert model.geo.las.loc[counted].shape[0] >= 152


def _national_path():
    from rccsim.base.paths import data_dir

    return data_dir() / "published" / "dfe" / "cla_number_and_rate_per_10k_children.csv"


def test_predecessors_are_split_by_their_successors_published_shares():
    geo = load_geography()
    las = geo.las.set_index("la_code")
    # Cumbria's 740 children at 31 March 2023, by Cumberland's and Westmorland and Furness's shares
    # in 2024 (482 and 246; DfE, cla_number_and_rate_per_10k_children.csv)
    assert las.loc["E06000063", "cla_2023"] + las.loc["E06000064", "cla_2023"] == 740
    assert las.loc["E06000063", "cla_2023"] == 490  # 740 x 482 / 728 = 489.95
    # Northamptonshire's 1,157 children at 31 March 2020, by North and West's shares in 2022 (525, 658)
    assert las.loc["E06000061", "cla_2020"] + las.loc["E06000062", "cla_2020"] == 1157
    assert set(SUCCESSORS) == {"E10000006", "E10000021"}
    for col in [c for c in las.columns if c.startswith(("cla_", "starts_", "ceases_"))]:
        assert las[col].notna().all(), col
    # the Isles of Scilly's suppressed count of 2020 is a few children, not none
    assert 1 <= las.loc["E06000053", "cla_2020"] <= 5


def test_split_whole_keeps_the_total():
    rng = np.random.default_rng(0)
    for _ in range(200):
        total = int(rng.integers(0, 5000))
        w = rng.random(int(rng.integers(1, 6))) + 0.01
        parts = split_whole(total, w)
        assert parts.sum() == total and (parts >= 0).all()
        assert np.all(np.abs(parts - total * w / w.sum()) < 1.0)
