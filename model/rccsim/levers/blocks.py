"""Beds the RCC holds on block contract: choosing homes, paying for them, counting empty beds.

Shared by :mod:`rccsim.levers.block_contracts` and :mod:`rccsim.levers.forecast_led`: one book of
contracts per run (:func:`book`), which reports the payments (lever cost ``block_contracts``) and
the part of them that paid for empty beds (``block_voids_gbp``).

A contract runs for its term at the fee agreed when it was let. At the end of the term the RCC
offers to renew at that day's list price less the same discount; the provider renews on the same
test as it first agreed (the guaranteed fee beats what the open market would fill). A provider that
declines takes its home back to the open market: the children the RCC placed there stay, and the
RCC goes on paying the contract's fee per bed for each of them until they leave; the lever that
wanted the beds may then contract others (``block_contracts`` keeps its number of beds).
"""

from __future__ import annotations

import numpy as np

from rccsim.base.codes import Regional, Sector, UnitType
from rccsim.levers.base import Lever

SAMPLE_DAYS = 30
YEAR_DAYS = 365.25


def book(model) -> BlockBook:
    """The run's book of block contracts (made by the first lever that contracts beds)."""
    for lever in model.levers:
        if isinstance(lever, BlockBook):
            return lever
    raise RuntimeError("a lever contracts beds but the run has no BlockBook (rccsim.levers.build adds it)")


class BlockBook(Lever):
    """The block contracts of a run, paid every week whether the beds are used or not."""

    key = "block_book"
    REPORT_DEFAULTS = {"block_voids_gbp": 0.0, "block_offers_refused": 0, "block_renewals": 0,
                       "block_renewals_refused": 0}
    YEARLY_DEFAULTS = {"block_voids_gbp": 0.0}

    def __init__(self, settings=None):
        super().__init__(settings)
        # one row a contract (a renewal is a new row for the same home)
        self.units = np.empty(0, dtype=np.int64)
        self.fee = np.empty(0)  # GBP a week per home
        self.start = np.empty(0, dtype=np.int64)  # day contracted
        self.end = np.empty(0, dtype=np.int64)  # day the term ends
        self.discount = np.empty(0)
        self.pool0 = np.empty(0, dtype=np.int64)  # the home's pool on the open market
        self.live = np.empty(0, dtype=bool)  # the home is held under this contract now
        self.owner = np.empty(0, dtype=object)  # the lever that let the contract
        self.voids = None
        self.tail = None  # fees paid by run year for the RCC's children left in homes no longer held
        self.staying: list[tuple[int, float, np.ndarray]] = []  # (home, fee a bed, children) after a contract ends
        self.refused_homes: set[int] = set()  # homes whose provider turned a contract down
        self.renewals = 0
        self.renewals_refused = 0
        self.wanted: dict[str, tuple[int, float, float]] = {}  # lever -> (beds, discount, term) it keeps held

    def contract(self, model, beds_wanted: int, discount: float, day: int, term_years: float = 3.0,
                 owner: str = "") -> None:
        """Offer block contracts for whole independent homes in or near the members, up to
        ``beds_wanted`` beds, at their list price for the needs they are registered for, less
        ``discount``, paid whether the beds are used or not.

        The homes offered: those with none of the run's children in them (their placements were
        bought before, at their own price); members' own homes first, then those registered for the
        highest needs (the children the panel admits: residential plans the market serves worst),
        then those with the most free places. A provider accepts only when the guaranteed fee beats
        what it expects on the open market: its list price times how full its neighbourhood is
        (``1 - discount`` at least that occupancy). A background child in a home taken moves on as
        the RCC takes it over. Each contract runs for ``term_years``."""
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
        self.refused_homes.update(homes[~willing].tolist())
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
        pool0 = u.pool[chosen].copy()
        fee = self._fee(model, chosen, pool0, discount)
        u.bg_occupied[chosen] = 0
        market.move_to_regional(chosen, Regional.BLOCK)
        # members pay the recharge (rccsim.levers.rcc_beds): by default the contract's fee per bed
        market.price_regional(chosen, fee / np.maximum(u.places[chosen], 1))
        self._add(chosen, fee, day, max(1, int(round(float(term_years) * YEAR_DAYS))), discount, pool0, owner)

    @staticmethod
    def _fee(model, homes: np.ndarray, pool0: np.ndarray, discount) -> np.ndarray:
        """A week's fee for whole homes: the open market's list price for the needs each is
        registered for, less the discount, for every place."""
        u, market = model.units, model.market
        need = u.max_need[homes].astype(np.int64)
        return market.list_price[pool0] * market.need_mult[3, need] * (1.0 - discount) * u.places[homes]

    def _add(self, homes, fee, day, term_days, discount, pool0, owner) -> None:
        k = len(homes)
        term = np.broadcast_to(np.asarray(term_days, dtype=np.int64), (k,))
        self.units = np.concatenate([self.units, homes])
        self.fee = np.concatenate([self.fee, fee])
        self.start = np.concatenate([self.start, np.full(k, day, dtype=np.int64)])
        self.end = np.concatenate([self.end, day + term])
        self.discount = np.concatenate([self.discount, np.broadcast_to(np.asarray(discount, dtype=float), (k,))])
        self.pool0 = np.concatenate([self.pool0, pool0])
        self.live = np.concatenate([self.live, np.ones(k, dtype=bool)])
        self.owner = np.concatenate([self.owner, np.broadcast_to(np.asarray(owner, dtype=object), (k,))])

    def keep(self, lever: str, beds: int, discount: float, term_years: float) -> None:
        """``lever`` wants ``beds`` held: when a provider declines to renew, contract others."""
        self.wanted[lever] = (int(beds), float(discount), float(term_years))

    def held_beds(self, model, owner: str | None = None) -> float:
        """Beds held now (by ``owner``'s contracts, if given)."""
        ids = self.units[self.live & ((self.owner == owner) if owner is not None else True)]
        ids = ids[model.units.open[ids]]
        return float(model.units.places[ids].sum()) if len(ids) else 0.0

    def start_processes(self, model) -> None:
        model.every(SAMPLE_DAYS, self._sample, offset=1)

    def _renew(self, model, day: int) -> None:
        """Contracts whose term has ended: renewed at today's price if the provider agrees, else
        the home goes back to the open market (the RCC's children in it stay, paid for by the RCC)."""
        due = np.flatnonzero(self.live & (self.end <= day))
        if len(due) == 0:
            return
        u, market = model.units, model.market
        self.live[due] = False
        homes = self.units[due]
        alive = u.open[homes]
        occ = market.local_occupancy()[0][self.pool0[due]]
        agree = alive & ((1.0 - self.discount[due]) >= occ)
        self.renewals += int(agree.sum())
        self.renewals_refused += int((alive & ~agree).sum())
        if agree.any():  # the new term follows on from the old
            r = due[agree]
            fee = self._fee(model, self.units[r], self.pool0[r], self.discount[r])
            market.price_regional(self.units[r], fee / np.maximum(u.places[self.units[r]], 1))
            for end, rows in ((e, r[self.end[r] == e]) for e in np.unique(self.end[r]).tolist()):
                self._add(self.units[rows], fee[np.isin(r, rows)], end, self.end[rows] - self.start[rows],
                          self.discount[rows], self.pool0[rows], self.owner[rows])
        gone = due[alive & ~agree]
        if len(gone):
            self.end[gone] = day  # held, and paid for, until the home is let go today
            c = model.children
            n = c.n
            # the children in the homes let go, found in one pass over the children
            kids = np.flatnonzero(c.in_care[:n] & np.isin(c.unit[:n], self.units[gone]))
            for row in gone.tolist():
                h = int(self.units[row])
                self.staying.append((h, float(self.fee[row] / max(int(u.places[h]), 1)), kids[c.unit[kids] == h]))
            market.release_regional(self.units[gone])
        if not agree.all():  # a home closed or let go: the lever that wants its beds held contracts others
            for lever, (beds, discount, term) in self.wanted.items():
                self.contract(model, int(beds - self.held_beds(model, lever)), discount, day, term, owner=lever)

    def _sample(self, model, day: int) -> None:
        """Every 30 days: renewals due; the block payments of the last 30 days that paid for empty
        beds; and the fees for the RCC's children in homes no longer held."""
        self._renew(model, day)
        ids = self.units
        if len(ids) == 0:
            return
        u = model.units
        held = (self.start <= day) & (day < self.end) & u.open[ids]
        empty = 1.0 - np.clip((u.occupied[ids] + u.bg_occupied[ids]) / np.maximum(u.places[ids], 1), 0.0, 1.0)
        k = min(model.year_of_day(day), model.years) - 1
        if self.voids is None:
            self.voids = np.zeros(model.years)
            self.tail = np.zeros(model.years)
        self.voids[k] += float((self.fee * empty * held).sum() * SAMPLE_DAYS / 7.0)
        if self.staying:
            c = model.children
            left = []
            for h, per_bed, kids in self.staying:
                kids = kids[c.in_care[kids] & (c.unit[kids] == h)]
                self.tail[k] += per_bed * len(kids) * SAMPLE_DAYS / 7.0
                if len(kids):
                    left.append((h, per_bed, kids))
            self.staying = left

    def paid_and_voids(self, model) -> tuple[np.ndarray, np.ndarray]:
        """Block payments and the part of them that paid for empty beds, by run year."""
        years = model.years
        paid = np.zeros(years)
        ids = self.units
        voids = np.asarray(self.voids if self.voids is not None else np.zeros(years), dtype=float)
        if len(ids) == 0:
            return paid, np.zeros(years)
        u = model.units
        # a term that ended after the last renewal round of the run is still held, at its fee, to the end
        end = np.where(self.live, np.maximum(self.end, model.horizon), self.end)
        open_to = np.minimum(np.where(u.closed[ids] < 0, model.horizon, u.closed[ids]), end).astype(np.int64)
        for k in range(years):
            y0, y1 = int(model.year_bounds[k]), int(model.year_bounds[k + 1])
            days = np.maximum(np.minimum(open_to, y1) - np.maximum(y0, self.start), 0)
            paid[k] = float((self.fee * days / 7.0).sum())
        held = np.minimum(voids, paid)
        if self.tail is not None:
            paid = paid + self.tail
        return paid, held

    def costs(self, model) -> dict[str, np.ndarray]:
        paid, _ = self.paid_and_voids(model)
        return {"block_contracts": paid} if paid.any() else {}

    def report(self, model, accounts) -> dict:
        return {"block_voids_gbp": float(self.paid_and_voids(model)[1].sum()), "block_offers_refused": len(self.refused_homes),
                "block_renewals": self.renewals, "block_renewals_refused": self.renewals_refused}

    def yearly_report(self, model, year_index: int) -> dict:
        return {"block_voids_gbp": float(self.paid_and_voids(model)[1][year_index])}
