"""Placements: where a child is placed, and when a placement starts and ends.

The market (:mod:`rccsim.core.market`) decides which unit takes which child; this module starts
the placement (the child's state, the distance from home, the placement log, the scheduled end),
places children outside the market (with parents, kinship carers, adoption, other settings,
emergency and unregistered settings), ends placements, and takes children out of care. Within a
tick the placements made start together, in the order they were made (:meth:`Placements.start`).

Where does a child get placed? :meth:`Placements.need_placement` asks the market
(:meth:`rccsim.core.market.Market.clear`), which calls :meth:`Placements.place` for each match;
a child the market cannot place goes to an emergency setting (:meth:`Placements.place_direct`)
and is searched for again each week.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri

from rccsim.base.codes import EXIT, REASON, Kind
from rccsim.base.tables import add_at
from rccsim.core import carers
from rccsim.core import children as ch
from rccsim.inputs.geography import miles

NEVER = 2**31 - 1
DIRECT_KINDS = (Kind.FOSTER_KIN, Kind.WITH_PARENTS, Kind.ADOPTION, Kind.OTHER, Kind.UNREGISTERED)
_IS_DIRECT = np.zeros(len(Kind.NAMES), dtype=bool)  # kind -> placed outside the market
_IS_DIRECT[list(DIRECT_KINDS)] = True


def member(ids: np.ndarray, sub: np.ndarray) -> np.ndarray:
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


class Placements:
    """Starts and ends the placements of a run (``model.placements``)."""

    def __init__(self, model):
        self.model = model
        self.pending_starts: list | None = None  # placements made but not yet started (one tick's batch)
        self.displaced: list | None = None  # children displaced by closures, waiting for the tick's search

    def batch(self) -> None:
        """From now until :meth:`flush_starts`, placements made start together, later."""
        self.pending_starts = []

    def place(self, ids: np.ndarray, units: np.ndarray, kinds: np.ndarray, prices: np.ndarray, day, initial: bool = False) -> None:
        """Start placements in units (occupancy already taken by the market) on ``day`` (one or per child)."""
        model = self.model
        c, u = model.children, model.units
        day = per_child(day, ids)
        moving = c.kind[ids] >= 0
        if moving.any():
            self.end_current(ids[moving], day[moving], REASON["CARPL"])
        self.start(ids, kinds, units, u.pc[units], u.la[units], prices, day, initial)

    def place_direct(self, ids: np.ndarray, kinds: np.ndarray, day, initial: bool = False) -> None:
        """Placements outside the market: with parents, kinship, adoption, other, unregistered."""
        model = self.model
        c, geo, p = model.children, model.geo, model.p
        kinds = np.asarray(kinds, dtype=np.int64)
        day = per_child(day, ids)
        sel = _IS_DIRECT[kinds]
        ids, kinds, day = ids[sel], kinds[sel], day[sel]
        if len(ids) == 0:
            return
        moving = c.kind[ids] >= 0
        if moving.any():
            self.end_current(ids[moving], day[moving], REASON["CARPL"])
        la = c.la[ids].astype(np.int64)
        pc = c.home_pc[ids].copy()
        units = np.full(len(ids), -1, dtype=np.int64)
        prices = np.zeros(len(ids))
        need = c.need[ids].astype(np.int64)
        u_loc = model.streams.keyed_uniform("direct_place", ids, c.n_placements[ids])
        kin = kinds == Kind.FOSTER_KIN
        if kin.any():
            units[kin] = carers.new_kinship_carers(model, ids[kin], day[kin])
            pc[kin] = model.units.pc[units[kin]]
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
            pc[m] = geo.sample_points(where, model.streams.keyed_uniform("direct_point", ids[m], c.n_placements[ids[m]]))
            prices[m] = cost * (np.asarray(p.prices.need_multiplier_home)[need[m]] if kind == Kind.UNREGISTERED else 1.0)
            if kind == Kind.UNREGISTERED and p.prices.unregistered_price_sd > 0:
                # bespoke emergency settings: a long tail of weekly prices (lognormal, mean kept)
                sd = float(p.prices.unregistered_price_sd)
                z = ndtri(np.clip(model.streams.keyed_uniform("emergency_price", ids[m], c.n_placements[ids[m]]), 1e-9, 1 - 1e-9))
                prices[m] *= np.exp(sd * z - 0.5 * sd * sd)
        place_la = np.where(pc >= 0, self.la_of_pc(pc), la)
        self.start(ids, kinds, units, pc, place_la, prices, day, initial)

    def la_of_pc(self, pc: np.ndarray) -> np.ndarray:
        """The LA of each postcode of the sample."""
        return np.searchsorted(self.model.geo.pc_start, pc, side="right") - 1

    def start(self, ids, kinds, units, pc, place_la, prices, day, initial) -> None:
        """Start placements; within a tick's placement batch (:meth:`batch`), later."""
        if self.pending_starts is not None and not initial:
            self.pending_starts.append((ids, kinds, units, pc, place_la, prices, per_child(day, ids)))
            return
        self.start_now(ids, kinds, units, pc, place_la, prices, day, initial)

    def flush_starts(self) -> None:
        """Start the placements of the tick's batch in one go (in the order they were made)."""
        pending, self.pending_starts = self.pending_starts, None
        if pending:
            ids, kinds, units, pc, place_la, prices, day = (np.concatenate(parts) for parts in zip(*pending))
            self.start_now(ids, kinds, units, pc, place_la, prices, day, False)

    def start_now(self, ids, kinds, units, pc, place_la, prices, day, initial) -> None:
        """Start placements now: the child's state, the placement log, the end's schedule."""
        model = self.model
        c, geo = model.children, model.geo
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
        provider = np.where(units >= 0, model.units.provider[np.maximum(units, 0)], -1)
        model.recorder.start(ids, day, kinds, units, provider, place_la, c.la[ids], prices, c.distance[ids], first, initial, pc)
        unreg = kinds == Kind.UNREGISTERED
        if unreg.any():
            # search again each week; the emergency placement itself has no planned end
            c.end_day[ids[unreg]] = NEVER
            model.calendar.schedule("research", day[unreg] + int(model.p.placement.research_days), ids[unreg])
        ch.schedule_placement_end(model, ids[~unreg], day[~unreg])

    def end_current(self, ids: np.ndarray, day, reason) -> None:
        """End the current placements of ``ids`` on ``day`` (free the unit, log the end)."""
        model = self.model
        c, u = model.children, model.units
        day = per_child(day, ids)
        units = c.unit[ids]
        has = units >= 0
        if has.any():
            uu = units[has]
            add_at(u.occupied, uu, -1)
            # a home held for a child who lived there alone offers its places again once empty
            free_again = uu[(u.solo_held[uu] > 0) & (u.occupied[uu] == 0)]
            if len(free_again):
                held = u.solo_held[free_again]
                u.unavailable_base[free_again] -= held
                u.unavailable[free_again] -= held
                u.solo_held[free_again] = 0
            kin = u.kinship[uu]
            if kin.any():
                u.open[uu[kin]] = False
                u.closed[uu[kin]] = day[has][kin]
            model.market.touch(uu)
        model.recorder.end(ids, day, reason)
        c.last_unit[ids] = units
        c.kind[ids] = -1
        c.unit[ids] = -1
        c.end_day[ids] = NEVER

    def need_placement(self, ids: np.ndarray, day) -> None:
        """Search the market for ``ids`` (each from ``day``, one or per child); those left
        unplaced go to an emergency setting."""
        model = self.model
        if len(ids) == 0:
            return
        c = model.children
        day = per_child(day, ids)
        c.waiting_since[ids] = np.where(c.waiting_since[ids] < 0, day, c.waiting_since[ids])
        left = model.market.clear(ids, day)
        if len(left) == 0:
            return
        day_left = day[member(ids, left)]  # clear keeps the order of ``ids``
        unreg_now = c.kind[left] == Kind.UNREGISTERED
        new = ~unreg_now
        if new.any():
            self.place_direct(left[new], np.full(int(new.sum()), Kind.UNREGISTERED), day_left[new])
        if unreg_now.any():
            model.calendar.schedule("research", day_left[unreg_now] + int(model.p.placement.research_days), left[unreg_now])

    def leave_care(self, ids: np.ndarray, day) -> None:
        """Children leave care on ``day``: the placement ends (a young person staying put keeps
        the foster place for a while), and the exit is recorded with its route."""
        model = self.model
        c, u = model.children, model.units
        day = per_child(day, ids)
        route = c.exit_route[ids].astype(np.int64)
        code = ch.route_to_code(np.maximum(route, 0))
        at_18 = route < 0
        if at_18.any():  # keyed draws: the same codes whether drawn for some children or all
            code[at_18] = ch.exit_code_at_18(model, ids[at_18])
        # staying put: the young person keeps the foster place for a while
        stay = (code == EXIT["E17"]) & (c.unit[ids] >= 0)
        if stay.any():
            su = c.unit[ids[stay]]
            mainstream = ~u.kinship[su]
            su = su[mainstream]
            if len(su):
                add_at(u.staying_put, su, 1)
                years = model.streams["staying_put"].exponential(model.p.exits.staying_put_years, len(su))
                model.calendar.schedule("staying_put_end", day[stay][mainstream] + np.round(years * 365.25).astype(np.int64), su)
        self.end_current(ids, day, -2)
        c.last_unit[ids] = -1
        c.in_care[ids] = False
        c.exited[ids] = day
        c.exit_route[ids] = code
        c.waiting_since[ids] = -1
