"""Regional fostering hub: recruitment and support of LA foster carers for the RCC's members.

A yearly budget. ``recruitment_share`` of it buys enquiries from would-be carers in member LAs, at
``cost_per_enquiry_gbp`` each; they become applications and approvals at Ofsted's published
conversion rates for LA services (``carers.la_enquiry_to_application``,
``carers.application_to_approval``), as a recruitment funnel. The hub's applicants are assessed
faster (``assessment_lag_factor``); other applicants are not. Some of the hub's recruits would have
applied to an agency instead (``from_agencies``): for each of those an agency based in a member LA
loses an application that month. The rest of the budget supports carers at
``support_cost_per_carer_gbp`` a household-year, and supported households leave less often
(``support_leave_reduction``). A zero budget changes nothing.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field, model_validator

from rccsim.base.codes import Sector, UnitType
from rccsim.levers.base import MAX_GBP, Lever, LeverSettings, charge_yearly


class FosteringHubSettings(LeverSettings):
    budget_gbp_per_year: float = Field(1_000_000.0, ge=0.0, le=MAX_GBP)
    recruitment_share: float = Field(0.6, ge=0.0, le=1.0)
    cost_per_enquiry_gbp: float = Field(1_500.0, ge=10.0, le=MAX_GBP)
    from_agencies: float = Field(0.3, ge=0.0, le=1.0)
    assessment_lag_factor: float = Field(0.75, gt=0.0, le=1.0)
    support_cost_per_carer_gbp: float = Field(2_000.0, ge=10.0, le=MAX_GBP)
    support_leave_reduction: float = Field(0.25, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _enquiries(self):
        n = self.budget_gbp_per_year * self.recruitment_share / self.cost_per_enquiry_gbp
        if n > 200_000:
            raise ValueError(f"the hub's budget buys {n:,.0f} enquiries a year; at most 200,000 (England's fostering "
                             "services had 125,195 in 2022-23)")
        return self


class FosteringHub(Lever):
    key = "fostering_hub"
    REPORT_DEFAULTS = {"hub_enquiries": 0, "hub_approvals": 0, "hub_taken_from_agencies": 0}

    def __init__(self, settings=None):
        super().__init__(settings)
        self.enquiries = self.approvals = self.from_agencies = 0

    @property
    def on(self) -> bool:
        return self.settings.budget_gbp_per_year > 0

    def setup(self, model) -> None:
        if self.on:
            charge_yearly(model, "fostering_hub", self.settings.budget_gbp_per_year)
        # the agencies based in member LAs (those the hub's recruits may come from); set once
        members = set(model.rcc.member_index.tolist())
        self._regional_agencies = np.array([a for a in model.agency_ids if model.providers[a].base_la in members],
                                           dtype=np.int64)

    def applications(self, model, who: np.ndarray, lags: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """This month's hub recruits join the applications, assessed faster; for some of them an
        agency in the region loses an applicant it would have had."""
        if not self.on:
            return who, lags
        cfg = self.settings
        rng = model.streams["hub"]
        extra = self._hub_approvals(model, rng)
        if len(extra) == 0:
            return who, lags
        # recruits who would have gone to an agency based in a member LA
        taken = int(rng.binomial(len(extra), cfg.from_agencies))
        if taken:
            theirs = np.flatnonzero((who >= 0) & np.isin(who, self._regional_agencies))
            if len(theirs):
                drop = rng.choice(theirs, size=min(taken, len(theirs)), replace=False)
                keep = np.ones(len(who), dtype=bool)
                keep[drop] = False
                who, lags = who[keep], lags[keep]
                self.from_agencies += len(drop)
        lag_lo, lag_hi = model.p.carers.assessment_lag_days
        hub_lags = rng.integers(int(lag_lo), int(lag_hi) + 1, size=len(extra)) * cfg.assessment_lag_factor
        who = np.concatenate([who, -1 - extra])
        lags = np.concatenate([lags, 7 * np.round(hub_lags / 7).astype(np.int64)])
        return who, lags

    def _hub_approvals(self, model, rng) -> np.ndarray:
        """This month's enquiries the recruitment budget buys in member LAs (by their children), and
        those of them that will be approved (LA indices)."""
        cfg = self.settings
        pc = model.p.carers
        members = model.rcc.member_index
        per_year = cfg.budget_gbp_per_year * cfg.recruitment_share / cfg.cost_per_enquiry_gbp
        pop = model.geo.population_0_17[members]
        enquiries = rng.poisson(per_year / 12.0 * pop / pop.sum())
        approved = rng.binomial(enquiries, pc.la_enquiry_to_application * pc.application_to_approval)
        self.enquiries += int(enquiries.sum())
        self.approvals += int(approved.sum())
        return np.repeat(members, approved).astype(np.int64)

    def report(self, model, accounts) -> dict:
        return {"hub_enquiries": self.enquiries, "hub_approvals": self.approvals,
                "hub_taken_from_agencies": self.from_agencies}

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
