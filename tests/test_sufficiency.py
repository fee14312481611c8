"""The regional sufficiency statement (issue 22, item 7): need against supply in a run's LAs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from rccsim.base.codes import Kind
from rccsim.cli import main
from rccsim.outputs.sufficiency import statement
from rccsim.sim.simulation import Simulation

REGION = "E08000003,E08000006,E08000009"  # Manchester, Salford, Wigan


@pytest.fixture(scope="module")
def run():
    sim = Simulation(region=REGION, years=2, seed=3)
    record = sim.run().record
    return sim.model, record


def test_the_statement_adds_up_and_agrees_with_the_run(run):
    model, record = run
    table = statement(model)
    assert list(table.date.unique()) == ["2025-03-31", "2026-03-31"]
    kinds = table[table.kind != "unregistered"]
    assert (kinds.children == kinds.placed_in_area + kinds.placed_outside_area).all()
    assert (kinds.filled_by_area + kinds.filled_by_others <= kinds.places + 1).all()
    assert (kinds.over_20_miles <= kinds.children).all()
    end = table[table.date == "2026-03-31"]
    homes = end[end.kind.isin(["home_la", "home_ind"])]
    # the children's homes' places in the area, as the run counts them at the end
    assert homes.places.sum() == record.by_year[-1]["children_homes_places_end"]
    # every child of the area in these kinds or unregistered at the end, as the child table has them
    c = model.children
    mine = c.in_care[: c.n] & model.world.reported[c.la[: c.n]]
    wanted = [Kind.FOSTER_LA, Kind.FOSTER_IFA, Kind.HOME_LA, Kind.HOME_IND, Kind.SUPPORTED, Kind.UNREGISTERED]
    assert end.children.sum() == int((mine & np.isin(c.kind[: c.n], wanted)).sum())
    # independent homes: the area's children placed outside it are where the shortfall is
    ind = end[end.kind == "home_ind"]
    assert ind.placed_outside_area.sum() > 0
    assert (ind.shortfall <= ind.placed_outside_area).all()


def test_small_counts_are_withheld_when_asked(run):
    model, _ = run
    shown, hidden = statement(model), statement(model, small_counts="hide")
    small = (shown.children > 0) & (shown.children < 5)
    assert small.any()
    assert hidden.children[small].isna().all()
    assert (hidden.children[~small] == shown.children[~small]).all()
    assert hidden.places.equals(shown.places)  # places are not children
    # nothing hidden can be worked out from what is shown: children = inside + outside
    rows = hidden[hidden.kind != "unregistered"]
    one_of = rows.placed_in_area.isna() | rows.placed_outside_area.isna()
    assert (rows.placed_in_area.isna() == one_of).all() and (rows.placed_outside_area.isna() == one_of).all()
    assert rows.shortfall[one_of].isna().all()
    small_filled = (shown.filled_by_area > 0) & (shown.filled_by_area < 5)
    assert hidden.filled_by_area[small_filled].isna().all()


def test_run_writes_the_statement_and_refuses_a_folder(tmp_path, capsys):
    out = tmp_path / "sufficiency.csv"
    code = main(["run", "--region", "E08000010", "--years", "1", "--quiet", "--json", "--sufficiency", str(out)])
    assert code == 0
    table = pd.read_csv(out)
    assert set(table.kind) == {"foster_la", "foster_ifa", "home_la", "home_ind", "supported", "unregistered"}
    assert table.area.unique().tolist() == ["E08000010"]
    code = main(["run", "--region", "E08000010", "--years", "1", "--quiet", "--sufficiency", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "--sufficiency" in err and "is a folder" in err and len(err.strip().splitlines()) == 1
