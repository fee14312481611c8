"""Regional fostering hub: recruitment and support of LA foster carers for the RCC's members.

A yearly budget: ``recruitment_share`` of it buys extra approved LA households in member LAs at
``cost_per_approval_gbp`` each, and members' applications are assessed faster
(``assessment_lag_factor``); the rest supports carers at ``support_cost_per_carer_gbp`` a
household-year, and supported households leave less often (``support_leave_reduction``). A zero
budget changes nothing.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field, model_validator

from rccsim.base.codes import Sector, UnitType
from rccsim.levers.base import MAX_GBP, Lever, LeverSettings, charge_yearly


class FosteringHubSettings(LeverSettings):
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


class FosteringHub(Lever):
    key = "fostering_hub"

    @property
    def on(self) -> bool:
        return self.settings.budget_gbp_per_year > 0

    def setup(self, model) -> None:
        if self.on:
            charge_yearly(model, "fostering_hub", self.settings.budget_gbp_per_year)

    def applications(self, model, who: np.ndarray, lags: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Faster assessments for members' applicants, and applicants of the hub's own."""
        if not self.on:
            return who, lags
        cfg = self.settings
        lag_lo, lag_hi = model.p.carers.assessment_lag_days
        members = np.isin(-1 - who, model.rcc.member_index) & (who < 0)
        lags = np.where(members, np.round(lags * cfg.assessment_lag_factor / 7).astype(np.int64) * 7, lags)
        extra = self._hub_applications(model)
        if len(extra):
            hub_lags = model.streams["hub"].integers(int(lag_lo), int(lag_hi) + 1, size=len(extra)) * cfg.assessment_lag_factor
            who = np.concatenate([who, -1 - extra])
            lags = np.concatenate([lags, 7 * np.round(hub_lags / 7).astype(np.int64)])
        return who, lags

    def _hub_applications(self, model) -> np.ndarray:
        """This month's extra LA applications from the hub's recruitment budget (LA indices)."""
        cfg = self.settings
        members = model.rcc.member_index
        per_year = cfg.budget_gbp_per_year * cfg.recruitment_share / cfg.cost_per_approval_gbp
        pop = model.geo.population_0_17[members]
        lam = per_year / 12.0 * pop / pop.sum()
        counts = model.streams["hub"].poisson(lam)
        return np.repeat(members, counts).astype(np.int64)

    def carer_leave_rate(self, model, households: np.ndarray, rate: np.ndarray) -> np.ndarray:
        """Supported LA households of member LAs leave less often (by the share of them the
        support budget covers)."""
        if not self.on:
            return rate
        u = model.units
        return rate * np.where(u.sector[households] == Sector.LA, self._leave_factor(model, u.owner_la[households]), 1.0)

    def _leave_factor(self, model, owner_la: np.ndarray) -> np.ndarray:
        cfg = self.settings
        u = model.units
        n = u.n
        members = model.rcc.member_index
        hh = u.open[:n] & (u.utype[:n] == UnitType.FOSTER) & ~u.kinship[:n] & (u.sector[:n] == Sector.LA)
        member_hh = int((hh & np.isin(u.owner_la[:n], members)).sum())
        supported = cfg.budget_gbp_per_year * (1 - cfg.recruitment_share) / cfg.support_cost_per_carer_gbp
        coverage = min(1.0, supported / max(member_hh, 1))
        inside = np.isin(owner_la, members)
        return np.where(inside, 1.0 - cfg.support_leave_reduction * coverage, 1.0)
