"""The engine: a Mesa model that advances the care market a week (one *tick*) at a time.

Every event keeps its own day; the tick only decides which events are handled together, so that
the cost of a step is paid once a week rather than once a day. Each tick, in order:

1. Slow processes due on the tick's first day run in SimPy (carer assessments ending, homes
   finishing registration, the monthly carer cycle and price review, quarterly provider reviews,
   the yearly LA review, and any process a policy lever started). Their dates are rounded up to
   the next tick.
2. The tick's child events are popped from the day-bucket calendar and checked against the state
   (an event whose plan has changed since it was filed is dropped): children move to their
   adoptive family, or their placement ends (breakdown, planned move); children waiting in
   emergency or unregistered settings come up for their weekly search.
3. New children enter care on their day; those with a direct plan (with parents, kinship,
   hospital) are placed at once.
4. The market matches, in one batch, every child who needed a placement during the tick; each
   placement is dated on the day the child needed it (:mod:`rccsim.core.placements`).
5. Children due to leave care during the tick leave (after any move earlier in the tick: a
   placement never ends after the child's exit).
6. At a 31 March (ticks break at year ends) the recorder takes the year's snapshot.

The engine knows no policy lever: a run's levers are plug-ins (:mod:`rccsim.levers.base`) whose
hooks it calls. Runs are built through the simulation front end (:mod:`rccsim.sim.simulation`),
which reads the scenario and the parameters.
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

from rccsim.base.codes import REASON, Kind
from rccsim.base.errors import InputError, check_seed
from rccsim.base.rng import Streams
from rccsim.base.tables import add_at
from rccsim.core import carers, providers, world
from rccsim.core import children as ch
from rccsim.core.agents import RCC
from rccsim.core.background import CHURN_DAYS, Background
from rccsim.core.budgets import Budgets
from rccsim.core.calendar import Calendar
from rccsim.core.market import Market, SearchPolicy
from rccsim.core.placements import Placements, member
from rccsim.core.provision import Provision
from rccsim.core.recorder import Recorder
from rccsim.core.tables import Children, Units
from rccsim.core.workforce import Workforce
from rccsim.inputs.geography import load_geography
from rccsim.inputs.params import ParamSet
from rccsim.inputs.published import check_start_year

TICK_DAYS = 7  # events are handled in weekly batches; each keeps its own day
MAX_YEARS = 50


class CareMarket(mesa.Model):
    """The regional market for children's care placements.

    Args:
        region: ``GM``, ``SE``, ``england``, an English region name or comma-separated LA codes.
        scenario: the scenario (:class:`rccsim.sim.scenario.Scenario`): its name and settings.
        years: horizon in years (1-50).
        seed: the run's seed (0 to 2^63 - 1).
        start_year: the 31 March whose published state the run starts from (2020-2024).
        params: the run's parameters (the defaults with the scenario's overrides).
        levers: the run's policy levers (:func:`rccsim.levers.build`), whose hooks the engine calls.
        verbose: print progress to stderr.
        start_population: children open at the start date from LAs' SSDA903 returns
            (:func:`rccsim.io.ssda903.population_at`); those LAs start from them instead of the
            published counts.
        rates: entry rates and exit-hazard multipliers estimated from LAs' returns
            (:func:`rccsim.io.ssda903.estimate_rates`); those LAs use them instead of the published
            starts and the national exit hazards.
        template: build the start state only; runs are copies of it (:meth:`copy`).
    """

    def __init__(
        self,
        region: str,
        scenario,
        years: int,
        seed: int,
        start_year: int,
        params: ParamSet,
        levers: list | tuple = (),
        verbose: bool = False,
        start_population=None,
        rates=None,
        template: bool = False,
    ):
        if not isinstance(years, int) or isinstance(years, bool) or years < 1 or years > MAX_YEARS:
            raise InputError(f"--years must be a whole number from 1 to {MAX_YEARS}, got {years}")
        check_seed(seed)
        self.start_year = check_start_year(start_year)
        self.scenario = scenario
        self.p = params
        self.geo = load_geography()
        self.region = self.geo.resolve_region(region)
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
        self.placements = Placements(self)
        self.provision = Provision(self)
        self.workforce = Workforce(self)
        self.exit_hazards = ch.hazard_table(self)
        # LA-specific flows estimated from LAs' SSDA903 returns (rccsim.io.ssda903.estimate_rates)
        self.exit_multiplier = np.ones((self.geo.n, 5))
        self.rates = rates
        if rates is not None:
            outside = sorted(set(rates.starts_per_year) - set(self.region.reported.tolist()))
            if outside:
                codes = ", ".join(self.geo.las.la_code.iloc[outside].tolist())
                raise InputError(f"rates estimated for LA(s) {codes}, not in the region {self.region.label}")
            for la, m in rates.exit_multiplier.items():
                self.exit_multiplier[la] = m
        if start_population is not None:
            outside = sorted(set(start_population["la"].tolist()) - set(self.region.reported.tolist()))
            if outside:
                codes = ", ".join(self.geo.las.la_code.iloc[outside].tolist())
                raise InputError(f"the SSDA903 return covers LA(s) {codes}, not in the region {self.region.label}")
        self.start_population = start_population  # children of LAs' own returns (rccsim.io.ssda903)
        self.occ_samples = 0
        world.build(self)
        self.rcc = RCC(self, self.region.label, [self.las[i] for i in self.member_index()])
        self.levers = list(levers)
        self.wall_seconds = 0.0
        self._template = template
        self._frozen: bytes | None = None  # the template, pickled (see copy)
        if template:
            # no agent is made on a template after its build (copies count on from it): drop
            # Mesa's class-level counter entry, which would keep every template alive
            mesa.Agent._ids.pop(self, None)
        else:
            self.begin()

    def member_index(self) -> np.ndarray:
        """The LAs the RCC's levers act for: the scenario's ``members`` if it names them (each in
        the region), else the region's co-operative (a pathfinder's members), else every LA of the
        region."""
        names = getattr(self.scenario, "members", None)
        if names:
            try:
                idx = self.geo.resolve_region(",".join(names)).la_index
            except InputError as e:
                raise InputError(f"scenario members: {e}") from None
            outside = np.setdiff1d(idx, self.region.reported)
            if len(outside):
                raise InputError(f"scenario members {', '.join(self.geo.las.la_name.iloc[outside])} are not in the "
                                 f"region {self.region.label}")
            return np.sort(idx)
        if self.region.members is not None:
            return self.region.members
        return self.region.la_index

    def begin(self) -> None:
        """Put the levers in place and start the processes (the start state is built)."""
        self.lever_costs: dict[str, np.ndarray] = {}  # item -> GBP by run year (levers charge them)
        members = [self.las[i] for i in self.member_index()]  # a copied start state takes its scenario's
        if [la.index for la in members] != [la.index for la in self.rcc.members]:
            self.rcc.members = members
            for la in members:
                la.rcc = self.rcc
        self.market.policy = SearchPolicy(self.geo.n, self.rcc.member_index)
        self.budgets = Budgets(self)  # each LA's placement budget, from the start state's spend
        for lever in self.levers:
            lever.setup(self)
        self._entries = {}
        self.approvals_due: list[np.ndarray] = []  # carers whose assessment ended this tick
        self._start_processes()

    def copy(self, scenario, levers) -> CareMarket:
        """A run of ``scenario`` with ``levers`` from this template's start state (built with
        ``template=True``; the scenario must keep the template's parameters, which shaped the
        start state).

        Building the start state takes about 0.4 s for a region; the scenarios of one seed start
        from the same state (levers act only after it is built), so a comparison builds it once
        per seed and copies it (unpickling the copy takes about 0.05 s). The copy is exactly the
        run a fresh build would give: the tests check that.
        """
        if not getattr(self, "_template", False):
            raise ValueError("copy needs a model built with template=True")
        if self._frozen is None:
            self._frozen = _freeze(self)
        model = _thaw(self, self._frozen)
        # Mesa counts agent ids per model in a class-level table: the copy goes on from the template
        mesa.Agent._ids[model] = itertools.count(max(a.unique_id for a in model._agents) + 1)
        model._template = False
        model.scenario = scenario
        model.levers = list(levers)
        model.begin()
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

    def every(self, period: int, action, offset: int = 0) -> None:
        """Run ``action(model, day)`` every ``period`` days from ``offset``, each time on the next tick."""
        self.env.process(self._every(period, lambda d: action(self, d), offset=offset))

    def _start_processes(self) -> None:
        self.env.process(self._every(30, lambda d: carers.monthly(self, d), offset=15))
        self.env.process(self._every(30, lambda d: self.market.update_prices(1.0), offset=0))
        self.env.process(self._every(91, lambda d: providers.review(self, d), offset=45))
        self.env.process(self._every(365, lambda d: providers.la_home_review(self, d), offset=180))
        self.env.process(self._every(30, self._accrue_occupancy, offset=1))
        self.env.process(self._every(30, lambda d: self.workforce.monthly(d), offset=20))
        self.env.process(self._every(30, lambda d: self.budgets.monthly(d), offset=10))
        for lever in self.levers:
            lever.start_processes(self)
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

    # -- the week -------------------------------------------------------------------------------
    def step(self) -> None:
        """Advance one tick (see the module docstring for the order of things)."""
        start = self.day
        stop = self.tick_on_or_after(start + 1)
        self.placements.displaced = []  # children whose carer or home closes during the tick's reviews
        self.env.run(until=start + 1)
        self.provision.open_due(start)
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
        self.placements.batch()
        # adoptive moves: the current placement ends now; the move starts with the entrants' direct
        # placements below (one call)
        moves, move_days = due("adoption_move", c.adopt_move_day)
        if moves is None:
            moves, move_days = np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        placed_now = c.kind[moves] >= 0
        if placed_now.any():
            self.placements.end_current(moves[placed_now], move_days[placed_now], REASON["CARPL"])

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
            self.placements.end_current(ends, days, reason)
            if disrupted.any():  # no order now: when and how the child leaves care is drawn again
                ch.schedule_exits(self, ends[disrupted], days[disrupted])
            referrals.append(ends)
            referral_days.append(days)

        displaced, self.placements.displaced = self.placements.displaced, None
        if displaced:
            ids, days = (np.concatenate(parts) for parts in zip(*displaced))
            # still in care and not placed since (an adoptive move this tick places the child)
            ok = c.in_care[ids] & (c.kind[ids] < 0) & ~member(ids, moves)
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
            ch.national_transfer(self, new, days)
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
            self.placements.place_direct(direct_ids, np.concatenate(direct_kinds), np.concatenate(direct_days))

        if referrals:
            self.placements.need_placement(np.concatenate(referrals), np.concatenate(referral_days))
        self.placements.flush_starts()

        exits, days = due("exit", c.exit_day)
        if exits is not None and len(exits):
            self.placements.leave_care(exits, days)

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

    def run(self, progress: bool | None = None) -> CareMarket:
        """Run the whole horizon; returns the finished model (its records are the results)."""
        if self._template:
            raise ValueError("a template is not run: run a copy of it")
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
        self.budgets.book(self.horizon)
        self.wall_seconds = time.perf_counter() - t0
        # Mesa 3 keeps each model's agent-id counter in a class-level dict keyed by the model,
        # which keeps every finished model alive (16 MB a GM run): a sweep's workers grew without
        # bound. No agent is created after the run, so the counter can go.
        mesa.Agent._ids.pop(self, None)
        return self


def _shared_inputs(model: CareMarket) -> list:
    """Read-only inputs a template's copies share rather than copy."""
    return [model.geo, model.region, model.p, model.scenario, model.start_population, model.rates]


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
