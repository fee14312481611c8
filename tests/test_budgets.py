"""LAs' placement budgets: set from the year before's spend, and an overspend changes choices only
through its channels (price weighed more, fewer carers of the LA's own); a pooled budget changes
placements through those channels and nothing else (rccsim.core.budgets)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from rccsim.base.codes import Kind, Sector
from rccsim.levers import Levers
from rccsim.levers import PooledBudgetSettings as PooledBudget
from rccsim.sim.scenario import Scenario
from rccsim.sim.simulation import Simulation

REGION = "E08000003,E08000006,E08000009"  # Manchester, Salford, Wigan
YEARS, SEED = 2, 3
OFF = {"budgets.price_weight": 0.0, "budgets.recruitment_cut": 0.0}  # budgets that never bind
# budgets half the year before's spend: every LA far over, at the cap of its pressure
TIGHT = {"budgets.budget_to_last_spend": 0.5}


def _run(parameters: dict | None = None, levers: Levers | None = None, name: str = "baseline"):
    scenario = Scenario(name=name, parameters=parameters or {}, levers=levers or Levers())
    sim = Simulation(region=REGION, years=YEARS, seed=SEED, scenario=scenario)
    return sim.model, sim.run().record


def _without(metrics: dict, *keys) -> str:
    m = dict(metrics)
    for k in keys:
        m.pop(k, None)
    return json.dumps(m, sort_keys=True)


def test_each_years_budget_is_the_year_befores_spend_and_spend_matches_the_accounts():
    model, rec = _run()
    b = model.budgets
    ratio = float(model.p.budgets.budget_to_last_spend)
    las = model.region.reported
    np.testing.assert_allclose(b.budget[1][las], ratio * b.spent[0][las])
    assert (b.budget[0][las] > 0).all()
    # the budgets' monthly samples of the spend rate come within a few per cent of the run's
    # accounts (each placement priced day by day)
    total = sum(y["cost_total_gbp"] for y in rec.by_year)
    assert b.spent[:, las].sum() == pytest.approx(total, rel=0.03)
    y = rec.by_year[1]
    assert y["members_budget_gbp"] == pytest.approx(b.budget[1][model.rcc.member_index].sum())
    assert -0.5 < y["members_overspend"] < 0.5
    for code in rec.metrics["by_la"]:
        assert "budget_overspend_mean" in rec.metrics["by_la"][code]


def test_an_overspent_la_buys_cheaper_places_and_recruits_fewer_carers_of_its_own():
    m_off, off = _run({**TIGHT, **OFF})
    m_on, on = _run(TIGHT)
    assert m_on.budgets.pressure_sum.max() > 0 and m_off.budgets.pressure_sum.max() == 0
    # the same over-budget LAs, with and without the channels: with them, price counts more when
    # ranking places, so the placements made in the run are cheaper on average
    def new_price(model):
        log = model.recorder.placements
        n = log.n
        sel = ~log.initial[:n] & np.isin(log.kind[:n], [Kind.FOSTER_LA, Kind.FOSTER_IFA, Kind.HOME_LA, Kind.HOME_IND, Kind.SUPPORTED])
        return log.price[:n][sel].mean()
    assert new_price(m_on) < new_price(m_off)

    def la_approved(rec):
        return sum(y["carers_approved"] for y in rec.by_year)
    # and the LAs approve fewer carers of their own (agencies are not cut)
    def own(model):
        c = model.recorder.counts["carers_approved"]
        return sum(int(v[Sector.LA]) for v in c.values())
    assert own(m_on) < own(m_off)
    assert la_approved(on) < la_approved(off)


def test_a_pooled_budget_changes_placements_only_through_the_budget_channels():
    pooled = Levers(pooled_budget=PooledBudget(share=1.0))
    # budgets that never bind: the pot changes no placement, only who pays
    _, base_off = _run(OFF)
    _, pool_off = _run(OFF, pooled, name="pooled")
    assert _without(pool_off.metrics, "pooled_budget") == _without(base_off.metrics, "pooled_budget")
    # binding budgets: each member acts under the pot's overspend, and placements change
    m_base, base = _run()
    m_pool, pool = _run(None, pooled, name="pooled")
    mem = m_pool.rcc.member_index
    felt = m_pool.budgets.pressure_sum[:, mem]
    assert np.ptp(felt, axis=1).max() == pytest.approx(0.0, abs=1e-12)  # the same pressure on every member
    assert np.ptp(m_base.budgets.pressure_sum[:, mem], axis=1).max() > 0  # apart, they differ
    assert _without(pool.metrics, "pooled_budget") != _without(base.metrics, "pooled_budget")


def test_a_pots_surplus_reinvested_builds_rcc_homes_and_a_deficit_builds_none():
    # budgets a fifth above the year before's spend leave the pot a surplus each year; a tenth of
    # it, at GBP 0.2m a home, builds homes that open within the run and take children
    years = 3
    levers = Levers(pooled_budget=PooledBudget(share=1.0, reinvest_share=0.1, reinvest_cost_per_home_gbp=200_000,
                                               reinvest_build_days=60))

    def run(ratio):
        scenario = Scenario(name="pooled", parameters={"budgets.budget_to_last_spend": ratio}, levers=levers)
        sim = Simulation(region=REGION, years=years, seed=SEED, scenario=scenario)
        return sim.model, sim.run().record

    model, rec = run(1.2)
    pot = rec.metrics["pooled_budget"]
    assert pot["homes_from_surplus"] > 0
    assert sum(pot["reinvested_gbp_by_year"]) == pytest.approx(pot["homes_from_surplus"] * 200_000)
    assert rec.metrics["lever_costs_gbp"]["reinvested_capital"] == pytest.approx(sum(pot["reinvested_gbp_by_year"]))
    lever = next(lv for lv in model.levers if lv.key == "pooled_budget")
    # at most a tenth of each year's surplus is spent, and the fund never exceeds the pot's balance
    assert sum(pot["reinvested_gbp_by_year"]) <= 0.1 * np.maximum(lever.surplus, 0).sum() + 1e-6
    assert 0 <= lever.fund <= max(lever.balance, 0.0) + 1e-6
    assert rec.metrics["placements_in_rcc_homes"] > 0
    assert rec.metrics["lever_costs_gbp"]["rcc_homes_running"] > 0
    # the pot pays every member's spend and the levers' costs, and takes back the recharges for
    # its beds: what it spent is the run's whole cost (every LA of the run is a member), each
    # pound once
    assert sum(pot["rcc_spend_gbp_by_year"]) == pytest.approx(rec.metrics["cost_total_gbp"], rel=1e-9)
    # the surplus the run saw at each year's end is the pot's own account of that year, but for
    # the monthly sampling of spend
    flows = np.diff([0.0] + pot["balance_gbp_by_year"])
    for k in range(years - 1):
        assert lever.surplus[k] == pytest.approx(flows[k], abs=0.02 * pot["contributions_gbp_by_year"][k])
    _, tight = run(0.5)
    assert tight.metrics["pooled_budget"]["homes_from_surplus"] == 0
    assert tight.metrics["placements_in_rcc_homes"] == 0


def test_a_capital_programme_and_a_reinvesting_pot_build_apart_and_their_homes_are_paid_once():
    from rccsim.levers import CapitalHomesSettings as CapitalHomes
    from rccsim.levers.rcc_beds import capital_home_running

    levers = Levers(capital_homes=CapitalHomes(capital_gbp=2_500_000),
                    pooled_budget=PooledBudget(share=1.0, reinvest_share=0.1, reinvest_cost_per_home_gbp=200_000,
                                               reinvest_build_days=60))
    scenario = Scenario(name="both", parameters={"budgets.budget_to_last_spend": 1.2}, levers=levers)
    sim = Simulation(region=REGION, years=3, seed=SEED, scenario=scenario)
    rec = sim.run().record
    model = sim.model
    assert rec.metrics["pooled_budget"]["homes_from_surplus"] > 0
    running = capital_home_running(model)
    assert rec.metrics["lever_costs_gbp"]["rcc_homes_running"] == pytest.approx(running.sum())
    assert sum(y["cost_total_gbp"] for y in rec.by_year) == pytest.approx(rec.metrics["cost_total_gbp"])
