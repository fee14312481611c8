"""Pooled budget: members pay a share of their placement spend into a regional pot.

The contribution is set each year from the year before (the first year from the start state's
weekly spend); the RCC pays that share of the members' placements and the levers' costs from the
pot and carries the difference, so the demand risk of each LA is pooled. The results show the
pot's balance and the single-LA over- and underspend it absorbed.

What it changes in placements comes only through the budget channels of
:mod:`rccsim.core.budgets`: in ``share`` of its spend a member is over or under the pot's budget,
not its own, so one LA's run of very expensive children no longer makes it weigh price more or cut
its own carer recruitment alone (:meth:`rccsim.core.budgets.Budgets.pool`). With
``shares_pressure: false`` the pot is accounting only: it changes who pays, and no decision.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from rccsim.base.tables import weighted_bincount
from rccsim.levers.base import Lever, LeverSettings


class PooledBudgetSettings(LeverSettings):
    share: float = Field(1.0, ge=0.0, le=1.0)
    # members judge their overspend by the pot's (False: the pot moves money and nothing else)
    shares_pressure: bool = True


class PooledBudget(Lever):
    key = "pooled_budget"
    REPORT_DEFAULTS = {"pooled_budget": {}}

    def setup(self, model) -> None:
        cfg = self.settings
        if cfg.share > 0 and cfg.shares_pressure:
            model.budgets.pool(model.rcc.member_index, cfg.share)

    def report(self, model, accounts) -> dict:
        """The pot's accounts from the run's spend by payer (``accounts``: see
        :func:`rccsim.outputs.metrics.compute`)."""
        cfg = self.settings
        if cfg.share <= 0:
            return {"pooled_budget": {}}
        a = accounts
        members = model.rcc.member_index
        n_la = model.geo.n
        # the start state's spend rate (a year of it) sets the first year's contributions
        open0 = a.l_initial & (a.l_start <= 0) & (a.l_end > 0)
        weekly0 = weighted_bincount(a.l_payer[open0], weights=a.l_price[open0], minlength=n_la)[:n_la]
        weekly0 += weighted_bincount(a.h_owner[a.h_open <= 0], weights=a.h_cost[a.h_open <= 0], minlength=n_la)[:n_la]
        basis = np.vstack([weekly0 * 365.25 / 7.0, a.spend_la[:-1]])[:, members]
        contributions = cfg.share * basis
        spend = cfg.share * a.spend_la[:, members]
        levers_cost = np.sum([v for v in a.lever_items.values()], axis=0) if a.lever_items else np.zeros(model.years)
        balance = np.cumsum(contributions.sum(axis=1) - spend.sum(axis=1) - levers_cost)
        gap = spend - contributions  # each member's over (+) or under (-) spend the pot carried
        return {"pooled_budget": {
            "share": cfg.share,
            "contributions_gbp_by_year": [float(x) for x in contributions.sum(axis=1)],
            "rcc_spend_gbp_by_year": [float(x) for x in (spend.sum(axis=1) + levers_cost)],
            "balance_gbp_by_year": [float(x) for x in balance],
            "absorbed_gbp_by_year": [float(x) for x in np.abs(gap).sum(axis=1)],
            "largest_la_overspend_gbp": float(max(gap.max(), 0.0)),
        }}
