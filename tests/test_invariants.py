"""Invariants of any run: children are conserved, no place is over capacity, books balance."""

from __future__ import annotations

import numpy as np

from rccsim.base.codes import GROUP_OF_KIND


def test_children_are_conserved(small_run):
    model, result, _ = small_run
    m = result.metrics
    entries = sum(y["entries_per_year"] for y in result.by_year)
    exits = sum(y["exits_per_year"] for y in result.by_year)
    assert m["children_in_care_start"] > 0
    assert m["children_in_care_end"] + exits == m["children_in_care_start"] + entries
    # and the same from the child table directly
    c = model.children
    in_care = int(c.in_care[: c.n].sum())
    assert in_care == m["children_in_care_end"]


def test_stock_follows_each_year(small_run):
    _, result, _ = small_run
    years = result.by_year
    stock = result.metrics["children_in_care_start"]
    for y in years:
        stock = stock + y["entries_per_year"] - y["exits_per_year"]
        assert y["children_in_care_end"] == stock


def test_no_place_is_over_capacity_after_any_tick(small_run):
    model, _, audit = small_run
    assert audit.checks == len(model.ticks)  # the start, then after each tick
    assert audit.max_over <= 0, f"a unit held {audit.max_over} more children than its places"
    assert audit.negative == 0


def test_occupancy_matches_children_placed(small_run):
    _, _, audit = small_run
    assert audit.mismatch == 0


def test_every_child_in_care_has_exactly_one_open_placement(small_run):
    model, _, _ = small_run
    c, log = model.children, model.recorder.placements
    open_rows = log.end[: log.n] == 2**31 - 1
    per_child = np.bincount(log.child[: log.n][open_rows], minlength=c.n)
    assert np.array_equal(per_child > 0, c.in_care[: c.n])
    assert per_child.max() == 1


def test_placements_do_not_overlap(small_run):
    model, _, _ = small_run
    log = model.recorder.placements
    n = log.n
    order = np.lexsort((log.start[:n], log.child[:n]))
    child, start, end = log.child[:n][order], log.start[:n][order], log.end[:n][order]
    same = child[1:] == child[:-1]
    assert (end[:-1][same] <= start[1:][same]).all()
    assert (log.end[:n] >= log.start[:n]).all()


def test_every_move_has_a_reason_code(small_run):
    model, _, _ = small_run
    from rccsim.base.codes import REASON_CODES

    log = model.recorder.placements
    ended = log.end[: log.n] < 2**31 - 1
    reasons = log.end_reason[: log.n][ended]
    assert ((reasons == -2) | ((reasons >= 0) & (reasons < len(REASON_CODES)))).all()


def test_costs_are_positive_and_add_up(small_run):
    _, result, _ = small_run
    years = result.by_year
    assert all(y["cost_total_gbp"] > 0 for y in years)
    assert abs(sum(y["cost_total_gbp"] for y in years) - result.metrics["cost_total_gbp"]) < 1.0
    for y in years:
        assert abs(sum(y["spend_by_kind_gbp"].values()) - y["cost_total_gbp"]) < 1.0


def test_shares_are_fractions(small_run):
    _, result, _ = small_run
    for y in result.by_year:
        for k, v in y.items():
            if k.startswith("share_"):
                assert 0.0 <= v <= 1.0, (k, v)
        groups = y["share_fostering_end"] + y["share_residential_end"] + y["share_supported_end"]
        groups += y["share_with_parents_end"] + y["share_other_end"]
        assert abs(groups - 1.0) < 1e-9


def test_a_finished_run_can_be_freed():
    # Mesa keeps agent-id counters per model in a class-level dict; a sweep's workers once grew
    # by 16 MB a run because every finished model stayed reachable from there
    import gc
    import weakref

    from rccsim.sim.simulation import Simulation

    sim = Simulation(region="E08000009", years=1, seed=11)
    sim.run()
    ref = weakref.ref(sim.model)
    del sim
    gc.collect()
    assert ref() is None


def test_first_placements_are_the_entrants_first_placements(small_run):
    """``first_placements_<type>`` counts each entrant of the year once, by the kind of its first
    placement: recounted here from the placement log and the children's entry days."""
    model, result, _ = small_run
    log = model.recorder.placements
    m = log.n
    first = log.first[:m] & ~log.initial[:m]
    for k, y in enumerate(result.by_year):
        y0, y1 = int(model.year_bounds[k]), int(model.year_bounds[k + 1])
        rows = first & (log.start[:m] >= y0) & (log.start[:m] < y1)
        # one first placement per child who entered in the year and was placed on entering
        assert len(np.unique(log.child[:m][rows])) == int(rows.sum()) <= y["entries_per_year"]
        groups = np.array([GROUP_OF_KIND[int(k_)] for k_ in log.kind[:m][rows]])
        for g in ("fostering", "residential", "supported"):
            assert y[f"first_placements_{g}"] == int((groups == g).sum())
        assert y["first_placements_fostering"] > 0
    assert sum(y["first_placements_fostering"] for y in result.by_year) < sum(y["entries_per_year"] for y in result.by_year)
