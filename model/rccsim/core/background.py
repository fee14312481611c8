"""Children of LAs outside the run: background occupancy of independent provision.

A regional run simulates only its member LAs' children, but the region's children compete for
places with children from the rest of England. Those other children are not simulated one by
one: at the start, independent places the region's children left free are filled at the national
occupancy rate (``seed_occupancy``: each available place is taken with that chance), and the number so placed in each (unit type, region) becomes
that group's background demand. Every four weeks (``churn``; four weeks rather than one: the churn
touches every independent unit in England, and background stays last months to years) each
background child leaves with the chance that a placement of that type ends in four weeks, and new
background children arrive in the same region and type until the group is back at its demand,
taking free places at random. The units in the run's own LAs are groups of their own: other
LAs' demand for them stays at its start level (they do not take the homes that open for the
region's children, nor are they crowded out of the region's homes by homes closing elsewhere in
its region). Children whose home closed, or whose home the RCC took over, are
replaced the same way; arrivals that find no free place wait for the next churn rather than being
lost. The demand each group is refilled to follows the rest of England: it is the start demand times
the group's **England index** for the day, the children that an all-England baseline run from the
same start year placed in that unit type and region, relative to its start (mean of two seeds,
interpolated between year ends; ``calibration/data/derived/background_index.csv``, written by
``python experiments/scripts/background_index.py`` and checked by a test against the installed
parameters). Without the index (a start year it does not cover, or a day past its end: the
nearest is used), demand is held at its last level. The background competes for the same free
places the region's children search.

In an all-England run every LA is simulated and there is no background.
"""

from __future__ import annotations

import numpy as np

from rccsim.base.codes import Sector, UnitType
from rccsim.base.paths import data_dir
from rccsim.base.tables import weighted_bincount

CHURN_DAYS = 28
N_GROUPS = 400  # group key: unit type * 100 + region code (+ 50 in the run's own LAs)
INDEX_FILE = "background_index.csv"


def load_index(start_year: int) -> np.ndarray | None:
    """The England index for runs from ``start_year`` (the nearest start year the file has): an
    array (years + 1, N_GROUPS) of demand relative to the start, row ``k`` at the end of run year
    ``k``; None without the file."""
    import pandas as pd


    path = data_dir() / "derived" / INDEX_FILE
    if not path.is_file():
        return None
    df = pd.read_csv(path, comment="#")
    starts = np.unique(df.start_year.to_numpy())
    start = int(starts[np.argmin(np.abs(starts - start_year))])
    df = df[df.start_year == start]
    out = np.ones((int(df.year.max()) + 1, N_GROUPS))
    out[df.year.to_numpy(), df.unit_type.to_numpy() * 100 + df.region_code.to_numpy()] = df["index"].to_numpy()
    return out


class Background:
    def __init__(self, model):
        self.model = model
        self.region_code = model.geo.las.region_name.astype("category").cat.codes.to_numpy().astype(np.int64)
        self.demand = np.zeros(N_GROUPS, dtype=np.int64)  # background children wanted per group at the start
        self.index = None  # the England index (load_index), read when the background is seeded

    def _eligible(self) -> np.ndarray:
        """Units other LAs' children can fill: independent provision and supported accommodation."""
        u = self.model.units
        n = u.n
        independent = (u.sector[:n] != Sector.LA) | (u.utype[:n] == UnitType.SUPPORTED)
        # homes the RCC holds take only its members' children
        return np.flatnonzero(u.open[:n] & independent & ~u.kinship[:n] & (u.regional[:n] == 0))

    def seed_occupancy(self, simulated: np.ndarray) -> None:
        """Fill independent places at the national occupancy; the number placed becomes demand.

        Units in the run's own LAs form groups of their own (``simulated``): other LAs' demand for
        the region's places stays at what it was at the start, and does not flow into the homes
        that open there for the region's own children.
        """
        self.region_code = np.where(simulated, self.region_code + 50, self.region_code)
        p = self.model.p.background
        u = self.model.units
        rng = self.model.streams["background"]
        ids = self._eligible()
        target = np.asarray(p.occupancy_by_unit_type)[u.utype[ids]]
        avail = np.maximum(u.places[ids] - u.unavailable[ids], 0)
        # each available place is filled with the target chance (so homes differ, as in an England
        # run's start); the region's own children already fill some places: the rest go to the
        # background
        want = np.maximum(rng.binomial(avail, target) - u.occupied[ids], 0)
        free = np.maximum(avail - u.occupied[ids], 0)
        fill = np.minimum(want, free)
        u.bg_occupied[ids] = fill
        self.demand = weighted_bincount(self._group(ids), weights=fill, minlength=N_GROUPS).astype(np.int64)
        self.index = load_index(self.model.start_year)
        self.model.market.touch(ids)

    def demand_on(self, day: int) -> np.ndarray:
        """Background children wanted per group on ``day``: the start demand times the England index
        of the group's unit type and region (interpolated between year ends)."""
        if self.index is None:
            return self.demand
        bounds = self.model.year_bounds
        k = int(np.searchsorted(bounds, day, side="right")) - 1  # run year k + 1 holds the day
        if k + 1 >= len(self.index):
            idx = self.index[-1]
        else:
            frac = (day - bounds[k]) / max(bounds[k + 1] - bounds[k], 1)
            idx = self.index[k] + frac * (self.index[k + 1] - self.index[k])
        base = (np.arange(N_GROUPS) // 100) * 100 + (np.arange(N_GROUPS) % 100) % 50  # own LAs' groups too
        return np.rint(self.demand * idx[base]).astype(np.int64)

    def occupied_by_group(self) -> np.ndarray:
        """Children (simulated and background) in the places of each group, by the regions' own codes
        (no run-LA split): what the England index counts."""
        u = self.model.units
        ids = self._eligible()
        key = u.utype[ids].astype(np.int64) * 100 + self.region_code[u.la[ids]] % 50
        return weighted_bincount(key, weights=u.occupied[ids] + u.bg_occupied[ids], minlength=N_GROUPS)

    def _group(self, ids: np.ndarray) -> np.ndarray:
        """Group key of units ``ids``: unit type and the region of their LA (the run's LAs apart)."""
        u = self.model.units
        return u.utype[ids].astype(np.int64) * 100 + self.region_code[u.la[ids]]

    def churn(self, day: int, days: int = CHURN_DAYS) -> None:
        p = self.model.p.background
        u = self.model.units
        rng = self.model.streams["background"]
        ids = self._eligible()
        occ = u.bg_occupied[ids]
        has = occ > 0
        ids_h = ids[has]
        leave_p = 1 - np.exp(-days / (np.asarray(p.mean_stay_days_by_unit_type)[u.utype[ids_h]]))
        left = rng.binomial(occ[has], leave_p)
        u.bg_occupied[ids_h] -= left.astype(np.int16)
        # arrivals: each (unit type, region) back up to its demand, into free places there; this
        # replaces the leavers, the children of closed or taken-over homes, and earlier arrivals
        # that found no place
        key = self._group(ids)
        present = weighted_bincount(key, weights=u.bg_occupied[ids], minlength=N_GROUPS).astype(np.int64)
        demand = np.maximum(self.demand_on(day) - present, 0)
        free = np.maximum(
            u.places[ids] - u.unavailable[ids] - u.occupied[ids] - u.bg_occupied[ids] - u.staying_put[ids], 0
        )
        # each arrival takes a free place drawn at random among its group's free places: rank the
        # free places of each group in a random order and fill the first ``demand``
        free = np.where(demand[key] > 0, free, 0)  # only groups with children to place
        slots = np.repeat(np.arange(len(ids)), free)
        slot_key = key[slots]
        order = np.lexsort((rng.random(len(slots)), slot_key))
        slots, slot_key = slots[order], slot_key[order]
        group_start = np.searchsorted(slot_key, slot_key, side="left")
        rank = np.arange(len(slots)) - group_start
        take = ids[slots[rank < demand[slot_key]]]
        if len(take):
            np.add.at(u.bg_occupied, take, 1)
        self.model.market.touch(np.concatenate([ids_h[left > 0], take]))
