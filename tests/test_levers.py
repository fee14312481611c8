"""RCC levers: each acts through behaviour, costs what it costs, and does nothing at zero size.

Small controlled worlds (three GM LAs, two years, one seed): the lever and the baseline share
their random numbers, so the difference between the two runs is the lever's.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from rccsim.base.codes import (
    FLAG_EXPLOITATION,
    YOUNGER_UNDER_AGE,
    Focus,
    Kind,
    Need,
    Sector,
    UnitType,
)
from rccsim.base.errors import InputError
from rccsim.core.market import Market, PoolType, SearchPolicy
from rccsim.core.providers import home_weekly_cost
from rccsim.levers import BlockContractsSettings as BlockContracts
from rccsim.levers import CapitalHomesSettings as CapitalHomes
from rccsim.levers import ForecastLedSettings as ForecastLed
from rccsim.levers import FosteringHubSettings as FosteringHub
from rccsim.levers import Levers
from rccsim.levers import PooledBudgetSettings as PooledBudget
from rccsim.levers import RccBedsSettings as RccBeds
from rccsim.levers import SharedPlacementsSettings as SharedPlacements
from rccsim.levers import SingleCustomerSettings as SingleCustomer
from rccsim.levers import WorkforceAcademySettings as WorkforceAcademy
from rccsim.levers.blocks import BlockBook
from rccsim.sim.scenario import Scenario, load_scenario, parse_scenario
from rccsim.sim.simulation import Simulation
from rccsim.studies.harness import counterfactual

REGION = "E08000003,E08000006,E08000009"  # Manchester, Salford, Wigan
YEARS, SEED = 2, 3


def _run(levers: Levers | None = None, name: str = "lever", parameters: dict | None = None):
    scenario = "baseline" if levers is None else Scenario(name=name, levers=levers, parameters=parameters or {})
    sim = Simulation(region=REGION, years=YEARS, seed=SEED, scenario=scenario)
    return sim.model, sim.run().record


@pytest.fixture(scope="module")
def baseline():
    return _run()


def _residential_starts(model):
    """Distances of residential placements started during the run."""
    log = model.recorder.placements
    n = log.n
    sel = ~log.initial[:n] & np.isin(log.kind[:n], [Kind.HOME_LA, Kind.HOME_IND])
    return log.distance[:n][sel]


def test_levers_at_zero_size_change_nothing(baseline):
    _, base = baseline
    zero = Levers(capital_homes=CapitalHomes(capital_gbp=0), fostering_hub=FosteringHub(budget_gbp_per_year=0),
                  block_contracts=BlockContracts(beds=0), forecast_led=ForecastLed(max_beds=0),
                  pooled_budget=PooledBudget(share=0.0), workforce_academy=WorkforceAcademy(budget_gbp_per_year=0))
    _, got = _run(zero, name="baseline")
    assert json.dumps(got.metrics, sort_keys=True) == json.dumps(base.metrics, sort_keys=True)


def test_capital_homes_take_children_nearer_home_and_are_paid_for(baseline):
    # homes built where most children sit in independent homes more than 20 miles away fill with
    # the region's children, nearer home than the baseline's residential placements
    base_model, base = baseline
    model, got = _run(Levers(capital_homes=CapitalHomes(capital_gbp=10e6, cost_per_home_gbp=1.25e6, build_days=0)))
    assert got.metrics["placements_in_rcc_homes"] > 20
    assert got.metrics["mean_distance_rcc_homes_miles"] < np.mean(_residential_starts(base_model))
    # (with other LAs' demand held level in regional runs, independent places stay near enough in
    # this three-LA world that all residential placements together are not measurably nearer in
    # two years; over GM, 20 seeds and 10 years the share over 20 miles falls: issue 4's notes)
    # and the capital is paid
    assert got.metrics["lever_costs_gbp"]["capital"] == pytest.approx(10e6)
    assert got.metrics["cost_total_gbp"] > base.metrics["cost_total_gbp"]


def test_single_customer_with_spare_capacity_pays_less(baseline):
    # the RCC as one customer takes part of the margin where providers have spare places; with
    # no bargaining power it pays what separate LAs would. Budgets that bind are off: a lower
    # price eases the LAs' overspend, and they then weigh price less (dearer places nearer home),
    # which would blur the price paid for the same places
    off = {"budgets.price_weight": 0.0, "budgets.recruitment_cut": 0.0}
    _, weak = _run(Levers(single_customer=SingleCustomer(bargaining_power=0.0)), parameters=off)
    _, strong = _run(Levers(single_customer=SingleCustomer(bargaining_power=1.0)), parameters=off)
    for kind in ("home_ind", "foster_ifa"):
        assert strong.metrics["weekly_price_gbp_by_kind"][kind] < weak.metrics["weekly_price_gbp_by_kind"][kind]


def test_negotiation_takes_margin_only_where_places_are_spare(baseline):
    model, _ = baseline
    policy = SearchPolicy(model.geo.n, model.rcc.member_index)
    policy.buy_as_one(0.5)
    market = model.market
    pools = np.array([0, 1])
    market.occupancy = np.zeros(market.n_pools)
    market.occupancy[0], market.occupancy[1] = 0.6, 1.0  # 40% spare / full
    quote, floor = np.array([1000.0, 1000.0]), np.array([600.0, 600.0])
    rcc = np.full(2, policy.rcc_buyer)
    got = policy.negotiate(market, quote, floor, pools, rcc)
    assert got[0] == pytest.approx(1000.0 - 0.5 * 0.4 * 400.0)
    assert got[1] == pytest.approx(1000.0)  # a full market concedes nothing
    la_buyer = np.array([0, 0])
    assert np.array_equal(policy.negotiate(market, quote, floor, pools, la_buyer), quote)


def test_shared_placements_let_members_use_each_others_provision(baseline):
    def cross_la(model):
        log, u, c = model.recorder.placements, model.units, model.children
        n = log.n
        unit = log.unit[:n]
        la_run = (unit >= 0) & (u.sector[np.maximum(unit, 0)] == Sector.LA) & ~u.kinship[np.maximum(unit, 0)]
        owner = u.owner_la[np.maximum(unit, 0)]
        return int((la_run & ~log.initial[:n] & (owner != c.la[log.child[:n]])).sum())

    base_model, _ = baseline
    model, _ = _run(Levers(shared_placements=SharedPlacements()))
    assert cross_la(base_model) == 0  # alone, an LA's carers and homes take only its own children
    assert cross_la(model) > 10
    # a host reserve keeps free places for the owning LA's own children: the more kept, the fewer
    # other members' children placed, and a reserve no pool can meet shuts sharing off
    some, _ = _run(Levers(shared_placements=SharedPlacements(host_reserve=2)))
    shut, _ = _run(Levers(shared_placements=SharedPlacements(host_reserve=10_000)))
    assert 0 < cross_la(some) < cross_la(model)
    assert cross_la(shut) == 0


def test_a_child_refers_to_a_pool_only_once(monkeypatch):
    # under a single customer the members' independent pools are in each member child's own list
    # and again in the market search; with shared placements each member's own pools are in the
    # list twice. The search skips the repeats, so no child sends two referrals to one pool.
    rounds = Market._rounds
    seen = {"calls": 0, "lists_with_repeats": 0}

    def checked(self, ids, cand, dist, pen, day, initial, placed, skip=None, wide=False):
        kept = np.where(skip, -1, cand) if skip is not None else cand
        srt = np.sort(kept, axis=1)
        assert not ((srt[:, 1:] == srt[:, :-1]) & (srt[:, 1:] >= 0)).any()
        raw = np.sort(cand, axis=1)
        seen["lists_with_repeats"] += int((raw[:, 1:] == raw[:, :-1]).any())
        seen["calls"] += 1
        return rounds(self, ids, cand, dist, pen, day, initial, placed, skip, wide)

    monkeypatch.setattr(Market, "_rounds", checked)
    _run(Levers(single_customer=SingleCustomer(), shared_placements=SharedPlacements()))
    assert seen["calls"] > 50
    assert seen["lists_with_repeats"] > 0  # the lists held repeats: the check above could fail


def test_shared_provision_that_cannot_take_a_child_does_not_keep_it_from_the_market():
    # with ten members, shared placements put twenty public pools in each member child's list; the
    # members' pools are checked on a regional register alongside the child's referrals to the
    # market. Were they to use up the referrals each round, the children they refuse would run out
    # of rounds before reaching the market and land in emergency settings (1.5-2.7% of new
    # placements over two years in GM instead of 0.01-0.06%, when this was so)
    # Nor may sharing leave in-house places empty: a public pool takes its own LA's children first
    # and, on the register, is asked again next round when the children it offered places to took
    # others, so members sharing fill at least as many in-house places as they fill alone (3,094
    # against 3,219 when each offer was final and a pool ranked all members' children alike)
    def in_house_starts(model):
        log, u = model.recorder.placements, model.units
        n = log.n
        unit = log.unit[:n]
        la_run = (unit >= 0) & (u.sector[np.maximum(unit, 0)] == Sector.LA) & ~u.kinship[np.maximum(unit, 0)]
        return int((la_run & ~log.initial[:n]).sum())

    base_sim = Simulation(region="GM", years=2, seed=1)
    base_model, base = base_sim.model, base_sim.run().record.metrics
    sim = Simulation(region="GM", years=2, seed=1,
                     scenario=Scenario(name="shared", levers=Levers(shared_placements=SharedPlacements())))
    model, shared = sim.model, sim.run().record.metrics
    assert shared["share_emergency_placements"] <= base["share_emergency_placements"] + 0.0015
    assert in_house_starts(model) >= in_house_starts(base_model)


def test_fostering_hub_recruits_and_keeps_carers(baseline):
    _, base = baseline
    _, got = _run(Levers(fostering_hub=FosteringHub(budget_gbp_per_year=3e6)))
    assert got.metrics["carers_approved"] > base.metrics["carers_approved"]
    assert got.metrics["foster_households_end"] > base.metrics["foster_households_end"]
    assert got.metrics["lever_costs_gbp"]["fostering_hub"] == pytest.approx(3e6 * YEARS)


def test_the_hub_is_a_recruitment_funnel_that_takes_some_recruits_from_agencies(baseline):
    # GBP 1.8m a year of recruitment at GBP 1,500 an enquiry: 1,200 enquiries a year, of which
    # 12% apply and 47.8% of those are approved (Ofsted's LA rates)
    base_model, base = baseline
    hub = FosteringHub(budget_gbp_per_year=3e6, recruitment_share=0.6, cost_per_enquiry_gbp=1500, from_agencies=0.6)
    model, got = _run(Levers(fostering_hub=hub))
    m = got.metrics
    assert m["hub_enquiries"] == pytest.approx(1200 * YEARS, rel=0.1)
    rate = 0.12 * 0.478
    sd = np.sqrt(m["hub_enquiries"] * rate * (1 - rate))
    assert abs(m["hub_approvals"] - m["hub_enquiries"] * rate) < 4 * sd
    # some of them would have gone to agencies based in the region: those agencies lose applicants
    assert 0 < m["hub_taken_from_agencies"] <= m["hub_approvals"]
    _, none = _run(Levers(fostering_hub=hub.model_copy(update={"from_agencies": 0.0})))
    assert none.metrics["hub_taken_from_agencies"] == 0


def test_block_contracts_are_paid_whether_used_or_not(baseline):
    _, got = _run(Levers(block_contracts=BlockContracts(beds=12, discount=0.1)))
    m = got.metrics
    assert m["placements_in_rcc_homes"] > 0
    assert m["lever_costs_gbp"]["block_contracts"] > 0
    assert 0 <= m["block_voids_gbp"] <= m["lever_costs_gbp"]["block_contracts"]
    for y in got.by_year:
        spend = sum(y["spend_by_kind_gbp"].values())
        assert y["cost_total_gbp"] == pytest.approx(spend + sum(y["lever_costs_gbp"].values()))


def test_providers_read_the_open_market_without_the_homes_on_block_contract():
    # a home the RCC block-books earns a contract a new home could not win, and its children are
    # charged at the marginal cost: providers weighing a new home leave it out of their reading of
    # local revenue per place, exactly as if it were not there (counting it as empty, cheap places
    # once made block contracts cut openings across the region)
    from rccsim.base.codes import UnitType
    from rccsim.core.providers import expected_margin
    model = Simulation(region=REGION, years=1, seed=SEED).model
    before = expected_margin(model, UnitType.HOME)
    book = BlockBook()
    model.levers.append(book)
    book.contract(model, 12, 0.1, day=0)
    held = book.units
    assert len(held) > 0
    after = expected_margin(model, UnitType.HOME)
    u = model.units
    u.open[held] = False  # the same market with those homes gone
    gone = expected_margin(model, UnitType.HOME)
    u.open[held] = True
    np.testing.assert_array_equal(after, gone)
    assert not np.array_equal(after, before)  # the check could fail: the homes were in the reading


def test_forecast_led_contracts_beds_ahead_and_pays_for_them(baseline):
    _, base = baseline
    # a discount the providers accept: near these LAs more than 90% of places are filled when the
    # lever offers, so at 10% off every provider declines (the block contracts' consent test)
    model, got = _run(Levers(forecast_led=ForecastLed(cover_share=1.0, max_beds=30, discount=0.05)))
    book = next(lv for lv in model.levers if isinstance(lv, BlockBook))
    held = model.units.places[book.units].sum()
    assert 0 < held <= 30 + 6  # whole homes: the last one may take it a few beds over
    assert (book.start > 0).all()  # contracted at a year end, ahead of the next year's need
    assert got.metrics["lever_costs_gbp"]["block_contracts"] > 0
    assert got.metrics["placements_in_rcc_homes"] > 0


def test_pooled_budget_for_accounting_only_moves_no_child_and_carries_each_las_overspend(baseline):
    _, base = baseline
    _, got = _run(Levers(pooled_budget=PooledBudget(share=1.0, shares_pressure=False)))
    a, b = dict(got.metrics), dict(base.metrics)
    pooled = a.pop("pooled_budget")
    b.pop("pooled_budget")
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    assert len(pooled["contributions_gbp_by_year"]) == YEARS
    # what the pot paid, year by year, is what members spent on placements
    assert sum(pooled["rcc_spend_gbp_by_year"]) == pytest.approx(base.metrics["cost_total_gbp"], rel=1e-9)
    assert pooled["absorbed_gbp_by_year"][0] > 0


def _where_in_baseline(base_model, model) -> dict:
    """Where the children placed in RCC beds were on the same days in the baseline (compare's
    counterfactual, from the two runs' placement logs)."""
    b, s = base_model.recorder.placements, model.recorder.placements
    nb, ns = b.n, s.n
    base = {"child": b.child[:nb], "start": b.start[:nb], "end": b.end[:nb], "distance": b.distance[:nb], "kind": b.kind[:nb]}
    unit = s.unit[:ns]
    rcc = ~s.initial[:ns] & (unit >= 0) & (model.units.regional[np.maximum(unit, 0)] > 0)
    return counterfactual(base, {"child": s.child[:ns][rcc], "start": s.start[:ns][rcc]})


def test_the_panel_keeps_fostered_children_out_of_rcc_beds(baseline):
    # admission open (the buyer picks an RCC bed as its own provision, at no more than its cost):
    # children the baseline fostered fill the beds. The panel admits children in emergency settings
    # and those whose best other option is a home far away: far fewer of them were in foster care
    base_model, _ = baseline
    beds = dict(block_contracts=BlockContracts(beds=16, discount=0.1))
    m_open, _ = _run(Levers(**beds, rcc_beds=RccBeds(admission="open")))
    m_panel, got = _run(Levers(**beds))
    open_cf, panel_cf = _where_in_baseline(base_model, m_open), _where_in_baseline(base_model, m_panel)
    assert open_cf["matched"] >= 20 and panel_cf["matched"] >= 5
    assert open_cf["share_fostering"] > 0.2  # open: 35% (17 of 48), panel: 8% (3 of 39)
    assert panel_cf["share_fostering"] < open_cf["share_fostering"] - 0.15
    # ... and the panel's children were in children's homes: 77% against 48%
    assert panel_cf["share_residential"] > open_cf["share_residential"] + 0.2
    assert got.metrics["placements_in_rcc_homes"] > 0


def test_the_panel_admits_in_its_order():
    # the rule itself, on four referrals with a hand-made search: an RCC bed (column 0) and one
    # other option (column 1)
    model = Simulation(region=REGION, years=1, seed=SEED).model
    market, c = model.market, model.children
    ids = np.flatnonzero(c.in_care[: c.n])[:5]
    c.kind[ids] = Kind.HOME_IND
    c.kind[ids[0]] = Kind.UNREGISTERED  # in an emergency setting: admitted whatever its options
    members = market.policy.members
    members[:] = True
    la = int(c.la[ids[0]])
    regional = market.pool_id(PoolType.REGIONAL, la)
    home, foster = market.pool_id(PoolType.IND_HOME, la), market.pool_id(PoolType.IFA_FOSTER, la)
    cand = np.array([[regional, home], [regional, home], [regional, home], [regional, foster], [regional, home]])
    dist = np.array([[5.0, 3.0], [5.0, 3.0], [5.0, 35.0], [5.0, 35.0], [5.0, 35.0]])
    score = np.array([[1.0, 2.0], [1.0, 2.0], [1.0, 2.0], [1.0, 2.0], [1.0, np.inf]])
    pen = np.zeros((5, len(Kind.NAMES)))
    pen[:, [Kind.FOSTER_LA, Kind.FOSTER_IFA, Kind.SUPPORTED]] = 1500.0  # residential plans: a home first
    admit, urgent = market.panel(ids, cand, dist, score, cand == regional, pen)
    # urgent; a home nearby (refused); a home far away (admitted); foster care far away (refused);
    # no other option in England (admitted)
    assert admit.tolist() == [True, False, True, False, True]
    assert urgent.tolist() == [True, False, False, False, False]
    # no other option nearby is no reason before the search beyond the neighbourhood
    admit, _ = market.panel(ids, cand, dist, score, cand == regional, pen, last=False)
    assert admit.tolist() == [True, False, True, False, False]
    # a family-first plan (a tie) is not admitted, however far its best option, nor in an
    # emergency setting while it has another option
    pen[:, [Kind.FOSTER_LA, Kind.FOSTER_IFA]] = 0.0
    admit, _ = market.panel(ids, cand, dist, score, cand == regional, pen)
    assert admit.tolist() == [False, False, False, False, False]
    pen[:, [Kind.FOSTER_LA, Kind.FOSTER_IFA]] = 1500.0
    members[:] = False
    members[[i for i in range(market.n_la) if i != la]] = True  # the option's LA outside the region
    admit, _ = market.panel(ids, cand, dist, score, cand == regional, pen)
    assert admit[1]
    # a bed that is no nearer than the market's far option, or far across the region from a nearby
    # option outside it, is no gain: refused (the urgent child and the one with no option still come)
    members[:] = True
    dist[:, 0] = 40.0
    admit, _ = market.panel(ids, cand, dist, score, cand == regional, pen)
    assert admit.tolist() == [True, False, False, False, True]
    members[:] = False
    members[[i for i in range(market.n_la) if i != la]] = True
    admit, _ = market.panel(ids, cand, dist, score, cand == regional, pen)
    assert not admit[1]


def test_members_pay_the_recharge_and_the_run_counts_it_once(baseline):
    _, base = baseline
    model, got = _run(Levers(block_contracts=BlockContracts(beds=12, discount=0.1),
                             rcc_beds=RccBeds(admission="open", recharge_gbp_per_week=2500.0)))
    log, u = model.recorder.placements, model.units
    n = log.n
    rcc = ~log.initial[:n] & (log.unit[:n] >= 0) & (u.regional[np.maximum(log.unit[:n], 0)] > 0)
    assert rcc.any()
    # per place, whatever the child's needs; a child who can live only alone pays for the places
    # it holds back (the whole home)
    per_place = log.price[:n][rcc] / 2500.0
    np.testing.assert_allclose(per_place, np.round(per_place))
    assert (per_place >= 1).all() and np.median(per_place) == 1
    m = got.metrics
    assert m["rcc_recharges_gbp"] > 0
    for y in got.by_year:  # the recharges are not in the run's total: the block fees are
        spend = sum(y["spend_by_kind_gbp"].values())
        assert y["cost_total_gbp"] == pytest.approx(spend + sum(y["lever_costs_gbp"].values()))
    # by default (cost recovery) a block bed costs its fee per place
    model, got = _run(Levers(block_contracts=BlockContracts(beds=12, discount=0.1)))
    book = next(lv for lv in model.levers if isinstance(lv, BlockBook))
    per_place = book.fee / model.units.places[book.units]
    pools = model.units.pool[book.units]
    for pool in np.unique(pools):
        assert model.market.list_price[pool] == pytest.approx(per_place[pools == pool].mean())


def test_capital_homes_pay_no_rent_and_their_running_cost_is_the_rccs():
    model, got = _run(Levers(capital_homes=CapitalHomes(capital_gbp=5e6, cost_per_home_gbp=1.25e6, build_days=0)))
    u = model.units
    ids = np.flatnonzero(u.regional[: u.n] > 0)
    assert len(ids) == 4
    with_rent = u.weekly_cost[ids].copy()
    u.regional[ids] = 0
    assert (home_weekly_cost(model, ids) > with_rent).all()  # the same homes, renting
    assert got.metrics["lever_costs_gbp"]["rcc_homes_running"] > 0


def test_capital_homes_open_only_once_they_have_a_registered_manager():
    """A built home waits for its registered manager from the region's workforce: where managers
    are found slowly, the homes stand unopened and take no child; at the installed rate they open."""
    lever = Levers(capital_homes=CapitalHomes(capital_gbp=5e6, cost_per_home_gbp=1.25e6, build_days=30))

    def run(fill_rate):
        params = {} if fill_rate is None else {"workforce.manager_fill_rate_per_year": fill_rate}
        sim = Simulation(region=REGION, years=YEARS, seed=SEED,
                         scenario=Scenario(name="capital", levers=lever, parameters=params))
        got = sim.run().record
        u = sim.model.units
        opened = int((u.regional[: u.n] > 0).sum())
        built = next(x for x in sim.model.levers if x.key == "capital_homes")
        return opened, built.open_days, got.metrics["placements_in_rcc_homes"]

    opened, days, placed = run(None)
    assert opened == (days < YEARS * 365).sum() > 0 and placed > 0
    assert (days >= 30).all() and len(set(days.tolist())) > 1  # each home's own manager, none before it is built
    opened, days, placed = run(0.01)  # a manager post filled once a century
    assert opened == 0 and placed == 0 and (days > YEARS * 365).all()


def test_providers_accept_a_block_contract_only_when_it_beats_the_open_market():
    # a deep discount pays less than the open market would: providers turn it down; a small one
    # they take, and the RCC gets its members' homes registered for the highest needs first
    def held(discount):
        model = Simulation(region=REGION, years=1, seed=SEED).model
        book = BlockBook()
        model.levers.append(book)
        u = model.units
        n = u.n
        offered = np.flatnonzero(u.open[:n] & (u.utype[:n] == UnitType.HOME) & (u.sector[:n] != Sector.LA)
                                 & (u.regional[:n] == 0) & (u.occupied[:n] == 0)
                                 & np.isin(u.la[:n], model.rcc.member_index))
        willing = offered[(1.0 - discount) >= model.market.local_occupancy()[0][u.pool[offered]]]
        book.contract(model, 12, discount, day=0)
        return model, book, willing

    model, small, willing = held(0.02)
    _, deep, _ = held(0.6)
    assert len(deep.refused_homes) > len(small.refused_homes)
    assert len(deep.units) < len(small.units)
    # of the members' homes that would take the contract, those not chosen need no more than those chosen
    need = model.units.max_need
    chosen = np.intersect1d(small.units, willing)
    left = np.setdiff1d(willing, small.units)
    assert len(chosen) > 0 and len(left) > 0  # the check below compares something
    assert need[chosen].min() >= need[left].max()




def test_block_contracts_end_with_their_term_renewed_at_the_days_price_or_handed_back(monkeypatch):
    """At the end of its term a block contract is renewed at that day's list price, if the provider
    agrees (on the same test as it first did); a provider whose open market would now fill more
    takes its home back, and the lever contracts another home to keep its beds."""
    model = Simulation(region=REGION, years=2, seed=SEED).model
    book = BlockBook()
    model.levers.append(book)
    book.keep("block_contracts", 8, 0.1, 1.0)
    book.contract(model, 8, 0.1, day=0, term_years=1.0, owner="block_contracts")
    first = book.units.copy()
    assert len(first) > 0 and (book.end == 365).all()
    u, market = model.units, model.market
    # the market's price rises by a fifth over the term: the renewal follows it, the first term's fee does not
    fee0 = book.fee.copy()
    market.list_price[book.pool0] *= 1.2
    book._renew(model, 400)
    assert book.renewals == len(first) and book.renewals_refused == 0
    renewed = book.live & (book.start == 365)
    np.testing.assert_allclose(book.fee[renewed], fee0 * 1.2)
    assert (book.end[renewed] == 730).all() and (u.regional[first] > 0).all()
    # at the next renewal the first homes' neighbourhoods are full: their providers decline
    real = market.local_occupancy

    def busy():
        occ, *rest = real()
        occ = occ.copy()
        occ[book.pool0[book.units == first[0]][0]] = 1.0
        return (occ, *rest)

    monkeypatch.setattr(market, "local_occupancy", busy)
    declined = first[book.pool0[: len(first)] == book.pool0[0]]
    book._renew(model, 740)
    assert book.renewals_refused == len(declined) > 0
    assert (u.regional[declined] == 0).all() and (u.pool[declined] == book.pool0[: len(first)][np.isin(first, declined)]).all()
    assert book.held_beds(model, "block_contracts") >= 8  # others took their place
    assert np.setdiff1d(book.units[book.live], first).size > 0
    assert not np.isin(book.units[book.live], declined).any()
    paid, _ = book.paid_and_voids(model)
    assert paid[0] > 0 and paid[1] > 0


def test_levers_act_for_the_rccs_members_and_a_scenario_can_name_its_own():
    # the SE pathfinder's region has 19 LAs; Home and Future has 16 members (Hampshire, Kent and
    # Slough are not: la_geography.csv, rcc_member_2025), and the levers act for those
    model = Simulation(region="SE", years=1, seed=SEED).model
    names = set(model.geo.las.la_name.iloc[model.rcc.member_index])
    assert len(model.region.la_index) == 19 and len(names) == 16
    assert not names & {"Hampshire", "Kent", "Slough"}
    assert model.market.policy.members.sum() == 16
    # a scenario names its own members, within the region
    own = Scenario(name="two", members=["Manchester", "Salford"], levers=Levers(single_customer=SingleCustomer()))
    model = Simulation(region=REGION, years=1, seed=SEED, scenario=own).model
    assert sorted(model.geo.las.la_name.iloc[model.rcc.member_index]) == ["Manchester", "Salford"]
    assert model.market.policy.members.sum() == 2
    outside = Scenario(name="far", members=["Kent"])
    with pytest.raises(InputError, match="not in the region"):
        Simulation(region=REGION, years=1, seed=SEED, scenario=outside)


def test_a_capital_mix_shares_the_homes_by_count_and_refuses_programme_wide_sizes():
    mix = [{"count": 4, "places": 2, "children": "highest_needs"}, {"count": 2, "places": 3, "children": "younger"},
           {"count": 2, "places": 3, "children": "adolescent"}, {"count": 2, "places": 2, "children": "exploitation"}]
    ten = CapitalHomes(capital_gbp=5e6, cost_per_home_gbp=5e5, mix=mix).homes()
    assert [h.children for h in ten].count("highest_needs") == 4 and sum(h.places for h in ten) == 24
    # fewer homes than the mix's kinds: whole shares first, then the largest remainders (the first listed on a tie)
    three = CapitalHomes(capital_gbp=1.5e6, cost_per_home_gbp=5e5, mix=mix).homes()
    assert [h.children for h in three] == ["highest_needs", "younger", "adolescent"]  # 1.2, 0.6, 0.6, 0.6 of 3
    assert [h.places for h in CapitalHomes(capital_gbp=2e6, cost_per_home_gbp=1e6, places=2).homes()] == [2, 2]
    with pytest.raises(ValueError, match="in each kind of home"):
        CapitalHomes(mix=mix, places=3)
    with pytest.raises(ValueError):
        CapitalHomes(mix=[{"count": 1, "children": "toddlers"}])


def test_homes_for_some_children_take_only_them():
    """Each of a Skyline-like mix's homes takes only the children it is for (codes.Focus): intensive
    needs, under 13, 13 and over, at risk of exploitation."""
    mix = [{"count": 1, "places": 2, "children": k} for k in ("highest_needs", "younger", "adolescent", "exploitation")]
    model, got = _run(Levers(capital_homes=CapitalHomes(capital_gbp=8e6, cost_per_home_gbp=1e6, build_days=0,
                                                        mix=mix * 2)))
    u, c, log = model.units, model.children, model.recorder.placements
    homes = np.flatnonzero(u.regional[: u.n] > 0)
    assert sorted(u.focus[homes].tolist()) == sorted([Focus.HIGHEST_NEEDS, Focus.YOUNGER, Focus.ADOLESCENT,
                                                      Focus.EXPLOITATION] * 2)
    n = log.n
    rows = np.flatnonzero(np.isin(log.unit[:n], homes))
    focus = u.focus[log.unit[rows]]
    child = log.child[rows]
    age = (log.start[rows] - c.dob[child]) / 365.25
    taken = {f: int((focus == f).sum()) for f in (Focus.HIGHEST_NEEDS, Focus.YOUNGER, Focus.ADOLESCENT,
                                                  Focus.EXPLOITATION)}
    assert sum(taken.values()) == len(rows) and sum(v > 0 for v in taken.values()) >= 3, taken
    assert (log.need[rows][focus == Focus.HIGHEST_NEEDS] == Need.INTENSIVE).all()
    assert (age[focus == Focus.YOUNGER] < YOUNGER_UNDER_AGE).all()
    assert (age[focus == Focus.ADOLESCENT] >= YOUNGER_UNDER_AGE).all()
    assert ((c.flags[child[focus == Focus.EXPLOITATION]] & FLAG_EXPLOITATION) > 0).all()


def test_a_workforce_academy_fills_its_regions_vacancies_and_no_others(baseline):
    """Trainees who complete and take up a post join the members' region's care staff: its vacancy
    rate falls below the baseline's; other regions' staff are not the academy's."""
    _, base = baseline
    cfg = WorkforceAcademy(budget_gbp_per_year=3e6, cost_per_trainee_gbp=3000, training_weeks=4)
    model, got = _run(Levers(workforce_academy=cfg))
    m = got.metrics
    per_year = cfg.budget_gbp_per_year / cfg.cost_per_trainee_gbp
    assert 0.8 * per_year * YEARS < m["academy_trainees"] < 1.2 * per_year * YEARS
    assert 0 < m["academy_hired"] <= m["academy_completed"]
    assert m["academy_left_early"] > 0  # the first-year leaving factor of 1.3
    wf = model.workforce
    nw = wf.regions.index("North West")
    vac = [y["rcc_region_staff_vacancy_rate"] for y in got.by_year]
    vac0 = [y["rcc_region_staff_vacancy_rate"] for y in base.by_year]
    assert all(a < b for a, b in zip(vac, vac0)), (vac, vac0)
    assert wf.lever_hires[:, nw].sum() > 0
    others = [i for i in range(len(wf.regions)) if i != nw]
    assert (wf.lever_hires[:, others] == 0).all()
    assert m["lever_costs_gbp"]["workforce_academy"] == pytest.approx(cfg.budget_gbp_per_year * YEARS)


def test_a_capital_mix_written_as_a_scenario_reads_back_the_same():
    """What the dashboard exports (as_scenario) is a scenario file that loads to the same settings."""
    sky = load_scenario("skyline_homes")
    written = {"name": "again", "levers": {k: getattr(sky.levers, k).as_scenario() for k in sky.levers.active()}}
    again = parse_scenario(written, "exported")
    assert again.levers.capital_homes == sky.levers.capital_homes
    assert "places" not in written["levers"]["capital_homes"]
