"""LAs' placement budgets, and what an overspend does to their choices.

Each LA has a placement budget for each run year: its spend of the year before
(``budgets.budget_to_last_spend`` times it; the first year's budget is a year at the spend rate of
the first monthly review, ten days in). The LGA found councils' placement budgets set at about the year before's outturn: a
budget of GBP 4.7bn for 2023-24 against GBP 4.7bn spent in 2022-23 (and GBP 4.1bn budgeted for
it), so the overspend is the year's growth in spend.

Each month the LA forecasts its outturn (spent so far this year plus its present weekly spend for
the weeks left) and compares it with its budget. The overspend beyond ``budgets.tolerance`` (what
reserves and savings elsewhere absorb), capped at ``budgets.max_overspend``, is its *pressure*.
Under pressure an LA:

* weighs price more against distance and fit when it ranks places
  (``budgets.price_weight``: the price counts ``1 + price_weight x pressure`` times,
  :meth:`rccsim.core.market.Market._rounds`);
* recruits fewer foster carers of its own (``budgets.recruitment_cut``: its applications fall by
  ``recruitment_cut x pressure``, at most all of them, :func:`rccsim.core.carers._apply`).

These are the only channels through which money changes a decision. A lever that pools the
members' budgets makes them share a pot: a member's overspend is then
the pot's in the pooled share of its spend (:meth:`Budgets.pool`), so one LA's few very expensive
children no longer squeeze its choices alone. Spend here is what the LA pays for placements (the
weekly prices of its children's placements, and its own homes' running costs), sampled monthly.
"""

from __future__ import annotations

import numpy as np

from rccsim.base.codes import Sector, UnitType
from rccsim.base.tables import weighted_bincount

WEEKS_PER_YEAR = 365.25 / 7.0


class Budgets:
    """Each LA's placement budget, spend and pressure (``model.budgets``)."""

    def __init__(self, model):
        self.model = model
        n = model.geo.n
        p = model.p.budgets
        self.ratio = float(p.budget_to_last_spend)
        self.tolerance = float(p.tolerance)
        self.max_overspend = float(p.max_overspend)
        rate = self.weekly_spend()
        self.budget = np.zeros((model.years, n))  # GBP by run year and LA
        self.budget[0] = self.ratio * rate * WEEKS_PER_YEAR
        self.spent = np.zeros((model.years, n))  # spent by run year (monthly samples of the rate)
        self.overspend = np.zeros(n)  # forecast outturn over budget, minus 1 (this month's; a
        # member of a pooled budget: its share of the pot's)
        self.pressure = np.zeros(n)  # the overspend that shifts choices (0 to max_overspend)
        self.own_sum = np.zeros((model.years, n))  # for the yearly averages: each LA's own overspend
        self.pressure_sum = np.zeros((model.years, n))  # and the pressure it acted under
        self.months = np.zeros(model.years)
        self.members: np.ndarray | None = None
        self.share = 0.0
        self._rate = rate
        self._day = 0

    @property
    def binding(self) -> bool:
        """Whether an overspend can change any decision (some channel has a strength)."""
        p = self.model.p.budgets
        return float(p.price_weight) > 0 or float(p.recruitment_cut) > 0

    def pool(self, members: np.ndarray, share: float) -> None:
        """Members pay ``share`` of their spend from a shared pot with ``share`` of their budgets."""
        self.members = np.asarray(members, dtype=np.int64)
        self.share = float(share)

    def weekly_spend(self) -> np.ndarray:
        """Each LA's spend a week now: its children's placements, and its own homes."""
        m = self.model
        c, u = m.children, m.units
        n_la = m.geo.n
        placed = np.flatnonzero(c.in_care[: c.n] & (c.payer[: c.n] >= 0))
        rate = weighted_bincount(c.payer[placed].astype(np.int64), weights=c.price[placed], minlength=n_la)[:n_la]
        un = u.n
        own = u.open[:un] & (u.utype[:un] == UnitType.HOME) & (u.sector[:un] == Sector.LA)
        own &= (u.owner_la[:un] >= 0) & (u.regional[:un] == 0)
        rate = rate + weighted_bincount(u.owner_la[:un][own].astype(np.int64), weights=u.weekly_cost[:un][own],
                                        minlength=n_la)[:n_la]
        return rate

    def book(self, day: int) -> None:
        """Book the spend from the last sample to ``day`` at the rate then, split across a year's
        end (a year's end also sets the next year's budget)."""
        m = self.model
        bounds = m.year_bounds
        lo = self._day
        while lo < day:
            k = int(np.searchsorted(bounds, lo, side="right")) - 1
            hi = min(day, int(bounds[k + 1]))
            self.spent[k] += self._rate * (hi - lo) / 7.0
            if hi == int(bounds[k + 1]) and k + 1 < m.years:
                self.budget[k + 1] = self.ratio * self.spent[k]
            lo = hi
        self._day = max(self._day, day)

    def monthly(self, day: int) -> None:
        """Book the spend since the last sample, then forecast each LA's outturn and its pressure."""
        m = self.model
        bounds = m.year_bounds
        self.book(day)
        self._rate = self.weekly_spend()
        if not self.months.any():
            # the first year's budget: a year at the spend rate of the first review, not of the
            # start date (the start state's spend falls in its first days as the placements that
            # were ending end: Salford's by 8% in a fortnight)
            self.budget[0] = self.ratio * self._rate * WEEKS_PER_YEAR
        k = min(int(np.searchsorted(bounds, day, side="right")) - 1, m.years - 1)
        outturn = self.spent[k] + self._rate * (int(bounds[k + 1]) - day) / 7.0
        budget = self.budget[k]
        own = np.where(budget > 0, outturn / np.maximum(budget, 1e-9) - 1.0, 0.0)
        over = own.copy()
        if self.members is not None and self.share > 0 and len(self.members):
            mem = self.members
            pot = float(outturn[mem].sum()) / max(float(budget[mem].sum()), 1e-9) - 1.0
            over[mem] = (1.0 - self.share) * own[mem] + self.share * pot
        self.overspend = over
        self.pressure = np.clip(over - self.tolerance, 0.0, self.max_overspend) if self.binding else np.zeros_like(over)
        self.own_sum[k] += own
        self.pressure_sum[k] += self.pressure
        self.months[k] += 1

    def price_factor(self, la: np.ndarray) -> np.ndarray | None:
        """How many times price counts for each of these LAs' buyers (None: once for all)."""
        w = float(self.model.p.budgets.price_weight)
        if w <= 0 or not self.pressure.any():
            return None
        return 1.0 + w * self.pressure[la]

    def recruitment_factor(self) -> np.ndarray | None:
        """The share of each LA's own carer applications it still draws (None: all)."""
        cut = float(self.model.p.budgets.recruitment_cut)
        if cut <= 0 or not self.pressure.any():
            return None
        return np.clip(1.0 - cut * self.pressure, 0.0, 1.0)

    def yearly(self, k: int) -> dict:
        """Run year ``k``'s budgets and spend (GBP), and by LA the average of the monthly forecasts
        of its own overspend (share of its budget) and of the pressure it acted under."""
        months = max(self.months[k], 1.0)
        return {"budget": self.budget[k], "spent": self.spent[k], "overspend": self.own_sum[k] / months,
                "pressure": self.pressure_sum[k] / months}
