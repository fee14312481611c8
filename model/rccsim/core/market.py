"""The placement market: who searches, over whose vacancies, and what it costs.

Vacancies sit in *pools*. A pool is either one LA's own provision (its approved foster carers, its
own children's homes), wherever the units are, or the independent provision of one type located
in one LA (agency foster carers, private and voluntary children's homes, supported
accommodation). Each pool keeps its free places by the need level they can meet and a list of
units that may have a free place.

Every day the children who need a placement are matched in rounds, like referrals circulating:

1. Each referral is sent to its few best pools (the *circulation*): the buyer ranks pools by the
   price it expects to pay, its distance from the child's home and how well the kind of placement
   fits the care plan, preferring its own provision. Public provision that the RCC's levers add to
   a member's list (other members' carers and homes under shared placements, the RCC's own homes)
   is checked on a regional register alongside, without using up the circulation: a long list of
   shared provision that cannot take the child does not keep it from the market.
2. Each independent pool sees how many distinct buyers are chasing its free places and raises its
   quote when several chase the same few places (scarcity pricing). It ranks the referrals by the
   margin they promise (price less the cost and risk of meeting the child's needs) and accepts the
   best it has room for, refusing any whose margin is negative (cherry-picking). LA provision
   takes its own children in order of waiting time (and, under shared placements, other members'
   children after its own).
3. A child with several offers takes the one the buyer ranks best; the placement goes to the
   nearest suitable unit in the pool.

Referrals not placed within the LA's neighbourhood are searched again across England; children
still without a place go to an emergency or unregistered setting at a high price and are searched
for again each week.

What the RCC levers change is concentrated in :class:`SearchPolicy`: who the buyer is, which
pools count as own provision, and how much purchasing weight a buyer brings to a price. The
levers switch its mechanisms on; the market never asks which lever did.
"""

from __future__ import annotations

import numpy as np

from rccsim.base.codes import (
    FLAG_EXPLOITATION,
    FLAG_JUSTICE,
    FLAG_MENTAL_HEALTH,
    FLAG_SOLO,
    N_NEEDS,
    YOUNGER_UNDER_AGE,
    Focus,
    Kind,
    Need,
    Sector,
    UnitType,
)
from rccsim.base.tables import weighted_bincount
from rccsim.core import children as ch
from rccsim.core.placements import member, per_child
from rccsim.inputs.geography import miles

RISK_FLAGS = FLAG_JUSTICE | FLAG_EXPLOITATION  # a home matches these against the children it has


class PoolType:
    LA_FOSTER = 0
    IFA_FOSTER = 1
    LA_HOME = 2
    IND_HOME = 3
    SUPPORTED = 4
    REGIONAL = 5  # homes the RCC built or holds on block contract (by the LA they are in)


N_POOL_TYPES = 6
POOL_KIND = np.array([Kind.FOSTER_LA, Kind.FOSTER_IFA, Kind.HOME_LA, Kind.HOME_IND, Kind.SUPPORTED, Kind.HOME_LA], dtype=np.int64)
OWN_TYPES = (PoolType.LA_FOSTER, PoolType.LA_HOME)
_NEED_LEVELS = np.arange(N_NEEDS)
# pool type by [unit type, run by an LA]
_POOL_OF = np.array([
    [PoolType.IFA_FOSTER, PoolType.LA_FOSTER],
    [PoolType.IND_HOME, PoolType.LA_HOME],
    [PoolType.SUPPORTED, PoolType.SUPPORTED],
], dtype=np.int64)
MARKET_TYPES = (PoolType.IFA_FOSTER, PoolType.IND_HOME, PoolType.SUPPORTED)


def _repeats(pools: np.ndarray) -> np.ndarray:
    """True where a row's pool already appeared earlier in that row (shape of ``pools``)."""
    if pools.shape[1] < 2:
        return np.zeros(pools.shape, dtype=bool)
    order = np.argsort(pools, axis=1, kind="stable")
    srt = np.take_along_axis(pools, order, axis=1)
    rep = np.zeros(pools.shape, dtype=bool)
    rep[:, 1:] = srt[:, 1:] == srt[:, :-1]
    out = np.zeros(pools.shape, dtype=bool)
    np.put_along_axis(out, order, rep, axis=1)
    return out


class SearchPolicy:
    """Who searches, over whose vacancies, at what price.

    The default is today's market: every LA buys for itself, sees only its own provision (and the
    homes the RCC holds, if any) as its own, and brings no purchasing weight beyond its own
    referral. Policy levers switch on the mechanisms below for the RCC's members; the market
    never asks which lever did.

    * :meth:`buy_as_one`: members' referrals have one buyer, see the independent provision of
      every member, and the buyer negotiates part of the margin where places are spare.
    * :meth:`share_in_house`: members' in-house carers and homes take every member's children
      (their own LA's first), keeping ``host_reserve`` free places for the owner's children.
    * Homes the RCC holds (built or on block contract: units with ``regional`` set) are own
      provision for every member.
    """

    def __init__(self, n_la: int, members: np.ndarray | None = None):
        self.n_la = n_la
        self.members = np.zeros(n_la, dtype=bool)
        if members is not None:
            self.members[members] = True
        self.member_list = np.flatnonzero(self.members)
        self.single = False
        self.bargaining_power = 0.0
        self.shared = False
        #: free in-house places an LA keeps for its own children before it takes another member's
        #: (shared placements only: alone, an LA's provision takes no one else's children)
        self.host_reserve = 0
        self.rcc_buyer = n_la  # buyer id of the members buying as one
        self._member_market_pools = None
        #: RCC-held beds are filled as a regional panel fills them (:meth:`admit_by_panel`)
        self.panel = False
        #: what a member pays a week for a child in an RCC-held bed (None: the bed's running cost)
        self.recharge_gbp: float | None = None

    def buy_as_one(self, bargaining_power: float) -> None:
        self.single = True
        self.bargaining_power = float(bargaining_power)

    def share_in_house(self, host_reserve: int) -> None:
        self.shared = True
        self.host_reserve = int(host_reserve)

    def admit_by_panel(self, recharge_gbp: float | None = None) -> None:
        """RCC-held beds take only the children a regional panel would admit (:meth:`Market.panel`),
        and members pay ``recharge_gbp`` a week for each child there (None: cost recovery)."""
        self.panel = True
        self.recharge_gbp = recharge_gbp

    def buyer(self, la: np.ndarray) -> np.ndarray:
        """The buying body for referrals from ``la`` (an LA index, or the members' shared buyer id)."""
        if not self.single:
            return la
        return np.where(self.members[la], self.rcc_buyer, la)

    def own_pools(self, market: Market, la: np.ndarray) -> np.ndarray:
        """Pools each referral's buyer treats as its own provision, shape (n, k)."""
        n = len(la)
        cols = [market.pool_id(PoolType.LA_FOSTER, la)[:, None], market.pool_id(PoolType.LA_HOME, la)[:, None]]
        extra = []
        if self.shared:
            extra += [market.pool_id(PoolType.LA_FOSTER, self.member_list), market.pool_id(PoolType.LA_HOME, self.member_list)]
        hosts = market.regional_areas()
        if len(hosts):
            extra.append(market.pool_id(PoolType.REGIONAL, hosts))
        if self.single:
            # one regional referral: the independent provision of every member LA is in view
            extra += [market.pool_id(t, self.member_list) for t in MARKET_TYPES]
        if extra:
            ext = np.concatenate(extra)
            # non-members see none of it: their copies point at their own LA's foster pool again
            own_fallback = market.pool_id(PoolType.LA_FOSTER, la)[:, None]
            cols.append(np.where(self.members[la][:, None], ext[None, :], own_fallback))
        return np.concatenate(cols, axis=1) if n else np.empty((0, 2), dtype=np.int64)

    def in_own_list(self, market: Market, la: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """Independent pools some rows' own lists already hold (so the market search skips them).

        Returns ``(rows, pools)``: which referrals from ``la`` (bool, per row) hold which pools
        (bool, per pool) among their own; ``None`` when own lists hold no independent pool.
        """
        if not self.single:
            return None
        if self._member_market_pools is None:  # the members never change
            pools = np.zeros(market.n_pools, dtype=bool)
            for t in MARKET_TYPES:
                pools[market.pool_id(t, self.member_list)] = True
            self._member_market_pools = pools
        return self.members[la], self._member_market_pools

    def is_own(self, market: Market, pools: np.ndarray, la: np.ndarray) -> np.ndarray:
        """Whether each candidate pool (rows: referrals from ``la``) is the buyer's own provision."""
        owner = market.pool_owner[pools]
        own = owner == la[:, None]
        member = self.members[la][:, None]
        if self.shared:
            own |= member & (owner >= 0) & self.members[np.maximum(owner, 0)]
        own |= member & (market.pool_type[pools] == PoolType.REGIONAL)
        return own

    def negotiate(self, market: Market, quote: np.ndarray, floor: np.ndarray, pools: np.ndarray, buyer: np.ndarray) -> np.ndarray:
        """The price agreed for each offer: an LA alone takes the price it is given; members
        buying as one take part of the margin where the provider's local market has spare places."""
        if not self.single or self.bargaining_power <= 0:
            return quote
        occ = getattr(market, "occupancy", None)
        if occ is None:
            return quote
        spare = np.clip(1.0 - occ[pools], 0.0, 1.0)
        concession = self.bargaining_power * spare * np.maximum(quote - floor, 0.0)
        return np.where(buyer == self.rcc_buyer, quote - concession, quote)


class Market:
    """Pools of vacancies and the daily matching of referrals to them."""

    def __init__(self, model):
        self.model = model
        self._mix: np.ndarray | None = None  # children at risk in each home (_risk_mix), during a search
        self.geo = model.geo
        p = model.p
        n_la = self.geo.n
        self.n_la = n_la
        self.n_pools = N_POOL_TYPES * n_la
        self.pool_type = np.repeat(np.arange(N_POOL_TYPES), n_la)
        self.pool_area = np.tile(np.arange(n_la), N_POOL_TYPES)
        self.pool_kind = POOL_KIND[self.pool_type]
        own = np.isin(self.pool_type, OWN_TYPES)
        self.pool_owner = np.where(own, self.pool_area, -1)
        # publicly run or RCC-held: no scarcity markup, referrals taken in order of waiting time
        self.pool_public = own | (self.pool_type == PoolType.REGIONAL)
        self.cap = np.zeros((self.n_pools, N_NEEDS), dtype=np.int64)
        # per pool and need level: units that can meet that need and may have a free place
        # (entries are removed lazily when found full)
        self.freelist: list[list[list[int]]] = [[[] for _ in range(N_NEEDS)] for _ in range(self.n_pools)]
        self.policy = SearchPolicy(n_la)
        self.focused = False  # some RCC home is for some children only (codes.Focus)
        self._dirty: list[np.ndarray] = []  # units changed since the market last looked

        # prices: list price per pool (independent pools) or LA cost per child (own pools)
        pr = p.prices
        hp = self.geo.las.house_price.to_numpy(float)
        area = 1.0 + pr.area_price_elasticity * np.log(hp / np.median(hp))
        # RCC homes (built or block-contracted): the running cost is paid whole, each child costs
        # the marginal amount, as in an LA's own homes
        base = np.array([pr.la_foster_gbp, pr.ifa_foster_gbp, pr.la_home_marginal_gbp, pr.ind_home_gbp, pr.supported_gbp,
                         pr.la_home_marginal_gbp])
        public = self.pool_public
        self.list_price = base[self.pool_type] * np.where(public, 1.0, area[self.pool_area])
        self._home_base = self.list_price.copy()  # the start's list prices, which homes' prices are aimed from
        # what public placements are worth (the local independent list price), for judging referrals
        ind_type = np.where(self.pool_type == PoolType.LA_FOSTER, PoolType.IFA_FOSTER, PoolType.IND_HOME)
        self.own_value = np.where(public, base[ind_type] * area[self.pool_area], 0.0)
        self.need_mult = np.array([pr.need_multiplier_foster, pr.need_multiplier_foster,
                                   pr.need_multiplier_home, pr.need_multiplier_home, pr.need_multiplier_supported,
                                   pr.need_multiplier_home])
        self.serve_cost = np.array([pr.serve_cost_foster_gbp, pr.serve_cost_foster_gbp,
                                    pr.serve_cost_home_gbp, pr.serve_cost_home_gbp, pr.serve_cost_supported_gbp,
                                    pr.serve_cost_home_gbp])
        self._build_candidates()

    # -- pools and capacity ----------------------------------------------------------------------
    def pool_id(self, ptype: int, area: np.ndarray) -> np.ndarray:
        return ptype * self.n_la + np.asarray(area)

    def pool_of_units(self, ids: np.ndarray) -> np.ndarray:
        """The pool each unit belongs to (-1: not in the market, e.g. kinship carers)."""
        u = self.model.units
        utype, sector = u.utype[ids], u.sector[ids]
        la_owned = sector == Sector.LA
        ptype = _POOL_OF[utype.astype(np.int64), la_owned.astype(np.int64)]
        area = np.where(la_owned & (utype != UnitType.SUPPORTED), u.owner_la[ids], u.la[ids])
        regional = u.regional[ids] > 0
        ptype = np.where(regional, PoolType.REGIONAL, ptype)
        area = np.where(regional, u.la[ids], area)
        pool = ptype * self.n_la + area
        return np.where(u.kinship[ids], -1, pool)

    def regional_areas(self) -> np.ndarray:
        """LAs that hold RCC homes (built or on block contract)."""
        return getattr(self, "_regional_areas", np.empty(0, dtype=np.int64))

    def move_to_regional(self, ids: np.ndarray, how: int) -> None:
        """Units pass to the RCC (block contract): out of their pool, into the RCC's."""
        self._repool(ids, how)

    def release_regional(self, ids: np.ndarray) -> None:
        """Units leave the RCC (a block contract ended): out of its pool, back into their market's.
        The children in them stay; new ones are placed there at the market's price."""
        ids = np.asarray(ids, dtype=np.int64)
        u = self.model.units
        pools = np.unique(u.pool[ids]).tolist()
        recharge = getattr(self, "_recharge", {})
        for unit in ids.tolist():
            recharge.pop(unit, None)
        self._repool(ids, 0)
        for pool in pools:  # the RCC's pools charge the mean of the units left in them
            prices = [v for k, v in recharge.items() if u.pool[k] == pool]
            if prices:
                self.list_price[pool] = float(np.mean(prices))

    def _repool(self, ids: np.ndarray, how: int) -> None:
        self.flush()
        u = self.model.units
        ids = np.asarray(ids, dtype=np.int64)
        old = u.pool[ids]
        counted = self._counted[ids]
        for k in range(N_NEEDS):
            m = u.max_need[ids] >= k
            np.add.at(self.cap[:, k], old[m], -counted[m])
        self._counted[ids] = 0
        for unit, pl, top in zip(ids.tolist(), old.tolist(), u.max_need[ids].tolist()):
            self._free[unit] = 0
            for k in range(top + 1):
                lst = self.freelist[pl][k]
                if unit in lst:
                    lst.remove(unit)
        self._listed[ids] = False
        u.regional[ids] = how
        self.attach_units(ids)

    def price_regional(self, ids: np.ndarray, cost_per_place: np.ndarray) -> None:
        """Set what members pay a week for a child in RCC-held units ``ids`` (already regional): the
        policy's recharge, or the units' ``cost_per_place`` (cost recovery). A pool of several such
        units charges the mean of theirs."""
        u = self.model.units
        ids = np.asarray(ids, dtype=np.int64)
        cost = np.broadcast_to(np.asarray(cost_per_place, dtype=float), ids.shape)
        if not hasattr(self, "_recharge"):
            self._recharge: dict[int, float] = {}
        fixed = self.policy.recharge_gbp
        for unit, c in zip(ids.tolist(), cost.tolist()):
            self._recharge[unit] = float(c) if fixed is None else float(fixed)
        for pool in np.unique(u.pool[ids]).tolist():
            prices = [v for k, v in self._recharge.items() if u.pool[k] == pool]
            self.list_price[pool] = float(np.mean(prices))

    def touch(self, ids: np.ndarray) -> None:
        """Units ``ids`` changed; their places are recounted before the market next looks."""
        self._dirty.append(np.asarray(ids, dtype=np.int64))

    def flush(self) -> None:
        if self._dirty:
            ids = np.concatenate(self._dirty)
            self._dirty = []
            self.refresh(ids)

    def refresh(self, ids: np.ndarray) -> None:
        """Bring pool capacity and free lists up to date after units ``ids`` changed."""
        ids = np.asarray(ids, dtype=np.int64)
        if len(ids) == 0:
            return
        ids = np.array(sorted(set(ids.tolist())), dtype=np.int64) if len(ids) < 64 else np.unique(ids)
        u = self.model.units
        pool = u.pool[ids]
        ok = pool >= 0
        ids, pool = ids[ok], pool[ok]
        free = np.maximum(
            (u.places[ids] - u.unavailable[ids] - u.occupied[ids] - u.bg_occupied[ids] - u.staying_put[ids])
            * u.open[ids],
            0,
        ).astype(np.int64)
        delta = free - self._counted[ids]
        self._counted[ids] = free
        changed = delta != 0
        # the mirror equals the counts except for units the market has just filled (it ran
        # ahead of them, and their count changed too)
        fr = self._free
        for unit, f in zip(ids[changed].tolist(), free[changed].tolist()):
            fr[unit] = f
        if changed.any():
            # each unit's change counts for every need level up to the highest it meets
            pc, dc, mc = pool[changed], delta[changed], u.max_need[ids[changed]]
            if len(pc) <= 32:
                cap = self.cap
                for pl, d, top in zip(pc.tolist(), dc.tolist(), mc.tolist()):
                    cap[pl, : top + 1] += d
            else:
                np.add.at(self.cap, pc, dc[:, None] * (mc[:, None] >= _NEED_LEVELS))
        newly = (free > 0) & ~self._listed[ids]
        if newly.any():
            fl = self.freelist
            for unit, pl, top in zip(ids[newly].tolist(), pool[newly].tolist(), u.max_need[ids[newly]].tolist()):
                lists = fl[pl]
                for k in range(top + 1):
                    lists[k].append(unit)
            self._listed[ids[newly]] = True

    def _taken(self, units: list[int]) -> None:
        """:meth:`refresh` for units the market has just filled, one place per entry: each had a
        free place (the scan checked), so its count and its pool's capacity at every need level it
        meets fall by one (the free-place mirror already did, in :meth:`_assign`)."""
        u = self.model.units
        if len(units) <= 4:
            counted, cap, pool, top = self._counted, self.cap, u.pool, u.max_need
            for unit in units:
                counted[unit] -= 1
                cap[pool[unit], : top[unit] + 1] -= 1
            return
        ids = np.array(units, dtype=np.int64)
        np.subtract.at(self._counted, ids, 1)  # a unit can take more than one child
        np.subtract.at(self.cap, u.pool[ids], (u.max_need[ids][:, None] >= _NEED_LEVELS).astype(np.int64))

    def attach_units(self, ids: np.ndarray) -> None:
        """Register new units with the market (assign pools, count their free places)."""
        u = self.model.units
        self._ensure_size(u.n)
        # unit positions as Python floats: the unit scan reads them one at a time
        have = len(self._east)
        if u.n > have:
            self._east.extend(u.east[have: u.n].tolist())
            self._north.extend(u.north[have: u.n].tolist())
        u.pool[ids] = self.pool_of_units(ids)
        regional = ids[u.regional[ids] > 0]
        if len(regional):
            self._regional_areas = np.union1d(self.regional_areas(), u.la[regional].astype(np.int64))
            self.focused |= bool((u.focus[regional] > 0).any())
        self.refresh(ids)

    def _ensure_size(self, n: int) -> None:
        if not hasattr(self, "_counted"):
            self._counted = np.zeros(0, dtype=np.int64)
            self._listed = np.zeros(0, dtype=bool)
            self._east: list[float] = []
            self._north: list[float] = []
            self._free: list[int] = []  # _counted, run ahead by the unit scan (Python ints: read one at a time)
        if len(self._counted) < n:
            grow = max(n, 2 * len(self._counted))
            self._counted = np.concatenate([self._counted, np.zeros(grow - len(self._counted), dtype=np.int64)])
            self._listed = np.concatenate([self._listed, np.zeros(grow - len(self._listed), dtype=bool)])
            self._free.extend([0] * (grow - len(self._free)))

    # -- candidate pools per LA --------------------------------------------------------------------
    def _build_candidates(self) -> None:
        k = int(min(self.model.p.market.neighbour_las, self.n_la))
        near = self.geo.neighbours[:, :k]  # (n_la, k)
        self.near_las = near
        cols = [self.pool_id(t, near) for t in MARKET_TYPES]
        self.near_pools = np.concatenate(cols, axis=1)  # one block of the k LAs per market type
        every = np.arange(self.n_la)
        self.wide_pools = np.concatenate([self.pool_id(t, every) for t in MARKET_TYPES])

    # -- matching --------------------------------------------------------------------------------
    def clear(self, ids: np.ndarray, day, pen: np.ndarray | None = None, initial: bool = False) -> np.ndarray:
        """Place as many of children ``ids`` as the market allows; returns those left unplaced
        (in the order of ``ids``).

        Args:
            ids: children needing a placement (distinct).
            day: the day each child needs its placement (one for all, or one per child); a
                placement found is dated on that day.
            pen: care-plan penalties per kind (defaults to :func:`children.care_plan`).
            initial: building the start state (no scarcity markup, providers keep the children
                they already have).
        """

        if len(ids) == 0:
            return ids
        model = self.model
        c = model.children
        self.flush()
        day = per_child(day, ids)
        if pen is None:
            pen = ch.care_plan(model, ids, day)
        la = c.la[ids].astype(np.int64)
        own = self.policy.own_pools(self, la)
        # a pool appears once in a child's list: repeats in its own list, and the pools of the
        # market search that its own list already holds (RCC levers), are skipped
        own_skip = _repeats(own)
        covered = self.policy.in_own_list(self, la)
        near = self.near_pools[la]
        skip = np.concatenate([own_skip, covered[0][:, None] & covered[1][near]], axis=1) if covered else None
        if skip is None and own_skip.any():
            skip = np.concatenate([own_skip, np.zeros(near.shape, dtype=bool)], axis=1)
        placed: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._mix = None if initial else self._risk_mix()
        # first the nearest LAs' pools, then every pool with a free place for those left
        cand = np.concatenate([own, near], axis=1)
        # how far each pool is from the child's home: to the centre of the pool's LA (a child
        # in the north of a large county is nearer its own county's centre than a town beyond
        # its southern edge; the LA's own spread would make every neighbour look nearer)
        home_e, home_n = c.home_e[ids], c.home_n[ids]
        own_dist = self._pool_miles(home_e, home_n, own)
        # the near pools are the same k LAs for each market type: their miles once, repeated
        near_miles = self._la_miles(home_e, home_n, self.near_las[la])
        dist = np.concatenate([own_dist, np.tile(near_miles, (1, len(MARKET_TYPES)))], axis=1)
        now = int(day.max())
        left = self._rounds(ids, cand, dist, pen, now, initial, placed, skip)
        if len(left):
            keep = member(ids, left)
            left = ids[keep]
            own_l = own[keep]
            # pools with a free place for the least needy child left (the others could take none)
            low = int(model.children.need[left].min())
            open_pools = self.wide_pools[self.cap[self.wide_pools, low] > 0]
            wide = np.broadcast_to(open_pools, (len(left), len(open_pools)))
            cand_w = np.concatenate([own_l, wide], axis=1)
            dist_w = np.concatenate(
                [own_dist[keep], self._la_miles(home_e[keep], home_n[keep], np.arange(self.n_la)[None, :])[
                    :, self.pool_area[open_pools]]],
                axis=1,
            )
            skip_w = None
            if covered:
                skip_w = np.concatenate([own_skip[keep], covered[0][keep][:, None] & covered[1][open_pools][None, :]], axis=1)
            elif own_skip.any():
                skip_w = np.concatenate([own_skip[keep], np.zeros(wide.shape, dtype=bool)], axis=1)
            left = self._rounds(left, cand_w, dist_w, pen[keep], now, initial, placed, skip_w, wide=True)
        if placed:
            # one batch for the whole search: the places were taken round by round
            who, units, price = (np.concatenate(parts) for parts in zip(*placed))
            order = np.argsort(ids)
            when = day[order[np.searchsorted(ids[order], who)]]
            model.placements.place(who, units, model.units.kind[units].astype(np.int64), price, when, initial=initial)
        return left

    def _la_miles(self, home_e: np.ndarray, home_n: np.ndarray, las: np.ndarray) -> np.ndarray:
        """Miles from each child's home (rows) to the centre of each LA of ``las`` (one row per
        child, or one row for all): the distance a pool of that LA is at, whatever its type."""
        return miles(home_e[:, None], home_n[:, None], self.geo.centroid_e[las], self.geo.centroid_n[las])

    def _pool_miles(self, home_e: np.ndarray, home_n: np.ndarray, pools: np.ndarray) -> np.ndarray:
        """Miles from each child's home (rows) to the centre of each pool's LA (``pools``: one
        row per child, or one row for all)."""
        area = self.pool_area[pools]
        return miles(home_e[:, None], home_n[:, None], self.geo.centroid_e[area], self.geo.centroid_n[area])

    def _rounds(self, ids, cand, dist, pen, day, initial, placed, skip=None, wide=False) -> np.ndarray:
        model = self.model
        p = model.p.market
        c = model.children
        n = len(ids)
        need = c.need[ids].astype(np.int64)
        child_la = c.la[ids].astype(np.int64)  # each referral's LA
        buyer = self.policy.buyer(child_la)
        pool_kind = self.pool_kind[cand]
        pool_type = self.pool_type[cand]
        regional = pool_type == PoolType.REGIONAL
        # an RCC bed's recharge is a price per place, whatever the child's needs (the home is
        # staffed for its highest)
        quote0 = self.list_price[cand] * np.where(regional, 1.0, self.need_mult[pool_type, need[:, None]])
        is_own = self.policy.is_own(self, cand, child_la)
        # distance weighs less in a search for a children's home: fewer homes will take the child
        # (market.home_distance_factor)
        per_mile = np.where(pool_type == PoolType.IND_HOME, p.distance_weight_gbp_per_mile * p.home_distance_factor,
                            p.distance_weight_gbp_per_mile)
        # an LA over its placement budget weighs price more against distance and fit
        # (rccsim.core.budgets; under a pooled budget, by the pot's overspend)
        price_factor = None if initial else model.budgets.price_factor(child_la)
        score = (
            (quote0 if price_factor is None else quote0 * price_factor[:, None])
            + per_mile * dist
            + pen[np.arange(n)[:, None], pool_kind]
            - np.where(is_own, p.own_provision_bonus_gbp, 0.0)
        )
        score[self.cap[cand, need[:, None]] <= 0] = np.inf
        if skip is not None:
            score[skip] = np.inf
        cmask = None
        if self.focused and not initial and regional.any():
            # an RCC home for some children (codes.Focus) is open to them only: a pool of RCC beds
            # is a candidate for a child if it has a free place that can meet the child's need in a
            # home for any child or for one of the child's kind (_assign then picks such a home)
            cmask = self._child_focus(ids, day)
            unfocused, focus_free = self._regional_focus()
            fits = unfocused[cand, need[:, None]] | ((focus_free[cand, need[:, None]] & cmask[:, None]) > 0)
            score[regional & ~fits] = np.inf
        urgent = None
        if self.policy.panel and not initial and regional.any():
            admit, urgent = self.panel(ids, cand, dist, score, regional, pen, last=wide)
            score[regional & ~admit[:, None]] = np.inf
        unmatched = np.ones(n, dtype=bool)
        m = int(max(1, min(p.circulation, cand.shape[1])))
        # the regional register: public pools in a child's list that are not its own LA's
        register = self.pool_public[cand] & (self.pool_owner[cand] != child_la[:, None])
        if skip is not None:
            register &= ~skip
        if not register.any():
            register = None
        risk = self._risk(ids, day)
        noise_rng = model.streams["acceptance"]
        for _ in range(int(p.rounds)):
            rows = np.flatnonzero(unmatched)
            sub = score[rows]
            # each child refers to its ``m`` best-scoring pools that can take it (in the order of
            # its candidate list; on a tie at the m-th score, the earlier candidates), and to every
            # pool on the regional register that can
            top = sub < np.inf
            if register is None:
                if sub.shape[1] > m:
                    top &= sub <= np.partition(sub, m - 1, axis=1)[:, m - 1: m]
                    top &= np.cumsum(top, axis=1) <= m
            elif sub.shape[1] - int(register.sum(axis=1).min()) > m:
                reg = register[rows]
                sub_m = np.where(reg, np.inf, sub)
                mk = top & ~reg
                mk &= sub_m <= np.partition(sub_m, m - 1, axis=1)[:, m - 1: m]
                mk &= np.cumsum(mk, axis=1) <= m
                top = mk | (top & reg)
            r, pcol = np.nonzero(top)
            if len(r) == 0:
                break
            prow = rows[r]
            pool = cand[prow, pcol]
            ptype = self.pool_type[pool]
            own_prop = self.pool_public[pool]
            free = self.cap[pool, 0]
            # scarcity: distinct buyers chasing this pool's free places in this round
            if initial:
                markup = np.zeros(len(pool))
            else:
                key = np.unique(pool.astype(np.int64) * 100_000 + buyer[prow])
                n_buyers = np.bincount(key // 100_000, minlength=self.n_pools)[pool]
                markup = np.minimum(p.max_markup, p.competition_markup * np.maximum(n_buyers - 1, 0) / np.maximum(free, 1))
                markup = np.where(own_prop, 0.0, markup)
            quote = quote0[prow, pcol] * (1.0 + markup)
            # providers rank referrals by margin and refuse those that do not pay; the LA's own
            # carers and homes judge a referral the same way, valuing the placement at the local
            # independent price (they too decline children they cannot manage), and take the
            # children they accept in order of waiting time
            if initial:
                # the start state: a pool asked by more children than it has places keeps those in
                # care longest (placed when fewer children were looking), not the ones listed first
                margin = np.where(own_prop, np.inf, 1e6 + (day - c.entered[ids[prow]]))
            else:
                cost = self.serve_cost[ptype, need[prow]] + p.risk_cost_gbp * risk[prow]
                quote = np.where(own_prop, quote, self.policy.negotiate(self, quote, cost, pool, buyer[prow]))
                noise = noise_rng.normal(0.0, p.acceptance_noise_gbp, len(prow))
                value = np.where(own_prop, self.own_value[pool] * self.need_mult[ptype, need[prow]], quote)
                margin = value - cost + noise
                priority = (day - c.waiting_since[ids[prow]]).astype(float)
                # a public pool takes its own LA's children first (under shared placements the
                # other members' children have what is left), each group in order of waiting time
                home_first = np.where(self.pool_owner[pool] == child_la[prow], 1e9, 0.0)
                if urgent is not None:
                    # the panel: children in emergency settings first (an RCC bed's pool owner is
                    # no LA, so home_first is 0 there)
                    home_first = home_first + np.where(self.pool_type[pool] == PoolType.REGIONAL, 5e8 * urgent[prow], 0.0)
                margin = np.where(own_prop & (margin > 0), 1e9 + home_first + priority, margin)
            # most supported accommodation works locally (Ofsted's survey of LAs, 2022: 66% of
            # providers in one LA, 92% of young people in their home region): of the referrals
            # that pay, a provider takes the nearest first, at the start and during the run
            margin = np.where((ptype == PoolType.SUPPORTED) & (margin > 0), 2e6 - dist[prow, pcol], margin)
            refused = margin <= 0
            if not initial and p.foster_suitability < 1.0:
                # a fostering household takes only the children its approval and its own family
                # suit (age, sex, needs, brothers and sisters): a pool with few free places may
                # have none for this child, and the child looks further (market.foster_suitability)
                foster = (ptype == PoolType.LA_FOSTER) | (ptype == PoolType.IFA_FOSTER)
                if foster.any():
                    suits = 1.0 - (1.0 - p.foster_suitability) ** np.maximum(free, 0)
                    refused |= foster & (noise_rng.random(len(prow)) >= suits)
            score[prow[refused], pcol[refused]] = np.inf
            keep = ~refused
            prow, pcol, pool, quote, margin = prow[keep], pcol[keep], pool[keep], quote[keep], margin[keep]
            if len(prow) == 0:
                continue
            order = np.lexsort((-margin, pool))
            prow, pcol, pool, quote, margin = prow[order], pcol[order], pool[order], quote[order], margin[order]
            # rank of each referral within its pool
            new_pool = np.empty(len(pool), dtype=bool)
            new_pool[0] = True
            np.not_equal(pool[1:], pool[:-1], out=new_pool[1:])
            idx = np.arange(len(pool))
            rank = idx - np.maximum.accumulate(np.where(new_pool, idx, 0))
            limit = self.cap[pool, need[prow]]
            reserve = self.policy.host_reserve
            if reserve:
                # another member's child is offered one of an LA's places only if ``reserve`` stay
                # free for the LA's own children (ranked first) after this round
                owner = self.pool_owner[pool]
                other = (owner >= 0) & (owner != child_la[prow])
                limit = np.where(other, limit - reserve, limit)
            offered = rank < limit
            # not offered: the pool's places went to better-ranked referrals; the market's pools are
            # not asked again in this search, the register's are (every member child is on it each
            # round, and the places offered to a child who takes another are free next round)
            gone = ~offered if register is None else ~offered & ~register[prow, pcol]
            score[prow[gone], pcol[gone]] = np.inf
            prow, pcol, pool, quote = prow[offered], pcol[offered], pool[offered], quote[offered]
            if len(prow) == 0:
                continue
            # each child takes its best offer
            best = np.lexsort((score[prow, pcol], prow))
            prow, pcol, pool, quote = prow[best], pcol[best], pool[best], quote[best]
            firsts = np.empty(len(prow), dtype=bool)
            firsts[0] = True
            np.not_equal(prow[1:], prow[:-1], out=firsts[1:])
            prow, pcol, pool, quote = prow[firsts], pcol[firsts], pool[firsts], quote[firsts]
            # highest needs first within a pool, then assign units
            order = np.lexsort((-need[prow], pool))
            prow, pcol, pool, quote = prow[order], pcol[order], pool[order], quote[order]
            placed_rows, placed_units, placed_price = self._assign(ids, prow, pcol, pool, quote, need, score, initial, cmask)
            if placed_rows:
                pr = np.array(placed_rows)
                unmatched[pr] = False
                units = np.array(placed_units, dtype=np.int64)
                placed.append((ids[pr], units, np.array(placed_price)))
                self._taken(placed_units)
        return ids[unmatched]

    def panel(self, ids, cand, dist, score, regional, pen, last: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Which referrals a regional panel admits to RCC-held beds, and which are urgent.

        In order: children in emergency or unregistered settings (urgent) whose care plan is
        residential, or who have no other option in England; then children whose care plan is
        residential and whose best other option in this search (by the buyer's own ranking, among
        places that could take them) is a children's home more than 20 miles from home and further
        than the RCC's nearest bed, or outside the RCC's members with an RCC bed within 20 miles, or
        who have no other option in England (``last``: the search beyond the neighbourhood; nearby,
        no option yet is not a reason). A child whose best other option is
        a foster placement or supported accommodation is not admitted: the bed is for children the
        market fails, not for children it serves.
        """
        c = self.model.children
        n = len(ids)
        urgent = c.kind[ids] == Kind.UNREGISTERED
        # a residential plan: a home ranks before a family and before supported accommodation (a
        # tie is a family first, or supported accommodation for a 16-17-year-old planned for it)
        home_pen = np.minimum(pen[:, Kind.HOME_LA], pen[:, Kind.HOME_IND])
        family_pen = np.minimum(pen[:, Kind.FOSTER_LA], pen[:, Kind.FOSTER_IFA])
        residential = np.isfinite(home_pen) & (home_pen < family_pen) & (home_pen < pen[:, Kind.SUPPORTED])
        alt = np.where(regional, np.inf, score)
        j = np.argmin(alt, axis=1) if alt.shape[1] else np.zeros(n, dtype=np.int64)
        r = np.arange(n)
        none = ~np.isfinite(alt[r, j]) if alt.shape[1] else np.ones(n, dtype=bool)
        best = cand[r, j]
        home = np.isin(self.pool_type[best], (PoolType.LA_HOME, PoolType.IND_HOME))
        # the RCC's nearest bed that could take the child: it must serve the child better than the
        # market would, nearer than a far option, or within 20 miles where the option lies outside
        # the members (a bed across the region is no gain on a home as far away)
        rcc = np.where(regional & np.isfinite(score), dist, np.inf).min(axis=1) if alt.shape[1] else np.full(n, np.inf)
        better = ((dist[r, j] > 20.0) & (rcc < dist[r, j])) | (~self.policy.members[self.pool_area[best]] & (rcc <= 20.0))
        no_other = none & last
        admit = (residential & (urgent | no_other | (~none & home & better))) | (urgent & no_other)
        return admit, urgent

    def _child_focus(self, ids: np.ndarray, day: int) -> np.ndarray:
        """Which kinds of RCC home (codes.Focus bits) each child is for on ``day``."""
        c = self.model.children
        young = ch.ages(self.model, ids, day) < YOUNGER_UNDER_AGE
        return (
            np.where(c.need[ids] == Need.INTENSIVE, Focus.HIGHEST_NEEDS, 0)
            | np.where(young, Focus.YOUNGER, Focus.ADOLESCENT)
            | np.where((c.flags[ids] & FLAG_EXPLOITATION) > 0, Focus.EXPLOITATION, 0)
        ).astype(np.int64)

    def _regional_focus(self) -> tuple[np.ndarray, np.ndarray]:
        """Per pool and need level: whether it has an RCC home for any child with a free place that
        can meet that need, and the focus bits of its RCC homes for some children with such a place
        (this search's placements counted)."""
        u = self.model.units
        n = u.n
        ids = np.flatnonzero((u.regional[:n] > 0) & u.open[:n])
        fr = self._free
        free = np.array([fr[i] > 0 for i in ids.tolist()], dtype=bool)
        ids = ids[free]
        pools = u.pool[ids].astype(np.int64)
        focus = u.focus[ids].astype(np.int64)
        unfocused = np.zeros((self.n_pools, N_NEEDS), dtype=bool)
        focus_free = np.zeros((self.n_pools, N_NEEDS), dtype=np.int64)
        for level in range(N_NEEDS):
            meets = u.max_need[ids] >= level
            unfocused[pools[meets & (focus == 0)], level] = True
            np.bitwise_or.at(focus_free[:, level], pools[meets], focus[meets])
        return unfocused, focus_free

    def _assign(self, ids, prow, pcol, pool, quote, need, score, initial=False, cmask=None):
        """Pick a unit for each accepted referral; referrals with no suitable unit are refused.

        The unit is the nearest to the child's home among the first ``unit_scan`` suitable units
        with a free place in the pool's list for the child's need level, other than the one the
        child has just left (a placement change is a move to another carer or home). When the start state is
        built, the emptiest of those units is taken instead, so that the children already in care
        are spread over the homes that hold them (as they are: most homes are partly full).
        """
        u = self.model.units
        c = self.model.children
        counted, occ, places = self._free, u.occupied, u.places
        ue, un = self._east, self._north
        listed = self._listed
        placed_rows, placed_units, placed_price = [], [], []
        scan = int(self.model.p.market.unit_scan)
        # a placement team compares fewer foster carers than homes: it takes one of the first that
        # can have the child (market.foster_unit_scan), not the nearest of all with a free place
        scan_f = scan if initial else int(self.model.p.market.foster_unit_scan)
        foster_pool = np.isin(self.pool_type[pool], (PoolType.LA_FOSTER, PoolType.IFA_FOSTER)).tolist()
        children = ids[prow]
        ce_all, cn_all = c.home_e[children].tolist(), c.home_n[children].tolist()
        need_l = need[prow].tolist()
        left_l = c.last_unit[children].tolist() if not initial else [-1] * len(children)
        freelist = self.freelist
        inf = float("inf")
        mix = None if initial else getattr(self, "_mix", None)
        # a child who can live only alone takes an empty children's home and holds back the rest of
        # its places while there (the buyer pays for them); none at the start, where children are
        # where DfE counts them
        solo_l = ((c.flags[children] & FLAG_SOLO) > 0).tolist() if not initial else [False] * len(children)
        # an RCC home for some children takes only them (codes.Focus): checked in pools of RCC beds
        focus_u = u.focus
        focus_l = (np.where(self.pool_type[pool] == PoolType.REGIONAL, cmask[prow], -1).tolist()
                   if cmask is not None else [-1] * len(children))
        if any(solo_l):
            is_home_s = u.utype == UnitType.HOME
            held = []
        if mix is not None:
            limit = int(self.model.p.providers.max_risk_children_per_home)
            is_home = u.utype == UnitType.HOME
            risky_l = ((c.flags[children] & RISK_FLAGS) > 0).tolist()
            if len(mix) < u.n:  # units opened since the count
                mix = np.concatenate([mix, np.zeros(u.n - len(mix), dtype=np.int64)])
                self._mix = mix
        for j, (r, col, pl, q) in enumerate(zip(prow.tolist(), pcol.tolist(), pool.tolist(), quote.tolist())):
            lst = freelist[pl][need_l[j]]
            ce, cn = ce_all[j], cn_all[j]
            matched = mix is not None and risky_l[j]
            solo = solo_l[j]
            fmask = focus_l[j]
            left = left_l[j]
            lim = scan_f if foster_pool[j] else scan
            best, bestd, seen, i, n = -1, inf, 0, 0, len(lst)
            while i < n:
                unit = lst[i]
                free = counted[unit]
                if free <= 0:
                    n -= 1
                    lst[i] = lst[n]
                    lst.pop()
                    listed[unit] = False
                    continue
                if unit == left:
                    i += 1
                    continue
                if fmask >= 0 and focus_u[unit] and not (int(focus_u[unit]) & fmask):
                    i += 1  # a home for other children
                    continue
                if matched and is_home[unit] and mix[unit] >= limit:
                    seen += 1  # looked at, and the mix does not fit
                    if seen >= lim:
                        break
                    i += 1
                    continue
                # empty: every place it offers is free (the mirror counts this search's placements)
                if solo and is_home_s[unit] and free < places[unit] - u.unavailable[unit]:
                    seen += 1  # looked at: another child lives there
                    if seen >= lim:
                        break
                    i += 1
                    continue
                if initial:
                    d = -free / places[unit]
                else:
                    dx = ue[unit] - ce
                    dy = un[unit] - cn
                    d = dx * dx + dy * dy
                if d < bestd:
                    best, bestd = unit, d
                seen += 1
                if seen >= lim:
                    break
                i += 1
            if best < 0:
                score[r, col] = np.inf
                continue
            counted[best] -= 1  # the mirror runs ahead; refresh() restores it from the arrays
            if matched:
                mix[best] += 1
            if solo and is_home_s[best]:
                # the home's other places, held back and paid for: the free ones, and those standing
                # empty for want of staff (held, they do not come back when the staff do)
                extra = int(counted[best]) + int(u.unstaffed[best])
                counted[best] = 0
                if extra > 0:
                    held.append((best, extra))
                    q = q * (1 + extra)
            placed_rows.append(r)
            placed_units.append(best)
            placed_price.append(q)
        if placed_units:
            np.add.at(occ, np.array(placed_units, dtype=np.int64), 1)
        if any(solo_l) and held:
            hu = np.array([h[0] for h in held], dtype=np.int64)
            hx = np.array([h[1] for h in held], dtype=np.int64)
            u.solo_held[hu] += hx
            u.unavailable_base[hu] += hx
            u.unstaffed[hu] = 0
            u.unavailable[hu] = u.unavailable_base[hu]
            self.touch(hu)
        return placed_rows, placed_units, placed_price

    def _risk_mix(self) -> np.ndarray | None:
        """Children at risk of exploitation or in the youth justice system living in each children's
        home now, or None when homes take them whatever the mix (``providers.max_risk_children_per_home``
        of 0). A home matches a referral against the children it has (the Children's Homes (England)
        Regulations 2015, reg. 14): one that holds as many such children as the limit takes no more."""
        if int(self.model.p.providers.max_risk_children_per_home) <= 0:
            return None
        c, u = self.model.children, self.model.units
        n = c.n
        risky = c.in_care[:n] & (c.unit[:n] >= 0) & ((c.flags[:n] & RISK_FLAGS) > 0)
        return np.bincount(c.unit[:n][risky], minlength=u.n).astype(np.int64)

    def _risk(self, ids: np.ndarray, day: int) -> np.ndarray:
        """Risk points a provider sees in a referral: flags and a history of breakdowns."""

        c = self.model.children
        f = c.flags[ids]
        return (
            ((f & FLAG_JUSTICE) > 0).astype(float)
            + ((f & FLAG_EXPLOITATION) > 0)
            + ((f & FLAG_MENTAL_HEALTH) > 0)
            + 0.5 * np.minimum(c.n_breakdowns[ids], 4)
            + c.need[ids]
        )

    # -- prices over time --------------------------------------------------------------------------
    def local_occupancy(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """How full each pool's neighbourhood is now (same pool type, ``price_neighbourhood_las``
        nearest LAs): occupancy per pool (the target where there are no places), and the places and
        the filled places it is the ratio of."""
        p = self.model.p.prices
        u = self.model.units
        n = u.n
        pool = u.pool[:n]
        ok = (pool >= 0) & u.open[:n]
        avail = (u.places[:n] - u.unavailable[:n]).astype(float)
        filled = (u.occupied[:n] + u.bg_occupied[:n] + u.staying_put[:n]).astype(float)
        cap = weighted_bincount(pool[ok], weights=avail[ok], minlength=self.n_pools)
        fil = weighted_bincount(pool[ok], weights=filled[ok], minlength=self.n_pools)
        k = int(p.price_neighbourhood_las)
        near = self.geo.neighbours[:, :k]
        cap_t = cap.reshape(N_POOL_TYPES, self.n_la)[:, near].sum(axis=2).ravel()
        fil_t = fil.reshape(N_POOL_TYPES, self.n_la)[:, near].sum(axis=2).ravel()
        occ = np.where(cap_t > 0, fil_t / np.maximum(cap_t, 1), p.target_occupancy)
        return occ, cap_t, fil_t

    def update_prices(self, months: float = 1.0) -> None:
        """List prices move each month with how full local provision is and, for children's homes,
        with what their places cost to run.

        Agency foster carers and supported accommodation: prices drift up while the neighbourhood
        is fuller than the target occupancy and down while it is emptier (``price_adjustment_per_year``).

        Independent children's homes: providers price a place at its running cost times the start's
        markup, higher when the neighbourhood is full (``home_scarcity_elasticity`` per unit of
        occupancy above the start's: the start is taken to be in balance); the list price moves
        towards that level at
        ``home_price_speed_per_year``. Prices follow staff costs (``cost_pass_through``: the staff
        share of running costs times the change in the region's labour cost) and scarcity, so the
        margin answers to how full the market is rather than drifting with it.
        """
        p = self.model.p.prices
        occ, cap_t, fil_t = self.local_occupancy()
        market = ~self.pool_public
        inflation = (1.0 + p.inflation_per_year) ** (months / 12.0)
        change = np.exp(p.price_adjustment_per_year * months / 12.0 * (occ - p.target_occupancy)) * inflation
        new = np.where(market, self.list_price * change, self.list_price * inflation)
        # independent children's homes: towards cost times the start's markup, and scarcity
        homes = self.pool_type == PoolType.IND_HOME
        wf = self.model.workforce
        labour = wf.cost_factor()[wf.region_of_la][self.pool_area]
        self._home_inflation = getattr(self, "_home_inflation", 1.0) * inflation
        cost_level = 1.0 + p.cost_pass_through * (labour - 1.0)
        if getattr(self, "_home_occ0", None) is None:
            # the start is taken to be in balance: its occupancy of homes' staffed places (England's,
            # over every independent home) is the level at which their prices hold
            sel = homes & (cap_t > 0)
            self._home_occ0 = float(fil_t[sel].sum() / max(cap_t[sel].sum(), 1.0)) if sel.any() else p.target_occupancy
        aim = self._home_base * self._home_inflation * cost_level * np.exp(p.home_scarcity_elasticity * (occ - self._home_occ0))
        step = 1.0 - np.exp(-p.home_price_speed_per_year * months / 12.0)
        ratio = np.divide(aim, self.list_price, out=np.ones_like(aim), where=homes & (self.list_price > 0))
        new = np.where(homes, self.list_price * ratio ** step, new)
        self.list_price = new
        self.occupancy = occ
