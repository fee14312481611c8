"""Pooled budget: members pay a share of their placement spend into a regional pot.

Each member pays in that share of its placement budget (:mod:`rccsim.core.budgets`: its spend of
the year before; the first year's from the start state's weekly spend); the RCC pays that share of
the members' placements and the levers' costs from the pot and carries the difference, so the
demand risk of each LA is pooled. The results show the
pot's balance and the single-LA over- and underspend it absorbed.

What it changes in placements comes only through the budget channels of
:mod:`rccsim.core.budgets`: in ``share`` of its spend a member is over or under the pot's budget,
not its own, so one LA's run of very expensive children no longer makes it weigh price more or cut
its own carer recruitment alone (:meth:`rccsim.core.budgets.Budgets.pool`). With
``shares_pressure: false`` the pot is accounting only: it changes who pays, and no decision.

Reinvestment (``reinvest_share``, off by default): at each year's end, that share of the pot's
surplus on the year (the members' budgets, in ``share``, less what they spent) goes to a fund
that builds RCC homes (``reinvest_home``, at ``reinvest_cost_per_home_gbp`` each) as soon as it
holds the price of one. They are sited, opened and filled as capital homes are
(:class:`rccsim.levers.capital_homes.HomeBuilder`), and their capital is a cost of the year it
is spent. A year in deficit adds nothing, and the fund never holds more than the pot's running
balance: a pot in deficit builds nothing. The surplus counts the levers' costs of the year and the
members' recharges for RCC beds, which come back to the RCC, as the pot's accounts do.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from rccsim.levers.base import MAX_GBP, Lever, LeverSettings, charge, cost_items
from rccsim.levers.capital_homes import HomeBuilder, HomeKindSettings
from rccsim.levers.rcc_beds import capital_home_running


class PooledBudgetSettings(LeverSettings):
    share: float = Field(1.0, ge=0.0, le=1.0)
    # members judge their overspend by the pot's (False: the pot moves money and nothing else)
    shares_pressure: bool = True
    # the share of each year's surplus in the pot spent on RCC homes, what one costs, and its kind
    reinvest_share: float = Field(0.0, ge=0.0, le=1.0)
    # GM's Project Skyline: about GBP 0.5m a home (the skyline_homes scenario's sources)
    reinvest_cost_per_home_gbp: float = Field(500_000.0, ge=50_000.0, le=MAX_GBP)
    reinvest_home: HomeKindSettings = Field(default_factory=HomeKindSettings)
    reinvest_build_days: int = Field(540, ge=0, le=3650)


class PooledBudget(Lever):
    key = "pooled_budget"
    REPORT_DEFAULTS = {"pooled_budget": {}}

    @property
    def holds_beds(self) -> bool:
        """Reinvesting the surplus builds RCC homes (the regional panel fills them)."""
        return self.settings.share > 0 and self.settings.reinvest_share > 0

    def setup(self, model) -> None:
        cfg = self.settings
        if cfg.share > 0 and cfg.shares_pressure:
            model.budgets.pool(model.rcc.member_index, cfg.share)
        self.builder = HomeBuilder()
        self.fund = 0.0
        self.balance = 0.0  # the pot's running balance (the most the fund may hold)
        self.reinvested = np.zeros(model.years)
        self.surplus = np.zeros(model.years)

    def start_processes(self, model) -> None:
        if self.holds_beds:
            model.env.process(self._reinvest(model))

    def _reinvest(self, model):
        """SimPy process: at each year's end, the pot's surplus on the year builds homes."""
        cfg = self.settings
        for k in range(1, model.years):
            day = int(model.year_bounds[k])
            yield model.wait_until(day)
            model.budgets.book(int(model.env.now))
            surplus = self.year_surplus(model, k - 1)
            self.surplus[k - 1] = surplus
            self.balance += surplus
            # a year in deficit adds nothing; the fund never holds more than the pot's balance
            self.fund = min(self.fund + cfg.reinvest_share * max(surplus, 0.0), max(self.balance, 0.0))
            n = int(self.fund // cfg.reinvest_cost_per_home_gbp)
            if n > 0:
                cost = n * cfg.reinvest_cost_per_home_gbp
                self.fund -= cost
                self.reinvested[k] += cost
                charge(model, "reinvested_capital", k, cost)
                self.builder.build(model, [cfg.reinvest_home] * n, cfg.reinvest_build_days)

    def year_surplus(self, model, k: int) -> float:
        """The pot's surplus on run year ``k`` as the run knows it at the year's end: ``share`` of
        the members' budgets less ``share`` of what they spent (sampled monthly,
        :mod:`rccsim.core.budgets`), less the levers' costs of the year, plus the members'
        recharges for RCC beds, which come back to the RCC (the same terms as :meth:`report`)."""
        cfg = self.settings
        members = model.rcc.member_index
        b = model.budgets
        out = cfg.share * float(b.budget[k][members].sum() - b.spent[k][members].sum())
        out -= float(sum(v[k] for v in cost_items(model).values()))
        out += _recharges(model, k)
        return out

    def costs(self, model) -> dict[str, np.ndarray]:
        # the running cost of the homes the surplus built; a capital programme in the same run
        # reports the same item for all the RCC's homes, so only one of the two reports it
        if any(lv.key == "capital_homes" for lv in model.levers):
            return {}
        running = capital_home_running(model)
        return {"rcc_homes_running": running} if running.any() else {}

    def report(self, model, accounts) -> dict:
        """The pot's accounts from the run's spend by payer (``accounts``: see
        :func:`rccsim.outputs.metrics.compute`): members pay in ``share`` of their placement
        budgets (:mod:`rccsim.core.budgets`: each the year before's spend), and the pot pays
        ``share`` of what they spend and the levers' costs."""
        cfg = self.settings
        if cfg.share <= 0:
            return {"pooled_budget": {}}
        a = accounts
        members = model.rcc.member_index
        basis = model.budgets.budget[:, members]
        contributions = cfg.share * basis
        spend = cfg.share * a.spend_la[:, members]
        levers_cost = np.sum([v for v in a.lever_items.values()], axis=0) if a.lever_items else np.zeros(model.years)
        # every member's recharge for an RCC bed comes back to the RCC, whose homes and contracts
        # are among the levers' costs: the pot pays its share of them and takes them all back
        recharges = a.recharge_la[:, members].sum(axis=1)
        balance = np.cumsum(contributions.sum(axis=1) - spend.sum(axis=1) - levers_cost + recharges)
        gap = spend - contributions  # each member's over (+) or under (-) spend the pot carried
        return {"pooled_budget": {
            "share": cfg.share,
            "contributions_gbp_by_year": [float(x) for x in contributions.sum(axis=1)],
            "rcc_spend_gbp_by_year": [float(x) for x in (spend.sum(axis=1) + levers_cost - recharges)],
            "balance_gbp_by_year": [float(x) for x in balance],
            "absorbed_gbp_by_year": [float(x) for x in np.abs(gap).sum(axis=1)],
            "largest_la_overspend_gbp": float(max(gap.max(), 0.0)),
            "reinvested_gbp_by_year": [float(x) for x in getattr(self, "reinvested", np.zeros(model.years))],
            # homes the surplus started building (a home opens once built and managed)
            "homes_from_surplus": len(self.builder.hosts) if hasattr(self, "builder") else 0,
        }}


def _recharges(model, k: int) -> float:
    """What members paid the RCC for children in its beds in run year ``k`` (GBP), from the
    placement log."""
    log = model.recorder.placements
    n = log.n
    reg = np.flatnonzero(log.regional[:n])
    if len(reg) == 0:
        return 0.0
    y0, y1 = int(model.year_bounds[k]), int(model.year_bounds[k + 1])
    lo = np.maximum(log.start[reg].astype(np.int64), y0)
    hi = np.minimum(log.end[reg].astype(np.int64), y1)
    return float((log.price[reg] * np.maximum(hi - lo, 0) / 7.0).sum())
