"""The residential workforce: care staff and registered managers of children's homes, by region.

Each of England's nine regions has a stock of care staff and of registered managers working in
its children's homes (independent and LA-run). Every month (a SimPy process):

* **Posts.** An open home needs ``workforce.staff_per_place`` care staff per registered place
  (DfE's children's homes workforce census, spring 2023: 39,300 staff, against Ofsted's 13,528
  registered places of all children's homes at 31 March 2023: 2.9) and one registered manager (The
  Children's Homes (England) Regulations 2015 require one for every home).
* **Leaving.** Staff leave at ``workforce.leave_rate_per_year`` (Ofsted: 35% of permanent care
  staff left in the year to March 2022), managers at ``workforce.manager_leave_rate_per_year``.
* **Recruiting.** Each vacancy is filled at a hazard, ``workforce.fill_rate_per_year`` (DfE's
  census 2024: three in five vacancies filled within three months), which grows with the region's
  wage relative to the start (``workforce.wage_elasticity``) and shrinks as the region's staff
  outgrow the pool they are drawn from (``workforce.pool_depletion``: the hazard falls with the
  ratio of staff to the start's). The vacancy rate that keeps staff steady is then
  leave / (leave + fill): about 9% at the start.
* **Agency staff** cover ``workforce.agency_cover_share`` of the vacancies at a premium on the
  wage cost (``workforce.agency_premium``); the rest of the vacancies leave places **unstaffed**:
  ``vacancies x (1 - cover) / staff_per_place`` places of the region's homes cannot take a child,
  spread over its homes in proportion to their places.
* **Wages** rise with the vacancy rate above its start level (``workforce.wage_response``) and
  with a real trend (``workforce.real_wage_growth_per_year``), and feed every home's running cost
  (staff cost x wage index, with the agency premium on the agency share of the hours worked).
* **Managers** are recruited the same way (``workforce.manager_fill_rate_per_year``). A new home
  registers only with a registered manager: its search for one starts when the home is planned,
  and the home opens at the later of its registration and the day its manager is found
  (:meth:`Workforce.manager_wait_days`). Growth in homes raises the managers' vacancy rate, as
  Ofsted found it rising from 9% (August 2019) to 14% (August 2022).

Outputs by region and run year (:meth:`Workforce.snapshot`): posts, staff, vacancy rate,
turnover, agency share, managers' vacancy rate and wage index.
"""

from __future__ import annotations

import numpy as np

from rccsim.base.codes import UnitType
from rccsim.base.tables import weighted_bincount
from rccsim.core.providers import home_weekly_cost


class Workforce:
    """The residential workforce of every region (``model.workforce``)."""

    def __init__(self, model):
        self.model = model
        geo = model.geo
        names = sorted(geo.las.region_name.unique())
        self.regions = names
        self.region_of_la = geo.las.region_name.map({n: i for i, n in enumerate(names)}).to_numpy(np.int64)
        r = len(names)
        self.staff = np.zeros(r)
        self.managers = np.zeros(r)
        self.agency = np.zeros(r)
        self.wage = np.ones(r)  # wage index, 1 at the start
        self.staff_ref = np.ones(r)  # staff at the start (the pool's depletion is relative to it)
        self.managers_ref = np.ones(r)
        self.start_vacancy = np.zeros(r)
        years = model.years
        self.leavers = np.zeros((years + 1, r))  # the run year's flows (row 0: before the run)
        self.lever_hires = np.zeros((years + 1, r))  # staff hired through a lever (an academy)
        self.lever_staff = np.zeros(r)  # those still employed (they are not the market's recruits)
        self.staff_months = np.zeros((years + 1, r))
        self.months = np.zeros(years + 1)

    # -- posts and the start ---------------------------------------------------------------------
    def homes(self) -> np.ndarray:
        u = self.model.units
        n = u.n
        return np.flatnonzero(u.open[:n] & (u.utype[:n] == UnitType.HOME))

    def posts(self) -> tuple[np.ndarray, np.ndarray]:
        """Care staff posts and registered manager posts by region (the open homes')."""
        u = self.model.units
        homes = self.homes()
        reg = self.region_of_la[u.la[homes]]
        spp = float(self.model.p.workforce.staff_per_place)
        staff_posts = weighted_bincount(reg, u.places[homes].astype(float) * spp, len(self.regions))
        manager_posts = np.bincount(reg, minlength=len(self.regions)).astype(float)
        return staff_posts.astype(float), manager_posts

    def _fill(self, rate: float, ref: np.ndarray, stock: np.ndarray) -> np.ndarray:
        """Hazard a year at which a vacancy is filled, by region, now."""
        p = self.model.p.workforce
        depletion = (np.maximum(stock, 1e-9) / np.maximum(ref, 1e-9)) ** float(p.pool_depletion)
        return rate * self.wage ** float(p.wage_elasticity) / depletion

    def seed(self) -> None:
        """The start: each region at the vacancy rate that keeps its staff steady."""
        p = self.model.p.workforce
        posts, mposts = self.posts()
        q, h = float(p.leave_rate_per_year), float(p.fill_rate_per_year)
        qm, hm = float(p.manager_leave_rate_per_year), float(p.manager_fill_rate_per_year)
        v0 = q / (q + h)
        self.start_vacancy = np.full(len(self.regions), v0)
        self.staff = posts * (1.0 - v0)
        self.managers = mposts * (1.0 - qm / (qm + hm))
        self.staff_ref = np.maximum(self.staff, 1.0)
        self.managers_ref = np.maximum(self.managers, 1.0)
        self.agency = posts * v0 * float(p.agency_cover_share)
        self.apply(initial=True)

    # -- the month ----------------------------------------------------------------------------------
    def monthly(self, day: int) -> None:
        p = self.model.p.workforce
        k = min(self.model.year_of_day(day), self.model.years)
        posts, mposts = self.posts()
        self.staff = np.minimum(self.staff, posts)  # homes that closed: their staff went with them
        self.managers = np.minimum(self.managers, mposts)
        leave = self.staff * (1.0 - np.exp(-float(p.leave_rate_per_year) / 12.0))
        self.staff -= leave
        self.lever_staff *= np.exp(-float(p.leave_rate_per_year) / 12.0)  # they leave at the region's rate too
        self.managers -= self.managers * (1.0 - np.exp(-float(p.manager_leave_rate_per_year) / 12.0))
        # staff a lever brings (a workforce academy's recruits) take vacancies first; they are
        # people trained for the work, not drawn from the pool the market recruits from, so the
        # market's hiring slows only as its own recruits outgrow the start (pool_depletion)
        for lever in self.model.levers:
            got = lever.staff_recruits(self.model, day, np.maximum(posts - self.staff, 0.0))
            if got is not None:
                hired, left = got
                self.staff = np.maximum(self.staff + hired - left, 0.0)
                self.lever_staff = np.maximum(self.lever_staff + hired - left, 0.0)
                self.lever_hires[k] += hired
                self.leavers[k] += left
        h = self._fill(float(p.fill_rate_per_year), self.staff_ref, np.maximum(self.staff - self.lever_staff, 0.0))
        vac = np.maximum(posts - self.staff, 0.0)
        self.staff += vac * (1.0 - np.exp(-h / 12.0))
        hm = self._fill(float(p.manager_fill_rate_per_year), self.managers_ref, self.managers)
        mvac = np.maximum(mposts - self.managers, 0.0)
        self.managers += mvac * (1.0 - np.exp(-hm / 12.0))
        vac = np.maximum(posts - self.staff, 0.0)
        self.agency = vac * float(p.agency_cover_share)
        rate = np.where(posts > 0, vac / np.maximum(posts, 1.0), 0.0)
        growth = float(p.real_wage_growth_per_year) + float(p.wage_response) * (rate - self.start_vacancy)
        self.wage *= np.exp(growth / 12.0)
        self.leavers[k] += leave
        self.staff_months[k] += self.staff
        self.months[k] += 1
        self.apply()

    def manager_wait_days(self, las: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Days until homes planned now in LAs ``las`` find their registered manager (exponential
        at the region's current hazard, from uniforms ``u``)."""
        p = self.model.p.workforce
        hm = self._fill(float(p.manager_fill_rate_per_year), self.managers_ref, self.managers)
        rate = hm[self.region_of_la[np.asarray(las, dtype=np.int64)]]
        return np.round(-np.log(np.maximum(1.0 - np.asarray(u), 1e-12)) / np.maximum(rate, 1e-9) * 365.25).astype(np.int64)

    # -- what it does to homes ------------------------------------------------------------------
    def cost_factor(self) -> np.ndarray:
        """Labour cost of a home's registered place, by region, relative to the start: the wage
        index times the posts paid for (staff employed, and agency staff at the premium) per post,
        over the same at the start. Vacant posts no agency covers are not paid for; their places
        stand empty."""
        p = self.model.p.workforce
        posts, _ = self.posts()
        prem = float(p.agency_premium)
        paid = np.where(posts > 0, (self.staff + self.agency * prem) / np.maximum(posts, 1e-9), 1.0)
        v0 = self.start_vacancy
        paid0 = (1.0 - v0) + v0 * float(p.agency_cover_share) * prem
        return self.wage * paid / paid0

    def apply(self, initial: bool = False) -> None:
        """Unstaffed places and labour costs into the homes of each region."""
        model = self.model
        u = model.units
        p = model.p.workforce
        homes = self.homes()
        if len(homes) == 0:
            return
        reg = self.region_of_la[u.la[homes]]
        posts, _ = self.posts()
        uncovered = np.maximum(posts - self.staff - self.agency, 0.0)
        places_by_region = weighted_bincount(reg, u.places[homes].astype(float), len(self.regions))
        share = np.where(places_by_region > 0, uncovered / float(p.staff_per_place) / np.maximum(places_by_region, 1.0), 0.0)
        # each home loses its share of places: whole places, the fraction by a keyed draw
        exact = u.places[homes] * share[reg]
        base = np.floor(exact)
        draw = model.streams.keyed_uniform("unstaffed", homes, np.full(len(homes), 0 if initial else int(model.env.now)))
        # a home short of staff closes empty places, never one a child lives in (staff cover the
        # children it has, on overtime if need be)
        filled = u.occupied[homes].astype(np.int64) + u.bg_occupied[homes] + u.staying_put[homes]
        room = np.maximum(u.places[homes] - u.unavailable_base[homes] - filled, 0)
        unstaffed = np.minimum(base + (draw < exact - base), room).astype(np.int64)
        changed = homes[unstaffed != u.unstaffed[homes]]
        u.unstaffed[homes] = unstaffed
        u.unavailable[homes] = u.unavailable_base[homes] + unstaffed
        u.labour_factor[homes] = self.cost_factor()[reg]
        u.weekly_cost[homes] = home_weekly_cost(model, homes)
        if not initial and len(changed):
            model.market.touch(changed)

    # -- outputs ------------------------------------------------------------------------------
    def snapshot(self, year: int) -> dict:
        """Posts, staff, vacancy rate, turnover, agency share, managers' vacancy rate and wage index
        by region: stocks at the end of run year ``year`` (1-based), turnover over the year."""
        posts, mposts = self.posts()
        mean_staff = self.staff_months[year] / max(self.months[year], 1.0)
        out = {}
        for i, name in enumerate(self.regions):
            worked = self.staff[i] + self.agency[i]
            out[name] = {
                "posts": float(posts[i]),
                "staff": float(self.staff[i]),
                "vacancy_rate": float(max(posts[i] - self.staff[i], 0.0) / posts[i]) if posts[i] > 0 else 0.0,
                "turnover": float(self.leavers[year, i] / mean_staff[i]) if mean_staff[i] > 0 else 0.0,
                "agency_share": float(self.agency[i] / worked) if worked > 0 else 0.0,
                "manager_vacancy_rate": float(max(mposts[i] - self.managers[i], 0.0) / mposts[i]) if mposts[i] > 0 else 0.0,
                "wage_index": float(self.wage[i]),
            }
        return out

    def england(self, year: int) -> dict:
        """The same over England."""
        posts, mposts = self.posts()
        mean_staff = self.staff_months[year].sum() / max(self.months[year], 1.0)
        worked = self.staff.sum() + self.agency.sum()
        return {
            "workforce_vacancy_rate": float(max(posts.sum() - self.staff.sum(), 0.0) / max(posts.sum(), 1.0)),
            "workforce_turnover": float(self.leavers[year].sum() / mean_staff) if mean_staff > 0 else 0.0,
            "workforce_agency_share": float(self.agency.sum() / worked) if worked > 0 else 0.0,
            "manager_vacancy_rate": float(max(mposts.sum() - self.managers.sum(), 0.0) / max(mposts.sum(), 1.0)),
            "wage_index": float(np.average(self.wage, weights=np.maximum(self.staff, 1e-9))),
            "care_staff": float(self.staff.sum()),
        }
