"""RCC policy levers: each a change in who does what, never a multiplier on a result.

A scenario switches levers on under ``levers:`` (see ``experiments/scenarios/``). Every lever acts
through the agents' own behaviour and is paid for (``lever costs`` in the results):

``single_customer``
    The RCC buys for its member LAs as one customer: member referrals count as one buyer when a
    provider sees how many buyers chase its places (no bidding between members), each referral
    circulates over the independent provision of the whole region as well as the child's
    neighbourhood, and the RCC negotiates: where a provider has spare places (its local market's
    occupancy below full), it concedes part of its margin over cost, in proportion to the spare
    share and the RCC's ``bargaining_power`` (0: no concession).
``shared_placements``
    LA-run homes and LA foster carers of any member take children of every member as their own,
    the owning LA's children first; ``host_reserve`` free places of each member's in-house
    provision (per pool and need level) are kept for its own children (0: none kept).
``capital_homes``
    A capital sum builds ``floor(capital_gbp / cost_per_home_gbp)`` RCC homes of ``places`` beds,
    one at a time in the member LA with the most children in independent homes more than 20 miles
    away (less the beds already built there), opened after ``build_days``; run at cost (no profit,
    staffed whether full or empty: their running cost is paid every week) and open to every member.
``fostering_hub``
    A yearly budget: ``recruitment_share`` of it buys extra approved LA households in member LAs
    at ``cost_per_approval_gbp`` each (applications assessed faster: ``assessment_lag_factor``);
    the rest supports carers at ``support_cost_per_carer_gbp`` a household-year, and supported
    households leave less often (``support_leave_reduction``). A zero budget changes nothing.
``block_contracts``
    The RCC reserves whole independent homes in or near its members (homes without the run's
    children in them, those with the most free places first) up to ``beds`` beds, at their list
    price less ``discount``, paid every week whether the beds are used or not (the empty part is
    reported as voids); the reserved homes take members' children as their own.

``forecast_led``
    Each year the RCC forecasts how many of its children will need a children's home over the
    next year (its children in children's homes now, grown by the trend in its entries into care)
    and block-contracts beds ahead of that demand
    (as ``block_contracts``: whole homes, paid whether used or not) to cover ``cover_share`` of
    the forecast beyond the public beds members already have, up to ``max_beds`` in all.
``pooled_budget``
    Members pay ``share`` of their placement spend into a regional pot, set each year from the
    year before (the first year from the start state's weekly spend); the RCC pays that share of
    their placements and the levers' costs from the pot and carries the difference, so the demand
    risk of each LA is pooled. It moves no placement by itself: it changes who pays, and the
    results show the pot's balance and the single-LA over- and underspend it absorbed.

Costs of the levers (capital, block payments including voids, hub budget, RCC running costs) are
counted in ``cost_total_gbp`` and itemised in ``lever_costs_gbp``.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from rccsim.base.codes import Kind, Sector, UnitType

REGIONAL_NONE, REGIONAL_CAPITAL, REGIONAL_BLOCK = 0, 1, 2


class _Lever(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


# Plausible maxima. A setting beyond one is refused (one line naming the key): it is a typo, not a
# policy. They are set well beyond what one RCC could do, against England's whole market: about
# 2,900 children's homes with 11,000 places (Ofsted, 31 March 2023) and 36,000 fostering
# households (Ofsted, 31 March 2022); the pathfinders' funding is a few million pounds a year.
MAX_GBP = 1.0e9  # any one sum of money: GBP 1bn
MAX_BEDS = 5_000  # beds one RCC reserves: about half of England's places in children's homes
MAX_CAPITAL_HOMES = 1_000  # homes one capital programme builds (capital_gbp / cost_per_home_gbp)


class SingleCustomer(_Lever):
    bargaining_power: float = Field(0.5, ge=0.0, le=1.0)


class SharedPlacements(_Lever):
    host_reserve: int = Field(0, ge=0, le=10_000)  # free places kept, per pool and need level


class CapitalHomes(_Lever):
    capital_gbp: float = Field(5_000_000.0, ge=0.0, le=MAX_GBP)
    cost_per_home_gbp: float = Field(1_250_000.0, ge=50_000.0, le=50_000_000.0)
    places: int = Field(4, ge=1, le=12)
    max_need: int = Field(2, ge=0, le=2)
    build_days: int = Field(540, ge=0, le=3650)

    @model_validator(mode="after")
    def _homes(self):
        n = int(self.capital_gbp // self.cost_per_home_gbp)
        if n > MAX_CAPITAL_HOMES:
            raise ValueError(f"capital_gbp / cost_per_home_gbp builds {n:,} homes; at most {MAX_CAPITAL_HOMES:,} "
                             "(England has about 2,900 children's homes)")
        return self


class FosteringHub(_Lever):
    budget_gbp_per_year: float = Field(1_000_000.0, ge=0.0, le=MAX_GBP)
    recruitment_share: float = Field(0.6, ge=0.0, le=1.0)
    cost_per_approval_gbp: float = Field(25_000.0, ge=100.0, le=MAX_GBP)
    assessment_lag_factor: float = Field(0.75, gt=0.0, le=1.0)
    support_cost_per_carer_gbp: float = Field(2_000.0, ge=10.0, le=MAX_GBP)
    support_leave_reduction: float = Field(0.25, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _approvals(self):
        n = self.budget_gbp_per_year * self.recruitment_share / self.cost_per_approval_gbp
        if n > 10_000:
            raise ValueError(f"the hub's budget buys {n:,.0f} approvals a year; at most 10,000 (England approves about "
                             "4,000 households a year)")
        return self


class BlockContracts(_Lever):
    beds: int = Field(20, ge=0, le=MAX_BEDS)
    discount: float = Field(0.10, ge=0.0, lt=1.0)


class ForecastLed(_Lever):
    cover_share: float = Field(0.5, ge=0.0, le=1.0)
    max_beds: int = Field(40, ge=0, le=MAX_BEDS)
    discount: float = Field(0.10, ge=0.0, lt=1.0)


class PooledBudget(_Lever):
    share: float = Field(1.0, ge=0.0, le=1.0)


class Levers(_Lever):
    """The scenario's ``levers:`` section; a lever absent is off."""

    single_customer: SingleCustomer | None = None
    shared_placements: SharedPlacements | None = None
    capital_homes: CapitalHomes | None = None
    fostering_hub: FosteringHub | None = None
    block_contracts: BlockContracts | None = None
    forecast_led: ForecastLed | None = None
    pooled_budget: PooledBudget | None = None
    rcc_running_cost_gbp_per_year: float = Field(0.0, ge=0.0, le=MAX_GBP)

    def active(self) -> list[str]:
        return [name for name in ("single_customer", "shared_placements", "capital_homes", "fostering_hub",
                                  "block_contracts", "forecast_led", "pooled_budget") if getattr(self, name) is not None]


# --------------------------------------------------------------------------------------------
# Who searches, over whose vacancies, at what price
# --------------------------------------------------------------------------------------------

class RegionalPolicy:
    """The search policy with the RCC's levers (see :class:`rccsim.core.market.SearchPolicy`)."""

    def __init__(self, model, levers: Levers):
        self.model = model
        self.n_la = model.geo.n
        self.levers = levers
        self.members = np.zeros(self.n_la, dtype=bool)
        self.members[model.rcc.member_index] = True
        self.member_list = np.flatnonzero(self.members)
        self.single = levers.single_customer
        self.shared = levers.shared_placements is not None
        self.host_reserve = levers.shared_placements.host_reserve if self.shared else 0
        self.rcc_buyer = self.n_la  # buyer id of the RCC

    def buyer(self, la: np.ndarray) -> np.ndarray:
        if self.single is None:
            return la
        return np.where(self.members[la], self.rcc_buyer, la)

    def own_pools(self, market, la: np.ndarray) -> np.ndarray:
        from rccsim.core.market import PoolType

        n = len(la)
        cols = [market.pool_id(PoolType.LA_FOSTER, la)[:, None], market.pool_id(PoolType.LA_HOME, la)[:, None]]
        extra = []
        if self.shared:
            extra += [market.pool_id(PoolType.LA_FOSTER, self.member_list), market.pool_id(PoolType.LA_HOME, self.member_list)]
        hosts = market.regional_areas()
        if len(hosts):
            extra.append(market.pool_id(PoolType.REGIONAL, hosts))
        if self.single is not None:
            # one regional referral: the independent provision of every member LA is in view
            extra += [market.pool_id(t, self.member_list) for t in (PoolType.IFA_FOSTER, PoolType.IND_HOME, PoolType.SUPPORTED)]
        if extra:
            ext = np.concatenate(extra)
            # non-members see none of it: their copies point at their own LA's foster pool again
            own_fallback = market.pool_id(PoolType.LA_FOSTER, la)[:, None]
            cols.append(np.where(self.members[la][:, None], ext[None, :], own_fallback))
        return np.concatenate(cols, axis=1) if n else np.empty((0, 2), dtype=np.int64)

    def in_own_list(self, market, la: np.ndarray):
        """Members' own lists hold every member LA's independent pools under a single customer."""
        if self.single is None:
            return None
        if getattr(self, "_member_market_pools", None) is None:  # the members never change
            from rccsim.core.market import MARKET_TYPES

            pools = np.zeros(market.n_pools, dtype=bool)
            for t in MARKET_TYPES:
                pools[market.pool_id(t, self.member_list)] = True
            self._member_market_pools = pools
        return self.members[la], self._member_market_pools

    def is_own(self, market, pools: np.ndarray, la: np.ndarray) -> np.ndarray:
        """Pools the buyer treats as its own provision (shape of ``pools``)."""
        from rccsim.core.market import PoolType

        owner = market.pool_owner[pools]
        own = owner == la[:, None]
        member = self.members[la][:, None]
        if self.shared:
            own |= member & (owner >= 0) & self.members[np.maximum(owner, 0)]
        own |= member & (market.pool_type[pools] == PoolType.REGIONAL)
        return own

    def negotiate(self, market, quote: np.ndarray, floor: np.ndarray, pools: np.ndarray, buyer: np.ndarray) -> np.ndarray:
        """The price agreed: the RCC as single customer takes part of the margin where the
        provider's local market has spare places."""
        if self.single is None or self.single.bargaining_power <= 0:
            return quote
        occ = getattr(market, "occupancy", None)
        if occ is None:
            return quote
        spare = np.clip(1.0 - occ[pools], 0.0, 1.0)
        concession = self.single.bargaining_power * spare * np.maximum(quote - floor, 0.0)
        return np.where(buyer == self.rcc_buyer, quote - concession, quote)


# --------------------------------------------------------------------------------------------
# Provision the RCC adds: capital homes, block contracts
# --------------------------------------------------------------------------------------------

def setup(model) -> None:
    """Put the scenario's levers in place at the start date."""
    levers: Levers = model.scenario.levers
    model.lever_costs = {}  # item -> array of GBP by run year
    if not levers.active():
        if levers.rcc_running_cost_gbp_per_year:
            _charge_yearly(model, "rcc_running", levers.rcc_running_cost_gbp_per_year)
        return
    model.market.policy = RegionalPolicy(model, levers)
    if levers.rcc_running_cost_gbp_per_year:
        _charge_yearly(model, "rcc_running", levers.rcc_running_cost_gbp_per_year)
    if levers.capital_homes is not None:
        _plan_capital_homes(model, levers.capital_homes)
    if levers.block_contracts is not None:
        _contract_blocks(model, levers.block_contracts, day=0)
    if levers.fostering_hub is not None and levers.fostering_hub.budget_gbp_per_year > 0:
        _charge_yearly(model, "fostering_hub", levers.fostering_hub.budget_gbp_per_year)
    if levers.forecast_led is not None and levers.forecast_led.max_beds > 0 and levers.forecast_led.cover_share > 0:
        model.env.process(_forecast_cycle(model, levers.forecast_led))


def _charge(model, item: str, year_index: int, amount: float) -> None:
    arr = model.lever_costs.setdefault(item, np.zeros(model.years))
    arr[year_index] += amount


def _charge_yearly(model, item: str, amount: float) -> None:
    for k in range(model.years):
        _charge(model, item, k, amount)


def far_residential_by_la(model) -> np.ndarray:
    """Children of each LA in independent homes more than 20 miles from home (now)."""
    c = model.children
    n = c.n
    far = c.in_care[:n] & (c.kind[:n] == Kind.HOME_IND) & (c.distance[:n] > 20.0)
    return np.bincount(c.la[:n][far], minlength=model.geo.n).astype(float)


def _plan_capital_homes(model, cfg: CapitalHomes) -> None:
    n_homes = int(cfg.capital_gbp // cfg.cost_per_home_gbp)
    if n_homes <= 0:
        return
    members = model.rcc.member_index
    need = far_residential_by_la(model)[members]
    hosts = []
    for _ in range(n_homes):
        i = int(np.argmax(need))  # ties: the first member in the list
        hosts.append(int(members[i]))
        need[i] -= cfg.places
    _charge(model, "capital", 0, n_homes * cfg.cost_per_home_gbp)
    model.capital_home_hosts = hosts
    model.env.process(_build(model, hosts, cfg))


def _build(model, hosts: list[int], cfg: CapitalHomes):
    """SimPy process: the homes open together after the build and registration lag, each at a
    postcode of its host LA drawn from the RCC's own stream (so other draws are untouched)."""
    yield model.wait_until(int(model.env.now) + cfg.build_days)
    las = np.array(hosts, dtype=np.int64)
    k = len(las)
    model.open_units(-1 - las, np.full(k, UnitType.HOME), las, np.full(k, cfg.places), np.full(k, cfg.max_need),
                     int(model.env.now), regional=REGIONAL_CAPITAL, site_stream="rcc_sites")


def _contract_blocks(model, cfg: BlockContracts | ForecastLed, day: int, beds: int | None = None) -> None:
    beds_wanted = cfg.beds if beds is None else beds
    if beds_wanted <= 0:
        return
    u, geo = model.units, model.geo
    n = u.n
    members = model.rcc.member_index
    near = np.unique(geo.neighbours[members, :3])
    # homes with none of the run's children in them (their placements were bought before, at
    # their own price); a background child in a chosen home moves on as the RCC takes it over
    homes = np.flatnonzero(u.open[:n] & (u.utype[:n] == UnitType.HOME) & (u.sector[:n] != Sector.LA)
                           & np.isin(u.la[:n], near) & (u.regional[:n] == REGIONAL_NONE) & (u.occupied[:n] == 0))
    if len(homes) == 0:
        return
    free = u.free()[homes]
    # most free places first, then the nearest to a member (members' own homes first)
    in_member = np.isin(u.la[homes], members)
    order = np.lexsort((homes, ~in_member, -free))
    chosen, beds = [], 0
    for h in homes[order].tolist():
        if beds >= beds_wanted:
            break
        chosen.append(h)
        beds += int(u.places[h])
    chosen = np.array(chosen, dtype=np.int64)
    market = model.market
    need0 = np.zeros(len(chosen), dtype=np.int64)
    fee = market.list_price[u.pool[chosen]] * market.need_mult[3, need0] * (1.0 - cfg.discount) * u.places[chosen]
    u.bg_occupied[chosen] = 0
    market.move_to_regional(chosen, REGIONAL_BLOCK)
    # GBP a week per home from the day contracted, paid whether used or not
    model.block_units = np.concatenate([getattr(model, "block_units", np.empty(0, dtype=np.int64)), chosen])
    model.block_fee = np.concatenate([getattr(model, "block_fee", np.empty(0)), fee])
    model.block_from = np.concatenate([getattr(model, "block_from", np.empty(0, dtype=np.int64)),
                                       np.full(len(chosen), day, dtype=np.int64)])


def _forecast_cycle(model, cfg: ForecastLed):
    """SimPy process: yearly, contract beds ahead of the forecast need for children's homes."""
    year = 1
    while year < model.years:
        yield model.wait_until(int(model.year_bounds[year]))
        day = int(model.env.now)
        beds = forecast_beds(model, cfg, day)
        if beds > 0:
            _contract_blocks(model, cfg, day, beds=beds)
        year += 1


def forecast_beds(model, cfg: ForecastLed, day: int) -> int:
    """Beds to contract now: the cover share of next year's forecast need for children's homes
    beyond the public beds members already fill, less the beds the RCC already holds, within the
    cap. The forecast: members' children in children's homes today, grown by the trend in
    members' entries into care (last year over the year before)."""
    c, u = model.children, model.units
    n = c.n
    members = np.zeros(model.geo.n, dtype=bool)
    members[model.rcc.member_index] = True
    mine = c.in_care[:n] & members[c.la[:n]]
    kind = c.kind[:n]
    in_homes = float((mine & np.isin(kind, [Kind.HOME_LA, Kind.HOME_IND])).sum())
    unit = c.unit[:n]
    public = mine & (unit >= 0) & ((kind == Kind.HOME_LA) | (u.regional[np.maximum(unit, 0)] > 0))
    entered = c.entered[:n]
    new = ~c.initial[:n] & members[c.la[:n]]
    recent = float((new & (entered >= day - 365) & (entered < day)).sum())
    before = float((new & (entered >= day - 730) & (entered < day - 365)).sum())
    trend = recent / before if before > 0 else 1.0
    forecast = in_homes * trend
    held = getattr(model, "block_units", np.empty(0, dtype=np.int64))
    held_beds = float(u.places[held].sum()) if len(held) else 0.0
    want = cfg.cover_share * max(forecast - float(public.sum()), 0.0) - held_beds
    return int(max(0, min(want, cfg.max_beds - held_beds)))


def block_costs(model) -> tuple[np.ndarray, np.ndarray]:
    """Block payments and the part of them that paid for empty beds (voids), by run year."""
    years = model.years
    paid = np.zeros(years)
    ids = getattr(model, "block_units", None)
    voids = np.asarray(getattr(model, "block_voids", np.zeros(years)), dtype=float)
    if ids is None or len(ids) == 0:
        return paid, np.zeros(years)
    u = model.units
    open_to = np.where(u.closed[ids] < 0, model.horizon, u.closed[ids]).astype(np.int64)
    for k in range(years):
        y0, y1 = int(model.year_bounds[k]), int(model.year_bounds[k + 1])
        days = np.maximum(np.minimum(open_to, y1) - np.maximum(y0, model.block_from), 0)
        paid[k] = float((model.block_fee * days / 7.0).sum())
    return paid, np.minimum(voids, paid)


SAMPLE_DAYS = 30


def sample_block_fill(model, day: int) -> None:
    """Every 30 days: the block payments of the last 30 days that paid for empty beds."""
    ids = getattr(model, "block_units", None)
    if ids is None or len(ids) == 0:
        return
    u = model.units
    held = (model.block_from <= day) & u.open[ids]
    empty = 1.0 - np.clip((u.occupied[ids] + u.bg_occupied[ids]) / np.maximum(u.places[ids], 1), 0.0, 1.0)
    k = min(model.year_of_day(day), model.years) - 1
    if not hasattr(model, "block_voids"):
        model.block_voids = np.zeros(model.years)
    model.block_voids[k] += float((model.block_fee * empty * held).sum() * SAMPLE_DAYS / 7.0)


# --------------------------------------------------------------------------------------------
# Fostering hub
# --------------------------------------------------------------------------------------------

def hub_applications(model) -> np.ndarray:
    """This month's extra LA applications from the hub's recruitment budget (LA indices)."""
    cfg = model.scenario.levers.fostering_hub
    if cfg is None or cfg.budget_gbp_per_year <= 0:
        return np.empty(0, dtype=np.int64)
    members = model.rcc.member_index
    per_year = cfg.budget_gbp_per_year * cfg.recruitment_share / cfg.cost_per_approval_gbp
    pop = model.geo.population_0_17[members]
    lam = per_year / 12.0 * pop / pop.sum()
    counts = model.streams["hub"].poisson(lam)
    return np.repeat(members, counts).astype(np.int64)


def hub_leave_factor(model, owner_la: np.ndarray) -> np.ndarray:
    """Multiplier on the leaving rate of LA households (1 outside the hub's members)."""
    cfg = model.scenario.levers.fostering_hub
    if cfg is None or cfg.budget_gbp_per_year <= 0:
        return np.ones(len(owner_la))
    u = model.units
    n = u.n
    members = model.rcc.member_index
    hh = u.open[:n] & (u.utype[:n] == UnitType.FOSTER) & ~u.kinship[:n] & (u.sector[:n] == Sector.LA)
    member_hh = int((hh & np.isin(u.owner_la[:n], members)).sum())
    supported = cfg.budget_gbp_per_year * (1 - cfg.recruitment_share) / cfg.support_cost_per_carer_gbp
    coverage = min(1.0, supported / max(member_hh, 1))
    inside = np.isin(owner_la, members)
    return np.where(inside, 1.0 - cfg.support_leave_reduction * coverage, 1.0)
