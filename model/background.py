"""Children of LAs outside the run: background occupancy of independent provision.

A regional run simulates only its member LAs' children, but the region's children compete for
places with children from the rest of England. Those other children are not simulated one by
one: at the start, independent places the region's children left free are filled at the national
occupancy rate (``seed_occupancy``); every four weeks each background child leaves with the chance
that a placement of that type ends in four weeks, and as many new background children arrive in
the same region and type, taking free places at random (``churn``; four weeks rather than one:
the churn touches every independent unit in England, and background stays last months to years). Background demand therefore holds its
share of the market steady while the region's own demand moves, and it competes for the same free
places the region's children search.

In an all-England run every LA is simulated and there is no background.
"""

from __future__ import annotations

import numpy as np

from .codes import Sector, UnitType

CHURN_DAYS = 28


class Background:
    def __init__(self, model):
        self.model = model
        self.region_code = model.geo.las.region_name.astype("category").cat.codes.to_numpy().astype(np.int64)

    def _eligible(self) -> np.ndarray:
        """Units other LAs' children can fill: independent provision and supported accommodation."""
        u = self.model.units
        n = u.n
        independent = (u.sector[:n] != Sector.LA) | (u.utype[:n] == UnitType.SUPPORTED)
        # homes the RCC holds take only its members' children
        return np.flatnonzero(u.open[:n] & independent & ~u.kinship[:n] & (u.regional[:n] == 0))

    def seed_occupancy(self) -> None:
        p = self.model.p.background
        u = self.model.units
        rng = self.model.streams["background"]
        ids = self._eligible()
        target = np.asarray(p.occupancy_by_unit_type)[u.utype[ids]]
        avail = np.maximum(u.places[ids] - u.unavailable[ids], 0)
        # the region's own children already fill some places: fill the rest up to the target
        want = np.maximum(np.round(target * avail).astype(np.int64) - u.occupied[ids], 0)
        free = np.maximum(avail - u.occupied[ids], 0)
        fill = rng.binomial(np.minimum(want, free), 1.0)
        u.bg_occupied[ids] = fill
        self.model.market.touch(ids)

    def churn(self, day: int, days: int = CHURN_DAYS) -> None:
        p = self.model.p.background
        u = self.model.units
        rng = self.model.streams["background"]
        ids = self._eligible()
        occ = u.bg_occupied[ids]
        has = occ > 0
        if not has.any():
            return
        ids_h = ids[has]
        leave_p = 1 - np.exp(-days / (np.asarray(p.mean_stay_days_by_unit_type)[u.utype[ids_h]]))
        left = rng.binomial(occ[has], leave_p)
        u.bg_occupied[ids_h] -= left.astype(np.int16)
        # arrivals: the same number per (unit type, region), into free places there
        region = self.region_code
        key_left = u.utype[ids_h].astype(np.int64) * 100 + region[u.la[ids_h]]
        demand = np.bincount(key_left, weights=left, minlength=400).astype(np.int64)
        free = np.maximum(
            u.places[ids] - u.unavailable[ids] - u.occupied[ids] - u.bg_occupied[ids] - u.staying_put[ids], 0
        )
        key = u.utype[ids].astype(np.int64) * 100 + region[u.la[ids]]
        # each arrival takes a free place drawn at random among its (type, region)'s free places:
        # rank the free places of each group in a random order and fill the first ``demand``
        slots = np.repeat(np.arange(len(ids)), free)
        slot_key = key[slots]
        order = np.lexsort((rng.random(len(slots)), slot_key))
        slots, slot_key = slots[order], slot_key[order]
        group_start = np.searchsorted(slot_key, slot_key, side="left")
        rank = np.arange(len(slots)) - group_start
        take = slots[rank < demand[slot_key]]
        arrived = [ids[take]] if len(take) else []
        changed = [ids_h[left > 0]]
        if arrived:
            arrived_units = np.concatenate(arrived)
            np.add.at(u.bg_occupied, arrived_units, 1)
            changed.append(arrived_units)
        self.model.market.touch(np.concatenate(changed))
