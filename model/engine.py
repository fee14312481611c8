"""The engine: a Mesa model that advances the care market one day at a time.

Each day, in order:

1. Slow processes due today run in SimPy (carer assessments ending, homes finishing registration,
   the monthly carer cycle, the monthly price review, quarterly provider reviews, the yearly LA
   review).
2. Child events due today are popped from the day-bucket calendar and checked against the state
   (an event whose plan has changed since it was filed is dropped): children leave care, move to
   their adoptive family, or their placement ends (breakdown, planned move).
3. New children enter care; those with a direct plan (with parents, kinship, hospital) are placed
   at once.
4. The market matches every child who needs a placement today (and, weekly, those waiting in
   emergency or unregistered settings).
5. On 31 March the recorder takes the year's snapshot.

Usage:
    >>> from model import Simulation
    >>> result = Simulation(region="GM", years=2, seed=1).run()  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import sys
import time

import mesa
import numpy as np
import simpy

from . import carers, providers, world
from . import children as ch
from .background import Background
from .calendar import Calendar
from .codes import EXIT, REASON, Kind, UnitType
from .data import check_start_year
from .errors import InputError
from .geography import load_geography, miles
from .market import Market
from .params import ParamSet, Scenario, load_scenario, resolve_parameters
from .recorder import Recorder
from .tables import Children, Units

NEVER = 2**31 - 1
DIRECT_KINDS = (Kind.FOSTER_KIN, Kind.WITH_PARENTS, Kind.ADOPTION, Kind.OTHER, Kind.UNREGISTERED)


class CareMarket(mesa.Model):
    """The regional market for children's care placements.

    Args:
        region: ``GM``, ``SE``, ``england``, an English region name or comma-separated LA codes.
        scenario: a bundled scenario name, a YAML path or a :class:`~model.params.Scenario`.
        years: horizon in years (1-50).
        seed: the run's seed (non-negative integer).
        start_year: the 31 March whose published state the run starts from (2020-2024).
        params: a parameter set to start from (defaults: ``calibration/parameters.yaml``).
        verbose: print progress to stderr.
    """

    def __init__(
        self,
        region: str = "GM",
        scenario: str | Scenario = "baseline",
        years: int = 10,
        seed: int = 1,
        start_year: int = 2024,
        params: ParamSet | None = None,
        verbose: bool = False,
    ):
        if not isinstance(years, int) or isinstance(years, bool) or years < 1 or years > 50:
            raise InputError(f"--years must be a whole number from 1 to 50, got {years}")
        if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
            raise InputError(f"--seed must be a non-negative whole number, got {seed}")
        self.start_year = check_start_year(start_year)
        self.scenario = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        self.p = resolve_parameters(self.scenario, params)
        self.geo = load_geography()
        self.region = self.geo.resolve_region(region)
        from .rng import Streams

        self.streams = Streams(seed)
        super().__init__(rng=self.streams["mesa"])
        self.seed = seed
        self.years = years
        self.verbose = verbose
        start = dt.date(self.start_year, 4, 1)
        self.start_date = start
        self.year_bounds = np.array([(dt.date(self.start_year + k, 4, 1) - start).days for k in range(years + 1)])
        self.horizon = int(self.year_bounds[-1])
        self.day = 0

        self.children = Children(capacity=120_000 if len(self.region.la_index) > 50 else 20_000)
        self.units = Units(capacity=60_000)
        self.providers: list = []
        self.provider_index: dict = {}
        self.calendar = Calendar(self.horizon)
        self.env = simpy.Environment()
        self.market = Market(self)
        self.background = Background(self)
        self.recorder = Recorder(self)
        self.exit_hazards = ch._hazard_table(self)
        self.occ_samples = 0
        world.build(self)
        from .agents import RCC

        members = [self.las[i] for i in self.region.la_index]
        self.rcc = RCC(self, self.region.label, members)
        self._entries = {}
        self._start_processes()
        self.wall_seconds = 0.0

    # -- time ---------------------------------------------------------------------------------
    def year_of_day(self, day: int) -> int:
        """Run year (1-based) containing ``day``."""
        return int(np.searchsorted(self.year_bounds, day, side="right"))

    def date_of_day(self, day: int) -> dt.date:
        return self.start_date + dt.timedelta(days=int(day))

    def _start_processes(self) -> None:
        self.env.process(self._every(30, lambda d: carers.monthly(self, d), offset=15))
        self.env.process(self._every(30, lambda d: self.market.update_prices(1.0), offset=0))
        self.env.process(self._every(91, lambda d: providers.review(self, d), offset=45))
        self.env.process(self._every(365, lambda d: providers.la_home_review(self, d), offset=180))
        self.env.process(self._every(30, self._accrue_occupancy, offset=1))
        if not self.world.simulated.all():
            self.env.process(self._every(7, lambda d: self.background.churn(d), offset=3))

    def _every(self, period: int, action, offset: int = 0):
        yield self.env.timeout(offset)
        while True:
            action(int(self.env.now))
            yield self.env.timeout(period)

    def _accrue_occupancy(self, day: int) -> None:
        """Monthly sample of filled places, for providers' quarterly reviews."""
        u = self.units
        u.occ_days[: u.n] += u.occupied[: u.n] + u.bg_occupied[: u.n] + u.staying_put[: u.n]
        self.occ_samples += 1

    # -- placing children -----------------------------------------------------------------------
    def place(self, ids: np.ndarray, units: np.ndarray, kinds: np.ndarray, prices: np.ndarray, day: int, initial: bool = False) -> None:
        """Start placements in units (occupancy already taken by the market)."""
        c, u = self.children, self.units
        moving = ids[c.kind[ids] >= 0]
        if len(moving):
            self._end_current(moving, day, REASON["CARPL"])
        self._start(ids, kinds, units, u.pc[units], u.la[units], prices, day, initial)

    def place_direct(self, ids: np.ndarray, kinds: np.ndarray, day: int, initial: bool = False) -> None:
        """Placements outside the market: with parents, kinship, adoption, other, unregistered."""
        c, geo, p = self.children, self.geo, self.p
        kinds = np.asarray(kinds, dtype=np.int64)
        sel = np.isin(kinds, DIRECT_KINDS)
        ids, kinds = ids[sel], kinds[sel]
        if len(ids) == 0:
            return
        moving = ids[c.kind[ids] >= 0]
        if len(moving):
            self._end_current(moving, day, REASON["CARPL"])
        la = c.la[ids].astype(np.int64)
        pc = c.home_pc[ids].copy()
        units = np.full(len(ids), -1, dtype=np.int64)
        prices = np.zeros(len(ids))
        need = c.need[ids].astype(np.int64)
        u_loc = self.streams.keyed_uniform("direct_place", ids, c.n_placements[ids])
        kin = kinds == Kind.FOSTER_KIN
        if kin.any():
            units[kin] = carers.new_kinship_carers(self, ids[kin], day)
            pc[kin] = self.units.pc[units[kin]]
            prices[kin] = p.prices.kinship_gbp
        for kind, k_near, cost in (
            (Kind.ADOPTION, p.placement.adoption_reach_las, 0.0),
            (Kind.OTHER, p.placement.other_reach_las, p.prices.other_gbp),
            (Kind.UNREGISTERED, p.placement.unregistered_reach_las, p.prices.unregistered_gbp),
        ):
            m = kinds == kind
            if not m.any():
                continue
            k = int(k_near)
            where = geo.neighbours[la[m], np.minimum((u_loc[m] * k).astype(np.int64), k - 1)]
            pc[m] = geo.sample_points(where, self.streams.keyed_uniform("direct_point", ids[m], c.n_placements[ids[m]]))
            prices[m] = cost * (np.asarray(p.prices.need_multiplier_home)[need[m]] if kind == Kind.UNREGISTERED else 1.0)
        place_la = np.where(pc >= 0, self._la_of_pc(pc), la)
        self._start(ids, kinds, units, pc, place_la, prices, day, initial)

    def _la_of_pc(self, pc: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.geo.pc_start, pc, side="right") - 1

    def _start(self, ids, kinds, units, pc, place_la, prices, day, initial) -> None:
        c, geo = self.children, self.geo
        c.kind[ids] = kinds
        c.unit[ids] = units
        c.payer[ids] = c.la[ids]
        c.price[ids] = prices
        c.last_place_start[ids] = c.place_start[ids]
        c.place_start[ids] = day
        e, n = geo.pc_e[pc], geo.pc_n[pc]
        c.place_e[ids], c.place_n[ids] = e, n
        c.place_la[ids] = place_la
        c.distance[ids] = miles(c.home_e[ids], c.home_n[ids], e, n)
        first = c.n_placements[ids] == 0
        c.n_placements[ids] += 1
        c.waiting_since[ids] = np.where(kinds == Kind.UNREGISTERED, np.where(c.waiting_since[ids] < 0, day, c.waiting_since[ids]), -1)
        provider = np.where(units >= 0, self.units.provider[np.maximum(units, 0)], -1)
        self.recorder.start(ids, day, kinds, units, provider, place_la, c.la[ids], prices, c.distance[ids], first, initial, pc)
        unreg = kinds == Kind.UNREGISTERED
        if unreg.any():
            # search again each week; the emergency placement itself has no planned end
            c.end_day[ids[unreg]] = NEVER
            self.calendar.schedule("research", np.full(int(unreg.sum()), day + int(self.p.placement.research_days)), ids[unreg])
        ch.schedule_placement_end(self, ids[~unreg], day)

    def _end_current(self, ids: np.ndarray, day: int, reason) -> None:
        """End the current placements of ``ids`` (free the unit, log the end)."""
        c, u = self.children, self.units
        units = c.unit[ids]
        has = units >= 0
        if has.any():
            uu = units[has]
            np.subtract.at(u.occupied, uu, 1)
            kin = u.kinship[uu]
            if kin.any():
                u.open[uu[kin]] = False
                u.closed[uu[kin]] = day
            self.market.refresh(uu)
        self.recorder.end(ids, day, reason)
        c.kind[ids] = -1
        c.unit[ids] = -1
        c.end_day[ids] = NEVER

    def need_placement(self, ids: np.ndarray, day: int) -> None:
        """Search the market for ``ids``; those left unplaced go to an emergency setting."""
        if len(ids) == 0:
            return
        c = self.children
        c.waiting_since[ids] = np.where(c.waiting_since[ids] < 0, day, c.waiting_since[ids])
        left = self.market.clear(ids, day)
        new_unreg = left[c.kind[left] != Kind.UNREGISTERED]
        if len(new_unreg):
            self.place_direct(new_unreg, np.full(len(new_unreg), Kind.UNREGISTERED), day)
        still = left[c.kind[left] == Kind.UNREGISTERED]
        still = np.setdiff1d(still, new_unreg)
        if len(still):
            self.calendar.schedule("research", np.full(len(still), day + int(self.p.placement.research_days)), still)

    # -- leaving care ---------------------------------------------------------------------------
    def leave_care(self, ids: np.ndarray, day: int) -> None:
        c, u = self.children, self.units
        route = c.exit_route[ids].astype(np.int64)
        code = np.where(route >= 0, ch.route_to_code(np.maximum(route, 0)), ch.exit_code_at_18(self, ids))
        # staying put: the young person keeps the foster place for a while
        stay = (code == EXIT["E17"]) & (c.unit[ids] >= 0)
        if stay.any():
            su = c.unit[ids[stay]]
            mainstream = ~u.kinship[su]
            su = su[mainstream]
            if len(su):
                np.add.at(u.staying_put, su, 1)
                years = self.streams["staying_put"].exponential(self.p.exits.staying_put_years, len(su))
                self.calendar.schedule("staying_put_end", day + np.round(years * 365.25).astype(np.int64), su)
        self._end_current(ids, day, -2)
        c.in_care[ids] = False
        c.exited[ids] = day
        c.exit_route[ids] = code
        c.waiting_since[ids] = -1

    # -- provision changes ----------------------------------------------------------------------
    def close_units(self, ids: np.ndarray, day: int) -> None:
        """Close units: children placed there move (reason CLOSE)."""
        u, c = self.units, self.children
        ids = np.asarray(ids, dtype=np.int64)
        u.open[ids] = False
        u.closed[ids] = day
        u.staying_put[ids] = 0
        u.bg_occupied[ids] = 0
        n = c.n
        placed = np.flatnonzero(np.isin(c.unit[:n], ids) & c.in_care[:n])
        if len(placed):
            self._end_current(placed, day, REASON["CLOSE"])
            self.need_placement(placed, day)
        self.market.refresh(ids)
        homes = ids[u.utype[ids] != UnitType.FOSTER]
        if len(homes):
            self.recorder.count("homes_closed", day, u.sector[homes], u.la[homes])

    def open_unit(self, provider: int, utype: int, la: int, places: int, max_need: int, day: int) -> int:
        from .codes import Sector

        geo = self.geo
        if provider < 0:
            owner, sector, pid = -1 - provider, Sector.LA, -1
        else:
            owner, sector, pid = -1, self.providers[provider].sector, provider
        kind = Kind.SUPPORTED if utype == UnitType.SUPPORTED else (Kind.HOME_LA if sector == Sector.LA else Kind.HOME_IND)
        pc = int(geo.sample_points(np.array([la]), self.streams["provider_entry"].random(1))[0])
        ids = self.units.append(
            1, utype=utype, kind=kind, sector=sector, owner_la=owner, provider=pid, la=la, pc=pc,
            east=geo.pc_e[pc], north=geo.pc_n[pc], places=places, max_need=max_need, open=True, opened=day,
        )
        self.units.weekly_cost[ids] = providers.home_weekly_cost(self, ids)
        self.market.attach_units(ids)
        self.recorder.count("homes_opened", day, np.array([sector]), np.array([la]))
        return int(ids[0])

    # -- the day --------------------------------------------------------------------------------
    def step(self) -> None:
        day = self.day
        self.env.run(until=day + 1)
        ev = self.calendar.pop(day)
        c = self.children

        exits = ev.get("exit")
        if exits is not None:
            exits = np.unique(exits)
            exits = exits[c.in_care[exits] & (c.exit_day[exits] == day)]
            if len(exits):
                self.leave_care(exits, day)

        moves = ev.get("adoption_move")
        if moves is not None:
            moves = np.unique(moves)
            moves = moves[c.in_care[moves] & (c.adopt_move_day[moves] == day)]
            if len(moves):
                self.place_direct(moves, np.full(len(moves), Kind.ADOPTION), day)

        sp = ev.get("staying_put_end")
        if sp is not None:
            np.subtract.at(self.units.staying_put, sp, 1)
            np.maximum(self.units.staying_put, 0, out=self.units.staying_put)
            self.market.refresh(sp)

        referrals = []
        ends = ev.get("end")
        if ends is not None:
            ends = np.unique(ends)
            ends = ends[c.in_care[ends] & (c.end_day[ends] == day)]
            if len(ends):
                reason = c.end_reason[ends].astype(np.int64)
                broke = ch.is_breakdown(reason)
                units = c.unit[ends]
                if broke.any():
                    bu = units[broke]
                    bu = bu[bu >= 0]
                    np.add.at(self.units.breakdowns, bu, 1)
                    c.n_breakdowns[ends[broke]] += 1
                    ch.escalate_needs(self, ends[broke], day)
                planned = ~broke & np.isin(c.kind[ends], [Kind.HOME_LA, Kind.HOME_IND])
                if planned.any():
                    ch.settle_needs(self, ends[planned])
                self._end_current(ends, day, reason)
                referrals.append(ends)

        research = ev.get("research")
        if research is not None:
            research = np.unique(research)
            research = research[c.in_care[research] & (c.kind[research] == Kind.UNREGISTERED)]
            if len(research):
                referrals.append(research)

        new = self._entries.pop(day, None)
        if new is not None and len(new):
            c.in_care[new] = True
            direct = np.select(
                [c.plan_parents[new], c.plan_kin[new], c.plan_other[new]],
                [Kind.WITH_PARENTS, Kind.FOSTER_KIN, Kind.OTHER],
                -1,
            )
            d = direct >= 0
            self.place_direct(new[d], direct[d], day)
            referrals.append(new[~d])

        if referrals:
            self.need_placement(np.concatenate(referrals), day)

        if day + 1 in self.year_bounds[1:]:
            year = int(np.searchsorted(self.year_bounds, day + 1))
            self.recorder.snapshot(year, day)
        self.day += 1

    def _draw_year_entries(self, year_index: int) -> None:
        """Create this year's entrants (they come into care on their day)."""
        start, stop = int(self.year_bounds[year_index]), int(self.year_bounds[year_index + 1])
        days, las = ch.draw_entry_days(self, start, stop - start, self.region.la_index)
        order = np.argsort(days, kind="stable")
        days, las = days[order], las[order]
        ids = ch.create_entrants(self, las, days)
        cut = np.flatnonzero(np.diff(days)) + 1
        for d, chunk in zip(days[np.r_[0, cut]] if len(days) else [], np.split(ids, cut) if len(days) else []):
            self._entries[int(d)] = chunk

    def run(self, progress: bool | None = None):
        """Run the whole horizon; returns a :class:`~model.results.RunResult`."""
        from .results import RunResult

        progress = self.verbose if progress is None else progress
        t0 = time.perf_counter()
        for k in range(self.years):
            self._draw_year_entries(k)
            while self.day < self.year_bounds[k + 1]:
                self.step()
            if progress:
                n_in = int(self.children.in_care[: self.children.n].sum())
                print(f"  year {k + 1}/{self.years}: {n_in:,} children in care ({time.perf_counter() - t0:.1f}s)",
                      file=sys.stderr, flush=True)
        self.wall_seconds = time.perf_counter() - t0
        return RunResult.from_model(self)


def Simulation(**kwargs) -> CareMarket:
    """Build a run (see :class:`CareMarket` for arguments); call ``.run()`` on it."""
    return CareMarket(**kwargs)
