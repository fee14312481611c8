"""The engine: a Mesa model that advances the care market a week (one *tick*) at a time.

Every event keeps its own day; the tick only decides which events are handled together, so that
the cost of a step is paid once a week rather than once a day. Each tick, in order:

1. Slow processes due on the tick's first day run in SimPy (carer assessments ending, homes
   finishing registration, the monthly carer cycle and price review, quarterly provider reviews,
   the yearly LA review). Their dates are rounded up to the next tick.
2. The tick's child events are popped from the day-bucket calendar and checked against the state
   (an event whose plan has changed since it was filed is dropped): children move to their
   adoptive family, or their placement ends (breakdown, planned move); children waiting in
   emergency or unregistered settings come up for their weekly search.
3. New children enter care on their day; those with a direct plan (with parents, kinship,
   hospital) are placed at once.
4. The market matches, in one batch, every child who needed a placement during the tick; each
   placement is dated on the day the child needed it.
5. Children due to leave care during the tick leave (after any move earlier in the tick: a
   placement never ends after the child's exit).
6. At a 31 March (ticks break at year ends) the recorder takes the year's snapshot.

Usage:
    >>> from model import Simulation
    >>> result = Simulation(region="GM", years=2, seed=1).run()  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import pickle
import sys
import time

import mesa
import numpy as np
import simpy

from rccsim import levers
from rccsim.base.codes import EXIT, REASON, Kind, UnitType
from rccsim.base.errors import InputError, check_seed
from rccsim.base.tables import add_at
from rccsim.core import carers, providers, world
from rccsim.core import children as ch
from rccsim.core.background import CHURN_DAYS, Background
from rccsim.core.calendar import Calendar
from rccsim.core.market import Market
from rccsim.core.recorder import Recorder
from rccsim.core.tables import Children, Units
from rccsim.inputs.geography import load_geography, miles
from rccsim.inputs.params import ParamSet, resolve_parameters
from rccsim.inputs.published import check_start_year
from rccsim.sim.scenario import Scenario, load_scenario

NEVER = 2**31 - 1
TICK_DAYS = 7  # events are handled in weekly batches; each keeps its own day


def _member(ids: np.ndarray, sub: np.ndarray) -> np.ndarray:
    """``np.isin(ids, sub)`` for distinct ``ids`` (faster on the few children of a tick)."""
    if len(ids) > 64:
        return np.isin(ids, sub)
    s = set(sub.tolist())
    return np.fromiter((i in s for i in ids.tolist()), dtype=bool, count=len(ids))


def per_child(day, ids: np.ndarray) -> np.ndarray:
    """``day`` (one day for all, or one per child) as an array aligned with ``ids``."""
    day = np.asarray(day, dtype=np.int64)
    if day.ndim == 0:
        return np.full(len(ids), day, dtype=np.int64)
    return day
DIRECT_KINDS = (Kind.FOSTER_KIN, Kind.WITH_PARENTS, Kind.ADOPTION, Kind.OTHER, Kind.UNREGISTERED)
_IS_DIRECT = np.zeros(len(Kind.NAMES), dtype=bool)  # kind -> placed outside the market
_IS_DIRECT[list(DIRECT_KINDS)] = True


class CareMarket(mesa.Model):
    """The regional market for children's care placements.

    Args:
        region: ``GM``, ``SE``, ``england``, an English region name or comma-separated LA codes.
        scenario: a bundled scenario name, a YAML path or a :class:`rccsim.inputs.params.Scenario`.
        years: horizon in years (1-50).
        seed: the run's seed (non-negative integer).
        start_year: the 31 March whose published state the run starts from (2020-2024).
        params: a parameter set to start from (defaults: ``calibration/parameters.yaml``).
        verbose: print progress to stderr.
        start_population: children open at the start date from LAs' SSDA903 returns
            (:func:`rccsim.io.ssda903.population_at`); those LAs start from them instead of the
            published counts.
        rates: entry rates and exit-hazard multipliers estimated from LAs' returns
            (:func:`rccsim.io.ssda903.estimate_rates`); those LAs use them instead of the published
            starts and the national exit hazards.
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
        start_population=None,
        rates=None,
        template: bool = False,
    ):
        if not isinstance(years, int) or isinstance(years, bool) or years < 1 or years > 50:
            raise InputError(f"--years must be a whole number from 1 to 50, got {years}")
        check_seed(seed)
        self.start_year = check_start_year(start_year)
        self.scenario = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        self.p = resolve_parameters(self.scenario, params)
        self._base_params = params
        self.geo = load_geography()
        self.region = self.geo.resolve_region(region)
        from rccsim.base.rng import Streams

        self.streams = Streams(seed)
        super().__init__(rng=self.streams["mesa"])
        self.seed = seed
        self.years = years
        self.verbose = verbose
        start = dt.date(self.start_year, 4, 1)
        self.start_date = start
        self.year_bounds = np.array([(dt.date(self.start_year + k, 4, 1) - start).days for k in range(years + 1)])
        self.horizon = int(self.year_bounds[-1])
        # tick starts: every TICK_DAYS days, and every 1 April so that a year ends with a tick
        self.ticks = np.union1d(np.arange(0, self.horizon, TICK_DAYS), self.year_bounds)
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
        # LA-specific flows estimated from LAs' SSDA903 returns (model.ssda903.estimate_rates)
        self.exit_multiplier = np.ones((self.geo.n, 5))
        self.rates = rates
        if rates is not None:
            outside = sorted(set(rates.starts_per_year) - set(self.region.la_index.tolist()))
            if outside:
                codes = ", ".join(self.geo.las.la_code.iloc[outside].tolist())
                raise InputError(f"rates estimated for LA(s) {codes}, not in the region {self.region.label}")
            for la, m in rates.exit_multiplier.items():
                self.exit_multiplier[la] = m
        if start_population is not None:
            outside = sorted(set(start_population["la"].tolist()) - set(self.region.la_index.tolist()))
            if outside:
                codes = ", ".join(self.geo.las.la_code.iloc[outside].tolist())
                raise InputError(f"the SSDA903 return covers LA(s) {codes}, not in the region {self.region.label}")
        self.start_population = start_population  # children of LAs' own returns (model.ssda903)
        self.occ_samples = 0
        self.pending_openings: list[tuple[int, int, int, int, int, int]] = []  # see plan_opening
        self._pending_starts: list | None = None  # placements made but not yet started (one tick's batch)
        self._displaced: list | None = None  # children displaced by closures, waiting for the tick's search
        world.build(self)
        from rccsim.core.agents import RCC

        members = [self.las[i] for i in self.region.la_index]
        self.rcc = RCC(self, self.region.label, members)
        self.wall_seconds = 0.0
        self._template = template
        self._frozen: bytes | None = None  # the template, pickled (see with_scenario)
        if template:
            # no agent is made on a template after its build (copies count on from it): drop
            # Mesa's class-level counter entry, which would keep every template alive
            mesa.Agent._ids.pop(self, None)
        else:
            self._begin()

    def _begin(self) -> None:
        """Put the scenario's levers in place and start the processes (the start state is built)."""
        levers.setup(self)
        self._entries = {}
        self.approvals_due: list[np.ndarray] = []  # carers whose assessment ended this tick
        self._start_processes()

    def with_scenario(self, scenario: str | Scenario) -> CareMarket:
        """A run of ``scenario`` from this template's start state (built with ``template=True``).

        Building the start state takes about 0.4 s for a region; the scenarios of one seed start
        from the same state (levers act only after it is built), so a comparison builds it once
        per seed and copies it (unpickling the copy takes about 0.05 s). The copy is exactly the run a fresh build would give: the
        comparison's tests check that. The scenario must not change any parameter (those
        shape the start state); :class:`ValueError` if it does.
        """
        if not getattr(self, "_template", False):
            raise ValueError("with_scenario needs a model built with template=True")
        sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        if resolve_parameters(sc, self._base_params).digest() != self.p.digest():
            raise ValueError(f"scenario {sc.name} changes parameters; build it afresh")
        if self._frozen is None:
            self._frozen = _freeze(self)
        model = _thaw(self, self._frozen)
        # Mesa counts agent ids per model in a class-level table: the copy goes on from the template
        mesa.Agent._ids[model] = itertools.count(max(a.unique_id for a in model._agents) + 1)
        model._template = False
        model.scenario = sc
        model._begin()
        return model

    # -- time ---------------------------------------------------------------------------------
    def year_of_day(self, day: int) -> int:
        """Run year (1-based) containing ``day``."""
        return int(np.searchsorted(self.year_bounds, day, side="right"))

    def date_of_day(self, day: int) -> dt.date:
        return self.start_date + dt.timedelta(days=int(day))

    def tick_on_or_after(self, day: int) -> int:
        """The first tick start on or after ``day`` (the horizon if none)."""
        t = self.ticks
        i = int(np.searchsorted(t, day, side="left"))
        return int(t[i]) if i < len(t) else self.horizon

    def wait_until(self, day: int):
        """A SimPy timeout to the first tick on or after ``day`` (slow processes act on ticks)."""
        now = int(self.env.now)
        return self.env.timeout(max(self.tick_on_or_after(day), now) - now)

    def _start_processes(self) -> None:
        self.env.process(self._every(30, lambda d: carers.monthly(self, d), offset=15))
        self.env.process(self._every(30, lambda d: self.market.update_prices(1.0), offset=0))
        self.env.process(self._every(91, lambda d: providers.review(self, d), offset=45))
        self.env.process(self._every(365, lambda d: providers.la_home_review(self, d), offset=180))
        self.env.process(self._every(30, self._accrue_occupancy, offset=1))
        lv = self.scenario.levers
        if lv.block_contracts is not None or lv.forecast_led is not None:
            self.env.process(self._every(levers.SAMPLE_DAYS, lambda d: levers.sample_block_fill(self, d), offset=1))
        if not self.world.simulated.all():
            self.env.process(self._every(CHURN_DAYS, lambda d: self.background.churn(d), offset=3))

    def _every(self, period: int, action, offset: int = 0):
        """Run ``action`` every ``period`` days from ``offset``, each time on the next tick."""
        k = 0
        while True:
            due = offset + k * period
            if due >= self.horizon:
                return
            yield self.wait_until(due)
            if int(self.env.now) >= self.horizon:
                return
            action(int(self.env.now))
            k += 1

    def _accrue_occupancy(self, day: int) -> None:
        """Monthly sample of filled places, for providers' quarterly reviews."""
        u = self.units
        u.occ_days[: u.n] += u.occupied[: u.n] + u.bg_occupied[: u.n] + u.staying_put[: u.n]
        self.occ_samples += 1

    # -- placing children -----------------------------------------------------------------------
    def place(self, ids: np.ndarray, units: np.ndarray, kinds: np.ndarray, prices: np.ndarray, day, initial: bool = False) -> None:
        """Start placements in units (occupancy already taken by the market) on ``day`` (one or per child)."""
        c, u = self.children, self.units
        day = per_child(day, ids)
        moving = c.kind[ids] >= 0
        if moving.any():
            self._end_current(ids[moving], day[moving], REASON["CARPL"])
        self._start(ids, kinds, units, u.pc[units], u.la[units], prices, day, initial)

    def place_direct(self, ids: np.ndarray, kinds: np.ndarray, day, initial: bool = False) -> None:
        """Placements outside the market: with parents, kinship, adoption, other, unregistered."""
        c, geo, p = self.children, self.geo, self.p
        kinds = np.asarray(kinds, dtype=np.int64)
        day = per_child(day, ids)
        sel = _IS_DIRECT[kinds]
        ids, kinds, day = ids[sel], kinds[sel], day[sel]
        if len(ids) == 0:
            return
        moving = c.kind[ids] >= 0
        if moving.any():
            self._end_current(ids[moving], day[moving], REASON["CARPL"])
        la = c.la[ids].astype(np.int64)
        pc = c.home_pc[ids].copy()
        units = np.full(len(ids), -1, dtype=np.int64)
        prices = np.zeros(len(ids))
        need = c.need[ids].astype(np.int64)
        u_loc = self.streams.keyed_uniform("direct_place", ids, c.n_placements[ids])
        kin = kinds == Kind.FOSTER_KIN
        if kin.any():
            units[kin] = carers.new_kinship_carers(self, ids[kin], day[kin])
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
        """Start placements; within a tick's placement batch (:meth:`_batched_starts`), later."""
        if self._pending_starts is not None and not initial:
            self._pending_starts.append((ids, kinds, units, pc, place_la, prices, per_child(day, ids)))
            return
        self._start_now(ids, kinds, units, pc, place_la, prices, day, initial)

    def _flush_starts(self) -> None:
        """Start the placements of the tick's batch in one go (in the order they were made)."""
        pending, self._pending_starts = self._pending_starts, None
        if pending:
            ids, kinds, units, pc, place_la, prices, day = (np.concatenate(parts) for parts in zip(*pending))
            self._start_now(ids, kinds, units, pc, place_la, prices, day, False)

    def _start_now(self, ids, kinds, units, pc, place_la, prices, day, initial) -> None:
        c, geo = self.children, self.geo
        day = per_child(day, ids)
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
            self.calendar.schedule("research", day[unreg] + int(self.p.placement.research_days), ids[unreg])
        ch.schedule_placement_end(self, ids[~unreg], day[~unreg])

    def _end_current(self, ids: np.ndarray, day, reason) -> None:
        """End the current placements of ``ids`` on ``day`` (free the unit, log the end)."""
        c, u = self.children, self.units
        day = per_child(day, ids)
        units = c.unit[ids]
        has = units >= 0
        if has.any():
            uu = units[has]
            add_at(u.occupied, uu, -1)
            kin = u.kinship[uu]
            if kin.any():
                u.open[uu[kin]] = False
                u.closed[uu[kin]] = day[has][kin]
            self.market.touch(uu)
        self.recorder.end(ids, day, reason)
        c.kind[ids] = -1
        c.unit[ids] = -1
        c.end_day[ids] = NEVER

    def need_placement(self, ids: np.ndarray, day) -> None:
        """Search the market for ``ids`` (each from ``day``, one or per child); those left
        unplaced go to an emergency setting."""
        if len(ids) == 0:
            return
        c = self.children
        day = per_child(day, ids)
        c.waiting_since[ids] = np.where(c.waiting_since[ids] < 0, day, c.waiting_since[ids])
        left = self.market.clear(ids, day)
        if len(left) == 0:
            return
        day_left = day[_member(ids, left)]  # clear keeps the order of ``ids``
        unreg_now = c.kind[left] == Kind.UNREGISTERED
        new = ~unreg_now
        if new.any():
            self.place_direct(left[new], np.full(int(new.sum()), Kind.UNREGISTERED), day_left[new])
        if unreg_now.any():
            self.calendar.schedule("research", day_left[unreg_now] + int(self.p.placement.research_days), left[unreg_now])

    # -- leaving care ---------------------------------------------------------------------------
    def leave_care(self, ids: np.ndarray, day) -> None:
        c, u = self.children, self.units
        day = per_child(day, ids)
        route = c.exit_route[ids].astype(np.int64)
        code = ch.route_to_code(np.maximum(route, 0))
        at_18 = route < 0
        if at_18.any():  # keyed draws: the same codes whether drawn for some children or all
            code[at_18] = ch.exit_code_at_18(self, ids[at_18])
        # staying put: the young person keeps the foster place for a while
        stay = (code == EXIT["E17"]) & (c.unit[ids] >= 0)
        if stay.any():
            su = c.unit[ids[stay]]
            mainstream = ~u.kinship[su]
            su = su[mainstream]
            if len(su):
                add_at(u.staying_put, su, 1)
                years = self.streams["staying_put"].exponential(self.p.exits.staying_put_years, len(su))
                self.calendar.schedule("staying_put_end", day[stay][mainstream] + np.round(years * 365.25).astype(np.int64), su)
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
        closing = np.zeros(u.n + 1, dtype=bool)  # by unit; the last entry stands for "no unit" (-1)
        closing[ids] = True
        placed = np.flatnonzero(closing[c.unit[:n]] & c.in_care[:n])
        if len(placed):
            self._end_current(placed, day, REASON["CLOSE"])
            if self._displaced is not None:
                # during a tick: they join the tick's referrals (the market meets once a tick)
                self._displaced.append((placed, np.full(len(placed), day, dtype=np.int64)))
            else:
                self.need_placement(placed, day)
        self.market.touch(ids)
        homes = ids[u.utype[ids] == UnitType.HOME]  # children's homes (as Ofsted counts leavers)
        if len(homes):
            self.recorder.count("homes_closed", day, u.sector[homes], u.la[homes])

    def plan_opening(self, day: int, provider: int, utype: int, la: int, places: int, max_need: int) -> None:
        """A home or supported unit opens on the first tick on or after ``day`` (after its
        purchase and registration lag); ``provider`` < 0 is LA ``-1 - provider``'s own."""
        self.pending_openings.append((self.tick_on_or_after(day), provider, utype, la, places, max_need))

    def _open_due(self, now: int) -> None:
        """Open the planned units due by tick ``now``, in the order they were planned."""
        pending = self.pending_openings
        if not pending or min(o[0] for o in pending) > now:
            return
        due = [o for o in pending if o[0] <= now]
        self.pending_openings = [o for o in pending if o[0] > now]
        _, provider, utype, la, places, max_need = (np.array(col, dtype=np.int64) for col in zip(*due))
        self.open_units(provider, utype, la, places, max_need, now)

    def open_unit(self, provider: int, utype: int, la: int, places: int, max_need: int, day: int) -> int:
        """Open one unit now (see :meth:`open_units`); returns its id."""
        arr = (np.array([v], dtype=np.int64) for v in (provider, utype, la, places, max_need))
        return int(self.open_units(*arr, day)[0])

    def open_units(self, provider, utype, la, places, max_need, day: int, regional: int = 0,
                   site_stream: str = "provider_entry") -> np.ndarray:
        """Open units (arrays, one entry a unit) on ``day``, each at a postcode of its LA drawn
        from ``site_stream``; ``regional`` marks homes the RCC holds (see model.levers)."""
        from rccsim.base.codes import Sector

        geo = self.geo
        la_run = provider < 0
        owner = np.where(la_run, -1 - provider, -1)
        sector = np.array([Sector.LA if p < 0 else self.providers[p].sector for p in provider.tolist()], dtype=np.int64)
        pid = np.where(la_run, -1, provider)
        kind = np.where(utype == UnitType.SUPPORTED, Kind.SUPPORTED, np.where(sector == Sector.LA, Kind.HOME_LA, Kind.HOME_IND))
        pc = geo.sample_points(la, self.streams[site_stream].random(len(la)))
        ids = self.units.append(
            len(la), utype=utype, kind=kind, sector=sector, owner_la=owner, provider=pid, la=la, pc=pc,
            east=geo.pc_e[pc], north=geo.pc_n[pc], places=places, max_need=max_need, open=True, opened=day,
            regional=regional,
        )
        self.units.weekly_cost[ids] = providers.home_weekly_cost(self, ids)
        self.market.attach_units(ids)
        home = utype == UnitType.HOME  # children's homes (as Ofsted counts joiners)
        if home.any():
            self.recorder.count("homes_opened", day, sector[home], la[home])
        return ids

    # -- the day --------------------------------------------------------------------------------
    def step(self) -> None:
        """Advance one tick (see the module docstring for the order of things)."""
        start = self.day
        stop = self.tick_on_or_after(start + 1)
        self._displaced = []  # children whose carer or home closes during the tick's reviews
        self.env.run(until=start + 1)
        self._open_due(start)
        carers.approve_due(self, start)
        ev = self.calendar.pop_window(start, stop)
        c = self.children

        def due(kind: str, planned: np.ndarray):
            """Events of ``kind`` that still hold: child in care, plan unchanged."""
            got = ev.get(kind)
            if got is None:
                return None, None
            ids, days = got
            ok = c.in_care[ids] & (planned[ids] == days)
            ids, first = np.unique(ids[ok], return_index=True)  # an event filed twice counts once
            return ids, days[ok][first]

        sp = ev.get("staying_put_end")
        if sp is not None:
            add_at(self.units.staying_put, sp[0], -1)
            np.maximum(self.units.staying_put, 0, out=self.units.staying_put)
            self.market.touch(sp[0])

        # the tick's placements (adoptive moves, entrants placed directly, the market's placements)
        # start together, in one batch, in the order they were made: nothing in between reads what
        # a start sets for these children (ending a placement already marks its end event stale)
        self._pending_starts = []
        # adoptive moves: the current placement ends now; the move starts with the entrants' direct
        # placements below (one call)
        moves, move_days = due("adoption_move", c.adopt_move_day)
        if moves is None:
            moves, move_days = np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        placed_now = c.kind[moves] >= 0
        if placed_now.any():
            self._end_current(moves[placed_now], move_days[placed_now], REASON["CARPL"])

        referrals, referral_days = [], []
        ends, days = due("end", c.end_day)
        if ends is not None and len(ends):
            reason = c.end_reason[ends].astype(np.int64)
            broke = ch.is_breakdown(reason)
            disrupted = c.kind[ends] == Kind.ADOPTION  # a placement for adoption ended before the order
            units = c.unit[ends]
            if broke.any():
                bu = units[broke]
                bu = bu[bu >= 0]
                add_at(self.units.breakdowns, bu, 1)
                c.n_breakdowns[ends[broke]] += 1
                ch.escalate_needs(self, ends[broke], days[broke])
            kind_ends = c.kind[ends]
            # a planned move out of a home, other than one nearer home, follows a fall in need
            planned = ~broke & ((kind_ends == Kind.HOME_LA) | (kind_ends == Kind.HOME_IND)) & ~c.end_rematch[ends]
            if planned.any():
                ch.settle_needs(self, ends[planned])
            self._end_current(ends, days, reason)
            if disrupted.any():  # no order now: when and how the child leaves care is drawn again
                ch.schedule_exits(self, ends[disrupted], days[disrupted])
            referrals.append(ends)
            referral_days.append(days)

        displaced, self._displaced = self._displaced, None
        if displaced:
            ids, days = (np.concatenate(parts) for parts in zip(*displaced))
            # still in care and not placed since (an adoptive move this tick places the child)
            ok = c.in_care[ids] & (c.kind[ids] < 0) & ~_member(ids, moves)
            ids, first = np.unique(ids[ok], return_index=True)
            if len(ids):
                referrals.insert(0, ids)
                referral_days.insert(0, days[ok][first])

        research = ev.get("research")
        if research is not None:
            ids, days = research
            # still waiting, and not leaving care before the search day
            ok = c.in_care[ids] & (c.kind[ids] == Kind.UNREGISTERED) & (c.exit_day[ids] > days)
            ids, first = np.unique(ids[ok], return_index=True)
            if len(ids):
                referrals.append(ids)
                referral_days.append(days[ok][first])

        direct_ids, direct_kinds, direct_days = [moves], [np.full(len(moves), Kind.ADOPTION)], [move_days]
        entrants = [(d, self._entries.pop(d)) for d in range(start, stop) if d in self._entries]
        if entrants:
            new = np.concatenate([ids for _, ids in entrants])
            days = np.concatenate([np.full(len(ids), d, dtype=np.int64) for d, ids in entrants])
            c.in_care[new] = True
            direct = np.select(
                [c.plan_parents[new], c.plan_kin[new], c.plan_other[new]],
                [Kind.WITH_PARENTS, Kind.FOSTER_KIN, Kind.OTHER],
                -1,
            )
            d_ = direct >= 0
            direct_ids.append(new[d_])
            direct_kinds.append(direct[d_])
            direct_days.append(days[d_])
            referrals.append(new[~d_])
            referral_days.append(days[~d_])
        direct_ids = np.concatenate(direct_ids)
        if len(direct_ids):
            self.place_direct(direct_ids, np.concatenate(direct_kinds), np.concatenate(direct_days))

        if referrals:
            self.need_placement(np.concatenate(referrals), np.concatenate(referral_days))
        self._flush_starts()

        exits, days = due("exit", c.exit_day)
        if exits is not None and len(exits):
            self.leave_care(exits, days)

        if stop in self.year_bounds[1:]:
            year = int(np.searchsorted(self.year_bounds, stop))
            self.recorder.snapshot(year, stop - 1)
        self.day = stop

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
        """Run the whole horizon; returns a :class:`rccsim.outputs.record.RunResult`."""
        from rccsim.outputs.record import RunResult

        if self._template:
            raise ValueError("a template is not run: run template.with_scenario(...)")
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
        # Mesa 3 keeps each model's agent-id counter in a class-level dict keyed by the model,
        # which keeps every finished model alive (16 MB a GM run): a sweep's workers grew without
        # bound. No agent is created after the run, so the counter can go.
        mesa.Agent._ids.pop(self, None)
        return RunResult.from_model(self)


def _shared_inputs(model: CareMarket) -> list:
    """Read-only inputs a template's copies share rather than copy."""
    return [model.geo, model.region, model.p, model._base_params, model.scenario, model.start_population, model.rates]


def _freeze(model: CareMarket) -> bytes:
    """Pickle a template: shared inputs by reference, and no SimPy environment (the template has
    no process yet; each copy gets a new one)."""
    shared = {id(x): i for i, x in enumerate(_shared_inputs(model)) if x is not None}
    env = model.env

    class _Pickler(pickle.Pickler):
        def persistent_id(self, obj):
            if obj is env:
                return "env"
            return shared.get(id(obj))

    buf = io.BytesIO()
    _Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL).dump(model)
    return buf.getvalue()


def _thaw(template: CareMarket, data: bytes) -> CareMarket:
    shared = _shared_inputs(template)

    class _Unpickler(pickle.Unpickler):
        def persistent_load(self, pid):
            return simpy.Environment() if pid == "env" else shared[pid]

    return _Unpickler(io.BytesIO(data)).load()
