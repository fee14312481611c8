"""Residential workforce academy: the RCC trains people to work in children's homes.

A yearly budget buys training places at ``cost_per_trainee_gbp`` each, started month by month (a
Poisson number from the lever's own random stream). A trainee completes with chance
``completion_rate`` after ``training_weeks``, and then takes a post in a children's home of the
RCC's region with chance ``take_up`` (the rest take other work, or posts elsewhere). Recruits join
the region's stock of care staff (:mod:`rccsim.core.workforce`) where there is a vacancy; a recruit
who finds none is not hired. They are people trained for the work, not drawn from the pool the
market recruits from: the market's own hiring slows only as its own recruits outgrow the start. In their first year they leave ``first_year_leave_factor`` times as often as the region's
staff, as new starters do; then they are staff like any other.

What the academy changes is emergent: fewer vacancies leave fewer places unstaffed, agency cover
and wage growth ease, and with them homes' running costs and prices, across the whole region (every
home there recruits from it, not only members'). The RCC's region is the workforce region (one of
England's nine) of its members; where members span regions, recruits are shared in proportion to the
members' children's home places in each.

No published figure gives an academy's cost, completion or effect on vacancies: the settings are
borrowed from Skills Bootcamps and adult social care (sources beside each; docs/levers.md), and are
assumptions drawn in ``rccsim compare`` (calibration/uncertainty.yaml).
"""

from __future__ import annotations

import numpy as np
from pydantic import Field, model_validator

from rccsim.base.codes import UnitType
from rccsim.base.tables import weighted_bincount
from rccsim.levers.base import MAX_GBP, Lever, LeverSettings, charge_yearly


class WorkforceAcademySettings(LeverSettings):
    # about 100 trainees a year at the cost below: GM aimed its residential childcare bootcamp at
    # "around 100 individuals" (GMCA, GM Sufficiency Programme, project 5)
    budget_gbp_per_year: float = Field(300_000.0, ge=0.0, le=MAX_GBP)
    # Skills Bootcamps cost GBP 2,100-3,500 a start: England 2022-23, GBP 85m for 40,400 starts (FE
    # Week, 24 May 2024, from DfE); GMCA 2022-23, GBP 7m for 2,500 people; London 2025-26, GBP 27m
    # for 7,700 learners
    cost_per_trainee_gbp: float = Field(3_000.0, ge=100.0, le=MAX_GBP)
    # Skills Bootcamps: 62% of 2021-22's starts completed, about two thirds of 2022-23's (FE Week)
    completion_rate: float = Field(0.65, ge=0.0, le=1.0)
    # assumption: 36-37% of bootcamp starts reported a "positive outcome" (about 57% of completers),
    # new roles with a current employer included (FE Week); fewer take a post in the region's homes
    take_up: float = Field(0.45, ge=0.0, le=1.0)
    # Wigan's "Step Into... Residential Children's Care" course: 8 to 12 weeks (Wigan Today, July 2024)
    training_weeks: int = Field(12, ge=0, le=156)
    # assumption: new starters in adult social care leave about 1.5 times as often as all staff
    # (Skills for Care, "Retaining more people", 2021-22: 43.7% a year against 29.0%); people
    # trained and chosen for the work may leave less often than that
    first_year_leave_factor: float = Field(1.3, ge=1.0, le=5.0)

    @model_validator(mode="after")
    def _trainees(self):
        n = self.budget_gbp_per_year / self.cost_per_trainee_gbp
        if n > 40_000:
            raise ValueError(f"the academy's budget trains {n:,.0f} people a year; at most 40,000 (England's children's "
                             "homes had about 39,300 care staff in 2023)")
        return self


class WorkforceAcademy(Lever):
    key = "workforce_academy"
    REPORT_DEFAULTS = {"academy_trainees": 0, "academy_completed": 0, "academy_hired": 0.0, "academy_left_early": 0.0}

    def __init__(self, settings=None):
        super().__init__(settings)
        self.trainees = self.completed = 0
        self.hired = self.left_early = 0.0
        self._pending: list[tuple[int, np.ndarray]] = []  # (day ready, recruits by region)
        self._first_year: list[tuple[int, np.ndarray]] = []  # (day hired, still employed, by region)

    def setup(self, model) -> None:
        if self.settings.budget_gbp_per_year > 0:
            charge_yearly(model, "workforce_academy", self.settings.budget_gbp_per_year)

    def _region_shares(self, model) -> np.ndarray:
        """Each workforce region's share of the members' children's home places (now)."""
        wf = model.workforce
        u = model.units
        n = u.n
        members = np.zeros(model.geo.n, dtype=bool)
        members[model.rcc.member_index] = True
        homes = np.flatnonzero(u.open[:n] & (u.utype[:n] == UnitType.HOME) & members[u.la[:n]])
        places = weighted_bincount(wf.region_of_la[u.la[homes]], u.places[homes].astype(float), len(wf.regions))
        if places.sum() <= 0:  # no homes: the members' regions, in proportion to their members
            places = np.bincount(wf.region_of_la[model.rcc.member_index], minlength=len(wf.regions)).astype(float)
        return places / places.sum()

    def staff_recruits(self, model, day: int, vacancies: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        cfg = self.settings
        if cfg.budget_gbp_per_year <= 0:
            return None
        rng = model.streams["workforce_academy"]
        started = int(rng.poisson(cfg.budget_gbp_per_year / cfg.cost_per_trainee_gbp / 12.0))
        completed = int(rng.binomial(started, cfg.completion_rate))
        joining = int(rng.binomial(completed, cfg.take_up))
        self.trainees += started
        self.completed += completed
        if joining:
            by_region = rng.multinomial(joining, self._region_shares(model)).astype(float)
            self._pending.append((day + 7 * cfg.training_weeks, by_region))
        ready = np.zeros(len(vacancies))
        waiting = []
        for when, by_region in self._pending:
            if when <= day:
                ready += by_region
            else:
                waiting.append((when, by_region))
        self._pending = waiting
        hired = np.minimum(ready, vacancies)
        self.hired += float(hired.sum())
        # in their first year the academy's recruits leave more often than the region's staff: the
        # region's rate is among the workforce's leavers, the excess leaves here
        q = float(model.p.workforce.leave_rate_per_year)
        excess = max(cfg.first_year_leave_factor - 1.0, 0.0) * q
        left = np.zeros(len(vacancies))
        still = []
        for when, cohort in self._first_year:
            if day - when < 365:
                stayed = cohort * np.exp(-q / 12.0)  # this month's leavers at the region's rate went first
                gone = stayed * (1.0 - np.exp(-excess / 12.0))
                left += gone
                still.append((when, stayed - gone))
        self._first_year = still
        if hired.any():
            self._first_year.append((day, hired))
        self.left_early += float(left.sum())
        return hired, left

    def report(self, model, accounts) -> dict:
        return {"academy_trainees": self.trainees, "academy_completed": self.completed, "academy_hired": self.hired,
                "academy_left_early": self.left_early}
