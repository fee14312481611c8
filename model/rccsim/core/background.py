"""Children of LAs outside the run: background occupancy of independent provision.

A regional run simulates only its member LAs' children, but the region's children compete for
places with children from the rest of England. Those other children are not simulated one by
one: at the start, independent places the region's children left free are filled at England's
occupancy at the start, need level by need level (``seed_occupancy``: each available place is
taken with that chance; ``calibration/data/derived/background_start.csv``, from the all-England
runs below, or ``background.occupancy_by_unit_type`` without it), and the number so placed in each
(unit type, need level, region) group becomes that group's background demand. Need levels are
groups of their own because the shortage is in them: in an all-England run from 2024 homes for the
highest needs start full and stay over 90% full, while homes for standard needs start under two
thirds full and close; a background that filled every level alike left the region's children with
intensive needs the free places England's own children would have taken. Every four weeks (``churn``; four weeks rather than one: the churn
touches every independent unit in England, and background stays last months to years) each
background child leaves with the chance that a placement of that type ends in four weeks, and new
background children arrive in the same group until it is back at its demand,
taking free places at random. Children whose home closed, or whose home the RCC took over, are
replaced the same way; arrivals that find no free place wait for the next churn rather than being
lost.

The demand each group is refilled to follows the rest of England: it is the start demand times
the group's **England index** for the day, the children that an all-England baseline run from the
same start year placed in that unit type, need level and region, relative to its start (mean of
two seeds, interpolated between year ends; ``calibration/data/derived/background_index.csv``,
written by ``python experiments/scripts/background_index.py`` and checked by a test against the
installed parameters). The units in the run's own LAs are groups of their own, and where the run
is a named region (GM, SE, their members, an English region) other LAs' demand for them is the
share of their places that children from outside the region held in the same England runs, year
by year, applied to the places the run has there now (``background_own_index.csv``). That demand
is not the wider region's: in England runs from 2024 other LAs' children in GM's homes nearly
treble in ten years, as homes open where property is cheap and children from short areas are
placed there. A share rather than a count: a regional run whose own homes grow more slowly than
the England run's is not filled by others beyond them. A run of other LAs (a list of codes) uses
its region's index for them. Without an index (a start year it does not cover, or a day past its
end: the nearest is used), demand is held at its last level. The background competes for the same
free places the region's children search.

In an all-England run every LA is simulated and there is no background.
"""

from __future__ import annotations

import numpy as np

from rccsim.base.codes import Sector, UnitType
from rccsim.base.paths import data_dir
from rccsim.base.tables import weighted_bincount

CHURN_DAYS = 28
N_GROUPS = 900  # group key: (unit type * 3 + need level) * 100 + region code (+ 50 in the run's own LAs)
INDEX_FILE = "background_index.csv"
OWN_INDEX_FILE = "background_own_index.csv"
START_FILE = "background_start.csv"


def _nearest_start(df, start_year: int):
    starts = np.unique(df.start_year.to_numpy())
    return df[df.start_year == int(starts[np.argmin(np.abs(starts - start_year))])]


def load_index(start_year: int, column: str = "index") -> np.ndarray | None:
    """The England index for runs from ``start_year`` (the nearest start year the file has): an
    array (years + 1, N_GROUPS) of demand relative to the start (``column="places_index"``: of the
    providers' registered places), row ``k`` at the end of run year ``k``; None without the file."""
    import pandas as pd

    path = data_dir() / "derived" / INDEX_FILE
    if not path.is_file():
        return None
    df = _nearest_start(pd.read_csv(path, comment="#"), start_year)
    if column not in df:
        return None
    out = np.ones((int(df.year.max()) + 1, N_GROUPS))
    key = (df.unit_type.to_numpy() * 3 + df.need.to_numpy()) * 100 + df.region_code.to_numpy()
    out[df.year.to_numpy(), key] = df[column].to_numpy()
    return out


def load_start_occupancy(start_year: int) -> np.ndarray | None:
    """England's independent places in the same England runs, by run year end (row ``k``): their
    occupancy (``[k, 0]``) and the price children there paid over list (``[k, 1]``), by unit type
    and need level (column ``unit type * 3 + need``); NaN where the runs had none; None without
    the file."""
    import pandas as pd

    path = data_dir() / "derived" / START_FILE
    if not path.is_file():
        return None
    df = _nearest_start(pd.read_csv(path, comment="#"), start_year)
    out = np.full((int(df.year.max()) + 1, 2, 9), np.nan)
    cell = df.unit_type.to_numpy() * 3 + df.need.to_numpy()
    out[df.year.to_numpy(), 0, cell] = df.occupancy.to_numpy()
    out[df.year.to_numpy(), 1, cell] = df.price_over_list.to_numpy()
    return out


def load_own_index(start_year: int, region: str) -> np.ndarray | None:
    """Other LAs' demand for the independent places in the run's own LAs, for runs of ``region``
    (a named region's label) from ``start_year`` (the nearest start year the file has): the
    children of LAs outside the region per available place located in it, in the England runs, an
    array (years + 1, 9), column ``unit type * 3 + need``, row ``k`` at the end of run year ``k``;
    None without a row. Read as a share of places, not a count, so that a regional run whose own
    homes grow more slowly than an England run's is not filled by others beyond them."""
    import pandas as pd

    path = data_dir() / "derived" / OWN_INDEX_FILE
    if not path.is_file():
        return None
    df = pd.read_csv(path, comment="#")
    df = df[df.run_region == region]
    if df.empty:
        return None
    df = _nearest_start(df, start_year)
    out = np.full((int(df.year.max()) + 1, 2, 9), np.nan)
    cell = df.unit_type.to_numpy() * 3 + df.need.to_numpy()
    out[df.year.to_numpy(), 0, cell] = df["children"].to_numpy()
    out[df.year.to_numpy(), 1, cell] = df["share"].to_numpy()
    return out


def outsiders_by_unit_type(model, inside: np.ndarray) -> np.ndarray:
    """Children of LAs outside ``inside`` (a boolean mask of LAs) placed in the independent places
    (those a background fills) located inside (row 0), and those places available (row 1), by unit
    type and need level (column ``unit type * 3 + need``): what the own index counts in an
    all-England run."""
    c, u = model.children, model.units
    ids = np.flatnonzero(c.in_care[: c.n] & (c.unit[: c.n] >= 0))
    ids = ids[~inside[c.la[ids]]]
    unit = c.unit[ids]
    eligible = np.zeros(u.n, dtype=bool)
    eligible[model.background._eligible()] = True
    keep = eligible[unit] & inside[np.maximum(u.la[unit], 0)]
    kept = unit[keep]
    cell = u.utype[kept].astype(np.int64) * 3 + u.max_need[kept].astype(np.int64)
    here = np.flatnonzero(eligible & inside[np.maximum(u.la[: u.n], 0)])
    places = weighted_bincount(model.background.cell(here), (u.places[here] - u.unavailable[here]).astype(float), 9)
    return np.array([np.bincount(cell, minlength=9)[:9].astype(float), places])


class Background:
    def __init__(self, model):
        self.model = model
        self.region_code = model.geo.las.region_name.astype("category").cat.codes.to_numpy().astype(np.int64)
        self.demand = np.zeros(N_GROUPS, dtype=np.int64)  # background children wanted per group at the start
        self.index = None  # the England index (load_index), read when the background is seeded
        self.own_index = None  # other LAs' children in the run's own LAs' places (load_own_index)
        self.supply_index = None  # the providers' places outside the run (load_index "places_index")
        self.supply0 = None  # ... at the start, by group
        # what a background child pays over the local list price, by run year end and unit type * 3
        # + need level of the unit: England runs' (load_start_occupancy), or
        # background.price_over_list_by_unit_type without them
        self.prices = np.repeat(np.asarray(model.p.background.price_over_list_by_unit_type, float), 3)[None, :]

    def _eligible(self) -> np.ndarray:
        """Units other LAs' children can fill: independent provision and supported accommodation."""
        u = self.model.units
        n = u.n
        independent = (u.sector[:n] != Sector.LA) | (u.utype[:n] == UnitType.SUPPORTED)
        # homes the RCC holds take only its members' children
        return np.flatnonzero(u.open[:n] & independent & ~u.kinship[:n] & (u.regional[:n] == 0))

    def seed_occupancy(self, simulated: np.ndarray) -> None:
        """Fill independent places at England's occupancy at the start, by unit type and need level;
        the number placed becomes demand.

        Units in the run's own LAs form groups of their own (``simulated``): other LAs' demand for
        the region's places follows the region's own index (other LAs' children placed there in
        the England runs), not the wider region's.
        """
        self.region_code = np.where(simulated, self.region_code + 50, self.region_code)
        p = self.model.p.background
        u = self.model.units
        rng = self.model.streams["background"]
        ids = self._eligible()
        target = np.asarray(p.occupancy_by_unit_type)[u.utype[ids]]
        start = load_start_occupancy(self.model.start_year)
        if start is not None:
            # England's start, need level by need level: its highest-need homes are full while its
            # homes for standard needs have room, and the background fills them so
            cell = start[0, 0, self.cell(ids)]
            target = np.where(np.isnan(cell), target, cell)
            by_type = np.repeat(np.asarray(p.price_over_list_by_unit_type, float), 3)
            self.prices = np.where(np.isnan(start[:, 1]), by_type, start[:, 1])
        avail = np.maximum(u.places[ids] - u.unavailable[ids], 0)
        # each available place is filled with the target chance (so homes differ, as in an England
        # run's start); the region's own children already fill some places: the rest go to the
        # background
        want = np.maximum(rng.binomial(avail, target) - u.occupied[ids], 0)
        free = np.maximum(avail - u.occupied[ids], 0)
        fill = np.minimum(want, free)
        u.bg_occupied[ids] = fill
        self.demand = weighted_bincount(self.group(ids), weights=fill, minlength=N_GROUPS).astype(np.int64)
        self.index = load_index(self.model.start_year)
        self.own_index = load_own_index(self.model.start_year, self.model.region.label)
        if self.index is not None and not simulated.all():
            self.supply_index = load_index(self.model.start_year, "places_index")
            self.supply0 = self.supply_by_group()
        self.model.market.touch(ids)

    def demand_on(self, day: int) -> np.ndarray:
        """Background children wanted per group on ``day``: the start demand times the England index
        of the group's unit type, need level and region (interpolated between year ends); in the
        run's own LAs of a named region, its own index's share of the places available there now."""
        if self.index is None:
            return self.demand
        idx = self._at(self.index, day)
        base = (np.arange(N_GROUPS) // 100) * 100 + (np.arange(N_GROUPS) % 100) % 50  # own LAs' groups too
        want = np.rint(self.demand * idx[base]).astype(np.int64)
        if self.own_index is not None:
            count, share = self._at(self.own_index, day)[:, np.arange(N_GROUPS) // 100]
            own = (np.arange(N_GROUPS) % 100 >= 50) & np.isfinite(count)
            u = self.model.units
            ids = self._eligible()
            avail = weighted_bincount(self.group(ids), weights=(u.places[ids] - u.unavailable[ids]).astype(float),
                                      minlength=N_GROUPS)
            # the England runs' count, but no more than their share of the places the run has there
            mine = np.minimum(np.nan_to_num(count), np.nan_to_num(share) * avail)
            want = np.where(own, np.rint(mine).astype(np.int64), want)
        return want

    def supply_units(self) -> np.ndarray:
        """Open homes and supported accommodation of independent providers on the open market
        (those the entry and exit rules govern)."""
        u = self.model.units
        n = u.n
        return np.flatnonzero(u.open[:n] & (u.utype[:n] != UnitType.FOSTER) & (u.sector[:n] != Sector.LA)
                              & (u.regional[:n] == 0))

    def supply_by_group(self) -> np.ndarray:
        """Registered places of :meth:`supply_units` by group."""
        ids = self.supply_units()
        return weighted_bincount(self.group(ids), weights=self.model.units.places[ids].astype(float),
                                 minlength=N_GROUPS)

    def supply_on(self, day: int) -> np.ndarray | None:
        """Registered places the providers outside the run's LAs hold on ``day`` in the England runs
        (each group's start places times its places index); None without the index or in an
        England run. Groups in the run's own LAs: NaN (their providers decide)."""
        if self.supply_index is None:
            return None
        out = self.supply0 * self._at(self.supply_index, day)
        out[np.arange(N_GROUPS) % 100 >= 50] = np.nan
        return out

    def price_over_list(self, ids: np.ndarray, day: int) -> np.ndarray:
        """What a background child in each of units ``ids`` pays over the local list price on ``day``:
        what children in units of that type and need level paid in the England runs then."""
        return self._at(self.prices, day)[self.cell(ids)]

    def _at(self, index: np.ndarray, day: int) -> np.ndarray:
        """Row of ``index`` (by run year end) on ``day``, interpolated; past its end, the last."""
        bounds = self.model.year_bounds
        k = int(np.searchsorted(bounds, day, side="right")) - 1  # run year k + 1 holds the day
        if k + 1 >= len(index) or k + 1 >= len(bounds):
            return index[min(k, len(index) - 1)]
        frac = (day - bounds[k]) / max(bounds[k + 1] - bounds[k], 1)
        return index[k] + frac * (index[k + 1] - index[k])

    def occupied_by_group(self) -> np.ndarray:
        """Places taken in each group, by the regions' own codes (no run-LA split): what the England
        index counts. A place is taken by a child (simulated or background) or held back for a child
        who can live only alone: background children stand for both, since no background child is
        one who must live alone (in England runs from 2024 about 5% of the places of homes for the
        highest needs are so held, and a background without them left the region's children those
        scarce places)."""
        u = self.model.units
        ids = self._eligible()
        key = self.cell(ids) * 100 + self.region_code[u.la[ids]] % 50
        return weighted_bincount(key, weights=u.occupied[ids] + u.bg_occupied[ids] + u.solo_held[ids],
                                 minlength=N_GROUPS)

    def group(self, ids: np.ndarray) -> np.ndarray:
        """Group key of units ``ids``: unit type, need level and the region of their LA (the run's
        LAs apart)."""
        return self.cell(ids) * 100 + self.region_code[self.model.units.la[ids]]

    def cell(self, ids: np.ndarray) -> np.ndarray:
        """Unit type * 3 + the highest need level the unit takes."""
        u = self.model.units
        return u.utype[ids].astype(np.int64) * 3 + u.max_need[ids].astype(np.int64)

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
        key = self.group(ids)
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
