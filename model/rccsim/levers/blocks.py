"""Beds the RCC holds on block contract: choosing homes, paying for them, counting empty beds.

Shared by :mod:`rccsim.levers.block_contracts` and :mod:`rccsim.levers.forecast_led`: one book of
contracts per run (:func:`book`), which reports the payments (lever cost ``block_contracts``) and
the part of them that paid for empty beds (``block_voids_gbp``).
"""

from __future__ import annotations

import numpy as np

from rccsim.base.codes import Regional, Sector, UnitType
from rccsim.levers.base import Lever

SAMPLE_DAYS = 30


def book(model) -> BlockBook:
    """The run's book of block contracts (made by the first lever that contracts beds)."""
    for lever in model.levers:
        if isinstance(lever, BlockBook):
            return lever
    raise RuntimeError("a lever contracts beds but the run has no BlockBook (rccsim.levers.build adds it)")


class BlockBook(Lever):
    """The block contracts of a run, paid every week whether the beds are used or not."""

    key = "block_book"
    REPORT_DEFAULTS = {"block_voids_gbp": 0.0, "block_offers_refused": 0}
    YEARLY_DEFAULTS = {"block_voids_gbp": 0.0}

    def __init__(self, settings=None):
        super().__init__(settings)
        self.units = np.empty(0, dtype=np.int64)
        self.fee = np.empty(0)  # GBP a week per home
        self.start = np.empty(0, dtype=np.int64)  # day contracted
        self.voids = None
        self.offers_refused = 0  # homes whose provider turned the contract down

    def contract(self, model, beds_wanted: int, discount: float, day: int) -> None:
        """Offer block contracts for whole independent homes in or near the members, up to
        ``beds_wanted`` beds, at their list price for the needs they are registered for, less
        ``discount``, paid whether the beds are used or not.

        The homes offered: those with none of the run's children in them (their placements were
        bought before, at their own price); members' own homes first, then those registered for the
        highest needs (the children the panel admits: residential plans the market serves worst),
        then those with the most free places. A provider accepts only when the guaranteed fee beats
        what it expects on the open market: its list price times how full its neighbourhood is
        (``1 - discount`` at least that occupancy). A background child in a home taken moves on as
        the RCC takes it over."""
        if beds_wanted <= 0:
            return
        u, geo = model.units, model.geo
        n = u.n
        members = model.rcc.member_index
        near = np.unique(geo.neighbours[members, :3])
        homes = np.flatnonzero(u.open[:n] & (u.utype[:n] == UnitType.HOME) & (u.sector[:n] != Sector.LA)
                               & np.isin(u.la[:n], near) & (u.regional[:n] == Regional.NONE) & (u.occupied[:n] == 0))
        if len(homes) == 0:
            return
        market = model.market
        # the provider's consent: the open market would fill no more of its places than the block pays for
        occ = market.local_occupancy()[0][u.pool[homes]]
        willing = (1.0 - discount) >= occ
        self.offers_refused += int((~willing).sum())
        homes = homes[willing]
        if len(homes) == 0:
            return
        free = u.free()[homes]
        in_member = np.isin(u.la[homes], members)
        order = np.lexsort((homes, -free, -u.max_need[homes], ~in_member))
        chosen, beds = [], 0
        for h in homes[order].tolist():
            if beds >= beds_wanted:
                break
            chosen.append(h)
            beds += int(u.places[h])
        chosen = np.array(chosen, dtype=np.int64)
        need = u.max_need[chosen].astype(np.int64)
        fee = market.list_price[u.pool[chosen]] * market.need_mult[3, need] * (1.0 - discount) * u.places[chosen]
        u.bg_occupied[chosen] = 0
        market.move_to_regional(chosen, Regional.BLOCK)
        # members pay the recharge (rccsim.levers.rcc_beds): by default the contract's fee per bed
        market.price_regional(chosen, fee / np.maximum(u.places[chosen], 1))
        self.units = np.concatenate([self.units, chosen])
        self.fee = np.concatenate([self.fee, fee])
        self.start = np.concatenate([self.start, np.full(len(chosen), day, dtype=np.int64)])

    def held_beds(self, model) -> float:
        return float(model.units.places[self.units].sum()) if len(self.units) else 0.0

    def start_processes(self, model) -> None:
        model.every(SAMPLE_DAYS, self._sample, offset=1)

    def _sample(self, model, day: int) -> None:
        """Every 30 days: the block payments of the last 30 days that paid for empty beds."""
        ids = self.units
        if len(ids) == 0:
            return
        u = model.units
        held = (self.start <= day) & u.open[ids]
        empty = 1.0 - np.clip((u.occupied[ids] + u.bg_occupied[ids]) / np.maximum(u.places[ids], 1), 0.0, 1.0)
        k = min(model.year_of_day(day), model.years) - 1
        if self.voids is None:
            self.voids = np.zeros(model.years)
        self.voids[k] += float((self.fee * empty * held).sum() * SAMPLE_DAYS / 7.0)

    def paid_and_voids(self, model) -> tuple[np.ndarray, np.ndarray]:
        """Block payments and the part of them that paid for empty beds, by run year."""
        years = model.years
        paid = np.zeros(years)
        ids = self.units
        voids = np.asarray(self.voids if self.voids is not None else np.zeros(years), dtype=float)
        if len(ids) == 0:
            return paid, np.zeros(years)
        u = model.units
        open_to = np.where(u.closed[ids] < 0, model.horizon, u.closed[ids]).astype(np.int64)
        for k in range(years):
            y0, y1 = int(model.year_bounds[k]), int(model.year_bounds[k + 1])
            days = np.maximum(np.minimum(open_to, y1) - np.maximum(y0, self.start), 0)
            paid[k] = float((self.fee * days / 7.0).sum())
        return paid, np.minimum(voids, paid)

    def costs(self, model) -> dict[str, np.ndarray]:
        paid, _ = self.paid_and_voids(model)
        return {"block_contracts": paid} if paid.any() else {}

    def report(self, model, accounts) -> dict:
        return {"block_voids_gbp": float(self.paid_and_voids(model)[1].sum()), "block_offers_refused": self.offers_refused}

    def yearly_report(self, model, year_index: int) -> dict:
        return {"block_voids_gbp": float(self.paid_and_voids(model)[1][year_index])}
