"""Providers: what homes cost to run, where new homes open and which close.

A home's weekly running cost is its staff (fixed: a home is staffed whether full or empty, and
more heavily for higher needs), plus its property: a share of the local average house price at an
annual cost of capital. Property is cheap in much of the North and dear in London and the South
East, so for the same price a home earns more where property is cheap.

Every quarter (a SimPy process) providers review their homes:

* Accounts: each independent home's income (the prices of the children placed) and running cost
  (staff at the region's wages, with agency staff at a premium, and property), and its operating
  margin, smoothed over reviews. The run's ``provider_margin_home`` is the same census.
* Closing: an independent home closes when it keeps failing: occupancy below break-even, or a
  smoothed margin below the going-concern threshold (``providers.exit_margin``: the costs of
  buying and registering a home are sunk, so providers stay through thin margins and enter only
  above a hurdle: a band of inaction between the two). Any home can also close for reasons
  outside the market (Ofsted enforcement, the manager leaving) at a small base rate. Children in a
  closing home move (reason CLOSE).
* Opening: providers expect of a new home what the neighbourhood's homes earn per place, spread
  over the places there and those registering (coming supply), against the running cost per
  place of a new home there; the expectation adapts a step each quarter rather than jumping with
  today's spot margin. Where it clears the hurdle, new homes are planned in proportion to the
  excess and to local demand. A planned home opens after a purchase and Ofsted registration lag,
  and only with a registered manager (:mod:`rccsim.core.workforce`), on the first tick on or after
  its day, so supply answers to demand with a delay. The planner is an existing provider (large
  ones grow) or a new entrant. At the start, the pipeline holds the homes the rule would have
  planned over the registration lag before it.

LAs open and close their own homes more rarely (see :func:`la_home_review`).
"""

from __future__ import annotations

import numpy as np

from rccsim.base.codes import Kind, Regional, Sector, UnitType
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
    # an RCC home built with capital owns its property: no rent (the capital is its lever's cost)
    property_cost = np.where(u.regional[ids] == Regional.CAPITAL, 0.0, property_cost)
    # wages and agency staff since the start (rccsim.core.workforce; 1 for supported accommodation)
    return staff_per_place * places * wage * u.labour_factor[ids] + property_cost


def unit_income(model, ids: np.ndarray, utype: int) -> np.ndarray:
    """Weekly income (GBP) of units ``ids``: the prices of the run's children placed in them, and
    in a regional run the background children at the local list price times what children in
    such units (by unit type and need level) paid over list in all-England runs
    (:mod:`rccsim.core.background`)."""
    u, c = model.units, model.children
    pos = np.full(u.n, -1, dtype=np.int64)
    pos[ids] = np.arange(len(ids))
    placed = np.flatnonzero(c.in_care[: c.n] & (c.unit[: c.n] >= 0))
    placed = placed[pos[c.unit[placed]] >= 0]
    income = weighted_bincount(pos[c.unit[placed]], weights=c.price[placed], minlength=len(ids))
    bg = u.bg_occupied[ids] > 0
    if bg.any():
        ptype = PoolType.IND_HOME if utype == UnitType.HOME else PoolType.SUPPORTED
        list_price = model.market.list_price[model.market.pool_id(ptype, u.la[ids[bg]])]
        ratio = model.background.price_over_list(ids[bg], int(model.env.now))
        income[bg] += u.bg_occupied[ids[bg]] * list_price * ratio
    return income


def _independent(model, utype: int) -> np.ndarray:
    """Open independent units of ``utype`` on the open market (homes the RCC holds are not)."""
    u = model.units
    n = u.n
    return np.flatnonzero(u.open[:n] & (u.utype[:n] == utype) & (u.sector[:n] != Sector.LA) & (u.regional[:n] == 0))


def area_accounts(model, utype: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weekly income, running cost and registered places of the independent units of ``utype`` in
    each LA's neighbourhood (its ``prices.price_neighbourhood_las`` nearest LAs)."""
    geo, u = model.geo, model.units
    ids = _independent(model, utype)
    la = u.la[ids]
    inc = weighted_bincount(la, unit_income(model, ids, utype), geo.n)
    cost = weighted_bincount(la, u.weekly_cost[ids], geo.n)
    places = weighted_bincount(la, u.places[ids], geo.n)
    near = geo.neighbours[:, : int(model.p.prices.price_neighbourhood_las)]
    return inc[near].sum(axis=1), cost[near].sum(axis=1), places[near].sum(axis=1)


def realised_margin(model, utype: int) -> np.ndarray:
    """Operating margin (income - cost) / income of the independent units of each LA's
    neighbourhood now: the definitions of the CMA's margin and of the run's ``provider_margin_home``."""
    inc, cost, _ = area_accounts(model, utype)
    return np.where(inc > 0, (inc - cost) / np.maximum(inc, 1.0), np.nan)


def pipeline_places(model, utype: int) -> np.ndarray:
    """Places in units of ``utype`` planned but not yet open, by LA (coming supply)."""
    out = np.zeros(model.geo.n)
    for _, provider, ut, la, places, _ in model.provision.pending:
        if ut == utype and provider >= 0:
            out[la] += places
    return out


def expected_margin(model, utype: int) -> np.ndarray:
    """The operating margin a provider expects of a new unit in each LA, read as the realised one
    is: the neighbourhood's income per registered place, spread over the places already there and
    those coming (units registering count as supply), against what a place costs to run there now
    (the neighbourhood's running cost per place: staff at today's local wages and agency use, and
    property). With no unit registering it equals the realised margin, area by area (a test
    checks it). A neighbourhood with no independent unit reads England's income per place against
    the cost of a typical new unit there."""
    geo = model.geo
    inc, cost, places = area_accounts(model, utype)
    near = geo.neighbours[:, : int(model.p.prices.price_neighbourhood_las)]
    coming = pipeline_places(model, utype)[near].sum(axis=1)
    has = places > 0
    per_place = np.where(has, inc / np.maximum(places + coming, 1.0), inc.sum() / max(places.sum(), 1.0))
    cost_per_place = np.where(has, cost / np.maximum(places, 1.0), new_unit_cost_per_place(model, utype))
    return 1.0 - cost_per_place / np.maximum(per_place, 1.0)


def new_unit_cost_per_place(model, utype: int) -> np.ndarray:
    """Weekly running cost per place of a typical new unit of ``utype`` in each LA: 4 places, the
    usual mix of highest needs, local wages (and the region's labour cost now), local property."""
    p = model.p.providers
    geo = model.geo
    hp = geo.house_price
    mix = np.asarray(p.home_need_shares if utype == UnitType.HOME else p.supported_need_shares, float)
    staff_table = np.asarray(p.home_staff_cost_per_place_gbp if utype == UnitType.HOME else p.supported_staff_cost_per_place_gbp)
    staff = float((staff_table * mix).sum() / mix.sum())
    wage = 1.0 + p.wage_house_price_elasticity * np.log(hp / geo.house_price_median)
    labour = model.workforce.cost_factor()[model.workforce.region_of_la] if utype == UnitType.HOME else 1.0
    places = 4.0
    property_cost = hp * p.property_value_ratio * p.property_cost_rate / 52.0
    return (staff * places * wage * labour + property_cost) / places


def review(model, day: int) -> None:
    """Quarterly provider review: tally the quarter's income and costs, update expectations,
    close failing homes, plan new ones."""
    _tally_margins(model, day)
    _update_expectations(model)
    _close_homes(model, day)
    for utype in (UnitType.HOME, UnitType.SUPPORTED):
        _plan_openings(model, day, utype)
    _replay_background_supply(model, day)
    u = model.units
    u.occ_days[: u.n] = 0.0
    model.occ_samples = 0


def _tally_margins(model, day: int) -> None:
    """The quarter's income and running costs of the independent children's homes in the run's
    LAs (a census on the review day, counted for the 13 weeks of the quarter; homes the RCC holds
    are left out: their income is a contract), and each home's own margin, smoothed over reviews
    (``providers.expectation_weight``), which its provider weighs against going on."""
    u = model.units
    ids = _independent(model, UnitType.HOME)
    income = unit_income(model, ids, UnitType.HOME)
    cost = u.weekly_cost[ids]
    mine = model.world.reported[u.la[ids]]
    model.recorder.tally("home_income_gbp", day, 13.0 * float(income[mine].sum()))
    model.recorder.tally("home_cost_gbp", day, 13.0 * float(cost[mine].sum()))
    margin = np.where(income > 0, (income - cost) / np.maximum(income, 1.0), -1.0)
    w = float(model.p.providers.expectation_weight)
    seen = u.margin_seen[ids]
    # a home's view of its margin starts from its neighbourhood's (a home open at the start is a
    # going concern; a new one is priced on its area's accounts) and moves with its own quarters:
    # one quarter's census of a four-bed home (empty on the day: -100%) is not its business case
    area = np.nan_to_num(realised_margin(model, UnitType.HOME), nan=0.0)[u.la[ids]]
    before = np.where(seen, u.margin_ema[ids], area)
    u.margin_ema[ids] = before + w * (margin - before)
    u.margin_seen[ids] = True


def _update_expectations(model) -> None:
    """Providers' expectations adapt: each quarter they move ``providers.expectation_weight`` of
    the way from what they expected to the margin a new unit would make now."""
    w = float(model.p.providers.expectation_weight)
    exp = getattr(model, "provider_expectations", None)
    if exp is None:
        exp = model.provider_expectations = {}
    for utype in (UnitType.HOME, UnitType.SUPPORTED):
        now = expected_margin(model, utype)
        old = exp.get(utype)
        exp[utype] = now if old is None else old + w * (now - old)


def _close_homes(model, day: int) -> None:
    """Independent homes close when they keep failing: occupancy below break-even, or a smoothed
    operating margin below the going-concern threshold (``providers.exit_margin``: providers have
    sunk the costs of buying and registering a home, so they stay on through thin margins), for
    ``providers.closure_reviews`` reviews in a row; any home can close for reasons outside the
    market (Ofsted enforcement, the manager leaving) at a base rate."""
    p = model.p.providers
    u = model.units
    n = u.n
    rng = model.streams["provider_exit"]
    homes = u.open[:n] & (u.utype[:n] != UnitType.FOSTER)
    if replayed(model):
        # outside the run's LAs the providers' homes follow the England runs (_replay_background_supply)
        homes &= model.world.simulated[np.maximum(u.la[:n], 0)] | (u.sector[:n] == Sector.LA) | (u.regional[:n] != 0)
    homes = np.flatnonzero(homes)
    if len(homes) == 0:
        return
    samples = max(1, model.occ_samples)
    avail = np.maximum(u.places[homes] - u.unavailable[homes], 1).astype(float)
    occ = u.occ_days[homes] / (avail * samples)
    independent = u.sector[homes] != Sector.LA
    young = day - u.opened[homes] < 365  # new homes get a year to fill
    market = independent & ~young & (u.regional[homes] == 0)  # a home on block contract is paid whatever
    losing = u.margin_seen[homes] & (u.margin_ema[homes] < p.exit_margin)
    below = market & (((occ < p.closure_occupancy) & (model.occ_samples > 0)) | losing)
    u.failing[homes] = np.where(below, np.minimum(u.failing[homes] + 1, 100), 0)
    failing = u.failing[homes] >= p.closure_reviews
    prob = 1 - np.exp(-0.25 * np.where(independent, p.base_closure_rate, p.la_home_closure_rate))
    prob = np.where(failing, 1 - (1 - prob) * (1 - p.failing_closure_probability), prob)
    close = homes[rng.random(len(homes)) < prob]
    if len(close):
        model.provision.close_units(close, day)


def _plan_openings(model, day: int, utype: int, seeding: bool = False) -> None:
    """New units planned this quarter: in each LA, at the reference rate times the excess of the
    providers' (adaptive) expected margin over their hurdle, times local demand; each opens after
    its purchase and registration lag, a children's home only once it has a registered manager."""
    p = model.p.providers
    geo = model.geo
    rng = model.streams["provider_entry"]
    exp = getattr(model, "provider_expectations", {}) or {}
    margin = exp.get(utype)
    if margin is None:
        margin = expected_margin(model, utype)
    hurdle = p.hurdle_margin
    excess = np.clip((margin - hurdle) / max(p.reference_margin - hurdle, 1e-6), 0.0, p.max_opening_response)
    excess = np.nan_to_num(excess, nan=0.0)
    # demand: for a children's home, children in care of the LA's neighbourhood, relative to the
    # national mean; for supported accommodation, the young people each LA places there (DfE's LA
    # table at the start, leaning to cheaper property: where the first units were), since those
    # who need it (unaccompanied children, 16-17-year-olds) are not spread as all children are
    if utype == UnitType.SUPPORTED and getattr(model, "supported_demand", None) is not None:
        demand = model.supported_demand
    else:
        cla = geo.las[f"cla_{model.start_year}"].to_numpy(float)
        k = int(model.p.prices.price_neighbourhood_las)
        demand = cla[geo.neighbours[:, :k]].sum(axis=1)
        demand = demand / demand.mean()
    rate = p.home_openings_per_year if utype == UnitType.HOME else p.supported_openings_per_year
    lam = rate / 4.0 * excess * demand / geo.n
    if replayed(model):
        lam = np.where(model.world.simulated, lam, 0.0)  # outside the run: _replay_background_supply
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
    shares = np.asarray(p.home_need_shares, dtype=float)
    if utype == UnitType.HOME and not seeding:
        shares = shares * need_level_appeal(model)
    max_need = choice_index(rng, k, shares / np.sum(shares))
    if utype == UnitType.HOME:
        # a children's home registers with a registered manager: it opens when it has found one
        wait = model.workforce.manager_wait_days(las, rng.random(k))
        lag = np.maximum(lag, wait)
    for i in range(k):
        if seeding and day + int(lag[i]) <= 0:
            continue  # open by the start date: already in Ofsted's list
        model.provision.plan_opening(day + int(lag[i]), int(provider[i]), utype, int(las[i]), int(places[i]),
                                     int(max_need[i]))


def replayed(model) -> bool:
    """Whether the providers' homes outside the run's LAs follow the England runs (a regional run
    with the England index)."""
    bg = getattr(model, "background", None)
    return bg is not None and bg.supply_index is not None


def _replay_background_supply(model, day: int) -> None:
    """In a regional run, the children's homes and supported accommodation of independent providers
    outside the run's LAs follow what the all-England runs held in each (unit type, need level,
    region) group (:meth:`rccsim.core.background.Background.supply_on`), rather than the entry and
    exit rules. Those rules read the background's accounts, which stand in for other LAs' children
    only in aggregate; left to them, the rest of England held 7-12% more places than in an England
    run on the same seed, its homes sat emptier and the region's children found places far away that
    England's own children take. A group short of its places opens homes of its level in the
    region's LAs outside the run (where its places are, by an existing provider of the type); a
    group over them closes its emptiest homes (the children there move, reason CLOSE). The run's
    own LAs keep the rules."""
    bg = model.background
    target = bg.supply_on(day) if replayed(model) else None
    if target is None:
        return
    u = model.units
    rng = model.streams["provider_entry"]
    ids = bg.supply_units()
    key = bg.group(ids)
    have = weighted_bincount(key, weights=u.places[ids].astype(float), minlength=len(target))
    have += np.bincount(_pending_groups(model), minlength=len(target))[: len(target)]  # registering: coming supply
    gap = np.nan_to_num(target - have, nan=0.0)
    mean_places = float(np.dot(np.arange(1, len(model.p.providers.new_home_places_shares) + 1),
                               model.p.providers.new_home_places_shares) / np.sum(model.p.providers.new_home_places_shares))
    # short: open homes (as many as the gap's worth, rounded) in the group's LAs outside the run
    short = np.flatnonzero(gap >= mean_places / 2.0)
    region = bg.region_code % 50
    outside = ~model.world.simulated
    candidates = _provider_utypes(model)
    for g in short.tolist():
        cell, reg = g // 100, g % 100
        utype, need = cell // 3, cell % 3
        las = np.flatnonzero(outside & (region == reg) & (bg.region_code < 50))
        if len(las) == 0:
            continue
        k = int(round(gap[g] / mean_places))
        here = ids[key == g]
        w = weighted_bincount(u.la[here], u.places[here].astype(float), model.geo.n)[las] + 1.0
        where = las[choice_index(rng, k, w / w.sum())]
        places = 1 + choice_index(rng, k, np.asarray(model.p.providers.new_home_places_shares) /
                                  np.sum(model.p.providers.new_home_places_shares))
        owners = np.flatnonzero(candidates == utype)
        for i in range(k):
            provider = int(owners[rng.integers(len(owners))]) if len(owners) else -1
            model.provision.plan_opening(day + 1, provider, int(utype), int(where[i]), int(places[i]), int(need))
    # over: close the emptiest homes of the group until it is within half a home of its places
    over = np.flatnonzero(gap <= -mean_places)
    if len(over) == 0:
        return
    fill = (u.occupied[ids] + u.bg_occupied[ids]) / np.maximum(u.places[ids], 1)
    close = []
    for g in over.tolist():
        mine = np.flatnonzero(key == g)
        mine = mine[np.lexsort((rng.random(len(mine)), fill[mine]))]
        cum = np.cumsum(u.places[ids[mine]])
        n_close = int(np.searchsorted(cum, -gap[g] - mean_places / 2.0, side="left")) + 1
        close.append(ids[mine[: min(n_close, len(mine))]])
    close = np.concatenate(close)
    if len(close):
        model.provision.close_units(close, day)


def _pending_groups(model) -> np.ndarray:
    """Background group of each planned unit (weights: its places), for the replay's coming supply."""
    bg = model.background
    keys, weights = [], []
    for _, provider, utype, la, places, max_need in model.provision.pending:
        if provider >= 0 and utype != UnitType.FOSTER:
            keys.append((utype * 3 + max_need) * 100 + int(bg.region_code[la]))
            weights.append(places)
    return np.repeat(np.asarray(keys, dtype=np.int64), np.asarray(weights, dtype=np.int64))


def need_level_appeal(model) -> np.ndarray:
    """How much more (or less) often than ``providers.home_need_shares`` a new children's home is
    registered for each need level: exp(``providers.need_choice_elasticity`` x the level's margin
    over the mean), the margins those of the independent homes open now whose highest need is that
    level (England-wide within the run). An elasticity of 0: the shares as they are."""
    e = float(model.p.providers.need_choice_elasticity)
    if e == 0:
        return np.ones(3)
    u = model.units
    ids = _independent(model, UnitType.HOME)
    if len(ids) == 0:
        return np.ones(3)
    level = u.max_need[ids].astype(np.int64)
    inc = weighted_bincount(level, unit_income(model, ids, UnitType.HOME), 3)
    cost = weighted_bincount(level, u.weekly_cost[ids], 3)
    margin = np.clip(np.where(inc > 0, (inc - cost) / np.maximum(inc, 1.0), -1.0), -1.0, 1.0)
    total = np.clip((inc.sum() - cost.sum()) / max(inc.sum(), 1.0), -1.0, 1.0)
    return np.exp(e * (margin - total))


def seed_pipeline(model) -> None:
    """Units registering at the start date: what the entry rule would have planned over the
    registration lag before it (quarterly, at the start's expected margins), due in the first
    months of the run. Without them the first year would open only what the first quarters plan."""
    lag_hi = int(max(model.p.providers.registration_lag_days))
    for day in range(-lag_hi, 0, 91):
        for utype in (UnitType.HOME, UnitType.SUPPORTED):
            _plan_openings(model, day, utype, seeding=True)


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
