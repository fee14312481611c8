"""Providers: what homes cost to run, where new homes open and which close.

A home's weekly running cost is its staff (fixed: a home is staffed whether full or empty, and
more heavily for higher needs), plus its property: a share of the local average house price at an
annual cost of capital. Property is cheap in much of the North and dear in London and the South
East, so for the same price a home earns more where property is cheap.

Every quarter (a SimPy process) providers review their homes:

* Closing: an independent home whose occupancy over the review period fell below the break-even
  level closes with some probability; any home can also close for reasons outside the market
  (standards, the manager leaving) at a small base rate. Children in a closing home move (reason
  CLOSE).
* Opening: for each LA, a provider expects to earn the local price times the local occupancy, less
  staff and property costs. Where that margin clears the providers' hurdle rate, new homes are
  planned in proportion to the excess margin and to local demand. A planned home opens after a
  purchase and Ofsted registration lag (on the first tick on or after its day: the engine opens
  the homes due on a tick together), so supply answers to demand with a delay.
  The planner is an existing provider (large ones grow) or a new entrant.

LAs open and close their own homes more rarely (see :func:`la_home_review`).
"""

from __future__ import annotations

import numpy as np

from rccsim.base.codes import Kind, Sector, UnitType
from rccsim.base.rng import choice_index
from rccsim.base.tables import weighted_bincount
from rccsim.core.agents import new_provider
from rccsim.core.market import PoolType


def home_weekly_cost(model, ids: np.ndarray) -> np.ndarray:
    """Weekly running cost (GBP) of homes or supported units ``ids``: staff plus property."""
    p = model.p.providers
    u = model.units
    hp = model.geo.house_price[u.la[ids]]
    places = u.places[ids].astype(float)
    supported = u.utype[ids] == UnitType.SUPPORTED
    staff_per_place = np.where(
        supported,
        np.asarray(p.supported_staff_cost_per_place_gbp)[u.max_need[ids]],
        np.asarray(p.home_staff_cost_per_place_gbp)[u.max_need[ids]],
    )
    wage = 1.0 + p.wage_house_price_elasticity * np.log(hp / model.geo.house_price_median)
    property_cost = hp * p.property_value_ratio * p.property_cost_rate / 52.0 * (places / 4.0) ** 0.5
    return staff_per_place * places * wage + property_cost


def expected_margin(model, utype: int) -> np.ndarray:
    """Expected operating margin of a typical new unit in each LA, as providers read the market.

    Revenue per place is what existing independent units of that type earn in the LA's
    neighbourhood (weekly prices of the children placed, over the places they can offer: so
    prices, the mix of needs and occupancy all count); homes on block contract to an RCC are not
    on the open market and are left out. The cost is that of a new unit there:
    staff for the usual mix of needs (dearer where wages are high) plus local property.
    """
    p = model.p.providers
    geo = model.geo
    u, c = model.units, model.children
    n = u.n
    # homes the RCC holds (block contracts) are off the open market: their income is a contract a
    # new home could not win, and their children pay the marginal cost, not a market price
    is_type = u.open[:n] & (u.utype[:n] == utype) & (u.sector[:n] != Sector.LA) & (u.regional[:n] == 0)
    placed = np.flatnonzero(c.in_care[: c.n] & (c.unit[: c.n] >= 0))
    placed = placed[is_type[c.unit[placed]]]
    revenue = weighted_bincount(u.la[c.unit[placed]], weights=c.price[placed], minlength=geo.n)
    # background children (other LAs, regional runs) pay the local list price times what simulated
    # children pay over list price (their needs, scarcity and negotiation: a parameter measured in
    # an all-England run, so that a regional run's levers do not move other LAs' prices)
    bg = np.flatnonzero(is_type & (u.bg_occupied[:n] > 0))

    ptype = PoolType.IND_HOME if utype == UnitType.HOME else PoolType.SUPPORTED
    list_price = model.market.list_price[model.market.pool_id(ptype, np.arange(geo.n))]
    revenue += weighted_bincount(u.la[bg], weights=u.bg_occupied[bg] * list_price[u.la[bg]] * float(model.p.background.price_over_list_by_unit_type[utype]),
                           minlength=geo.n)
    avail = weighted_bincount(u.la[:n][is_type], weights=(u.places[:n] - u.unavailable[:n])[is_type], minlength=geo.n)
    k = int(model.p.prices.price_neighbourhood_las)
    near = geo.neighbours[:, :k]
    rev_place = revenue[near].sum(axis=1) / np.maximum(avail[near].sum(axis=1), 1.0)
    national = revenue.sum() / max(avail.sum(), 1.0)
    rev_place = np.where(avail[near].sum(axis=1) > 0, rev_place, national)
    hp = geo.las.house_price.to_numpy(float)
    mix = np.asarray(p.home_need_shares if utype == UnitType.HOME else p.supported_need_shares, float)
    staff_table = np.asarray(p.home_staff_cost_per_place_gbp if utype == UnitType.HOME else p.supported_staff_cost_per_place_gbp)
    staff = float((staff_table * mix).sum() / mix.sum())
    places = 4.0
    wage = 1.0 + p.wage_house_price_elasticity * np.log(hp / np.median(hp))
    cost = staff * places * wage + hp * p.property_value_ratio * p.property_cost_rate / 52.0
    revenue_new = rev_place * places
    return (revenue_new - cost) / np.maximum(revenue_new, 1.0)


def review(model, day: int) -> None:
    """Quarterly provider review: tally the quarter's income and costs, close failing homes, plan
    new ones."""
    _tally_margins(model, day)
    _close_homes(model, day)
    for utype in (UnitType.HOME, UnitType.SUPPORTED):
        _plan_openings(model, day, utype)
    u = model.units
    u.occ_days[: u.n] = 0.0
    model.occ_samples = 0


def _tally_margins(model, day: int) -> None:
    """The quarter's income and running costs of the independent children's homes in the run's LAs.

    A census on the review day, counted for the 13 weeks of the quarter: weekly income is the
    prices of the children placed (and, in a regional run, the background children at the local
    list price times ``background.price_over_list_by_unit_type``), the cost is each home's running
    cost (staff and property, :func:`home_weekly_cost`). Homes on block contract to an RCC are
    left out (their income is the contract). The yearly operating margin, (income - cost) /
    income, is the figure the CMA's market study reports for the largest providers.
    """
    u, c = model.units, model.children
    n = u.n
    homes = (u.open[:n] & (u.utype[:n] == UnitType.HOME) & (u.sector[:n] != Sector.LA) & (u.regional[:n] == 0)
             & model.world.simulated[u.la[:n]])
    placed = np.flatnonzero(c.in_care[: c.n] & (c.unit[: c.n] >= 0))
    placed = placed[homes[c.unit[placed]]]
    income = float(c.price[placed].sum())
    bg = np.flatnonzero(homes & (u.bg_occupied[:n] > 0))
    if len(bg):

        list_price = model.market.list_price[model.market.pool_id(PoolType.IND_HOME, u.la[bg])]
        income += float((u.bg_occupied[bg] * list_price).sum()) * float(model.p.background.price_over_list_by_unit_type[UnitType.HOME])
    cost = float(u.weekly_cost[:n][homes].sum())
    model.recorder.tally("home_income_gbp", day, 13.0 * income)
    model.recorder.tally("home_cost_gbp", day, 13.0 * cost)


def _close_homes(model, day: int) -> None:
    p = model.p.providers
    u = model.units
    n = u.n
    rng = model.streams["provider_exit"]
    homes = np.flatnonzero(u.open[:n] & (u.utype[:n] != UnitType.FOSTER))
    if len(homes) == 0:
        return
    samples = max(1, model.occ_samples)
    avail = np.maximum(u.places[homes] - u.unavailable[homes], 1).astype(float)
    occ = u.occ_days[homes] / (avail * samples)
    independent = u.sector[homes] != Sector.LA
    young = day - u.opened[homes] < 365  # new homes get a year to fill
    # a home on block contract is paid whether full or not: it does not fail for want of children
    below = independent & ~young & (occ < p.closure_occupancy) & (model.occ_samples > 0) & (u.regional[homes] == 0)
    u.failing[homes] = np.where(below, np.minimum(u.failing[homes] + 1, 100), 0)
    failing = u.failing[homes] >= p.closure_reviews
    prob = 1 - np.exp(-0.25 * np.where(independent, p.base_closure_rate, p.la_home_closure_rate))
    prob = np.where(failing, 1 - (1 - prob) * (1 - p.failing_closure_probability), prob)
    close = homes[rng.random(len(homes)) < prob]
    if len(close):
        model.provision.close_units(close, day)


def _plan_openings(model, day: int, utype: int) -> None:
    p = model.p.providers
    geo = model.geo
    rng = model.streams["provider_entry"]
    margin = expected_margin(model, utype)
    hurdle = p.hurdle_margin
    excess = np.clip((margin - hurdle) / max(p.reference_margin - hurdle, 1e-6), 0.0, p.max_opening_response)
    # demand: children in care of the LA's neighbourhood, relative to the national mean
    cla = geo.las[f"cla_{model.start_year}"].to_numpy(float)
    k = int(model.p.prices.price_neighbourhood_las)
    demand = cla[geo.neighbours[:, :k]].sum(axis=1)
    demand = demand / demand.mean()
    rate = p.home_openings_per_year if utype == UnitType.HOME else p.supported_openings_per_year
    lam = rate / 4.0 * excess * demand / geo.n
    counts = rng.poisson(lam)
    las = np.repeat(np.arange(geo.n), counts)
    if len(las) == 0:
        return
    u = model.units
    k = len(las)
    candidates = np.flatnonzero(_provider_utypes(model) == utype)
    # the planner: an existing provider of that type (weighted by its open units) or a new entrant
    provider = np.full(k, -1, dtype=np.int64)
    existing = (rng.random(k) < p.existing_provider_share) if len(candidates) else np.zeros(k, dtype=bool)
    if existing.any():
        owned = u.provider[: u.n][u.open[: u.n] & (u.provider[: u.n] >= 0)]
        sizes = np.bincount(owned, minlength=len(model.providers))[candidates] + 1.0
        provider[existing] = candidates[choice_index(rng, int(existing.sum()), sizes / sizes.sum())]
    new = np.flatnonzero(~existing)
    if len(new):

        voluntary = rng.random(len(new)) < p.new_entrant_voluntary_share
        label = "children's homes" if utype == UnitType.HOME else "supported accommodation"
        for i, vol in zip(new.tolist(), voluntary.tolist()):
            sector = Sector.VOLUNTARY if vol else Sector.PRIVATE
            provider[i] = new_provider(model, f"New {label} provider {len(model.providers) + 1}", int(sector), utype, int(las[i]))
    places = 1 + choice_index(rng, k, np.asarray(p.new_home_places_shares) / np.sum(p.new_home_places_shares))
    lag = rng.uniform(*p.registration_lag_days, size=k).astype(np.int64)
    max_need = choice_index(rng, k, np.asarray(p.home_need_shares) / np.sum(p.home_need_shares))
    for i in range(k):
        model.provision.plan_opening(day + int(lag[i]), int(provider[i]), utype, int(las[i]), int(places[i]), int(max_need[i]))


def _provider_utypes(model) -> np.ndarray:
    """The unit type of every provider, by provider index (kept up to date as providers join)."""
    known = getattr(model, "_provider_utype", None)
    if known is None or len(known) != len(model.providers):
        start = 0 if known is None else len(known)
        more = np.array([pr.utype for pr in model.providers[start:]], dtype=np.int64)
        known = more if known is None else np.concatenate([known, more])
        model._provider_utype = known
    return known


def la_home_review(model, day: int) -> None:
    """Yearly: LAs with many children in distant independent homes may open a home of their own."""
    p = model.p.providers
    c = model.children
    rng = model.streams["la_homes"]
    geo = model.geo
    active = np.flatnonzero(c.in_care[: c.n] & (c.kind[: c.n] == Kind.HOME_IND))
    far = active[c.distance[active] > 20.0]
    counts = np.bincount(c.la[far], minlength=geo.n).astype(float)
    counts[~model.world.simulated] = 0.0
    lam = p.la_home_openings_per_far_child * counts
    for la in np.repeat(np.arange(geo.n), rng.poisson(lam)).tolist():
        places = int(rng.integers(2, 6))
        lag = int(rng.uniform(*p.registration_lag_days))
        max_need = int(rng.choice(3, p=np.asarray(p.home_need_shares) / np.sum(p.home_need_shares)))
        model.provision.plan_opening(day + lag, -1 - la, UnitType.HOME, la, places, max_need)
