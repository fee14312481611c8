"""The recorder: what happened, in columns.

Every placement is one row of the placement log (who, where, what kind, which unit and provider,
the weekly price, the distance from home, when it started and ended, and why it ended). Counts of
rare organisational events (homes opened and closed, carers approved and left) are tallied by
year. At each 31 March the recorder takes a snapshot of the children in care (a handful of
vectorised reductions, not an object per agent). Metrics are computed from these records at the
end of the run (:mod:`rccsim.outputs.metrics`).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from rccsim.base.codes import N_NEEDS, Kind, Sector, UnitType
from rccsim.base.tables import Table, weighted_bincount

NEVER = 2**31 - 1


class PlacementLog(Table):
    COLUMNS = {
        "child": ("int32", -1),
        "start": ("int32", 0),
        "end": ("int32", NEVER),
        "kind": ("int8", -1),
        "unit": ("int32", -1),
        "provider": ("int32", -1),
        "place_la": ("int16", -1),
        "payer": ("int16", -1),
        "price": ("float64", 0.0),
        "distance": ("float64", 0.0),
        "end_reason": ("int8", -1),  # codes.REASON index; -2 = child left care; -1 = open
        "first": ("bool", False),  # first placement of the period of care
        "initial": ("bool", False),  # open at the start date
        "pc": ("int32", -1),  # placement postcode sample index
        "regional": ("bool", False),  # in a home the RCC held when the placement started
        "need": ("int8", -1),  # the child's need level when the placement started
    }


class Recorder:
    def __init__(self, model):
        self.model = model
        self.placements = PlacementLog(capacity=max(1024, model.children.n * 2))
        self.row_of_child = np.full(1024, -1, dtype=np.int64)
        self.counts: dict[str, dict[int, np.ndarray]] = defaultdict(dict)
        self.snapshots: list[dict] = []
        self.sums: dict[str, dict[int, float]] = defaultdict(dict)

    def _ensure(self, n: int) -> None:
        if len(self.row_of_child) < n:
            grow = np.full(max(n, 2 * len(self.row_of_child)), -1, dtype=np.int64)
            grow[: len(self.row_of_child)] = self.row_of_child
            self.row_of_child = grow

    def start(self, ids, day, kind, unit, provider, place_la, payer, price, distance, first, initial, pc) -> None:
        unit_a = np.broadcast_to(np.asarray(unit, dtype=np.int64), (len(ids),))
        regional = (unit_a >= 0) & (self.model.units.regional[np.maximum(unit_a, 0)] > 0)
        rows = self.placements.append(
            len(ids), child=ids, start=day, kind=kind, unit=unit, provider=provider, place_la=place_la,
            payer=payer, price=price, distance=distance, first=first, initial=initial, pc=pc, regional=regional,
            need=self.model.children.need[ids],
        )
        self._ensure(int(ids.max()) + 1)
        self.row_of_child[ids] = rows

    def end(self, ids: np.ndarray, day: int, reason: np.ndarray | int) -> None:
        rows = self.row_of_child[ids]
        ok = rows >= 0
        day, reason = np.asarray(day), np.asarray(reason)
        self.placements.end[rows[ok]] = day[ok] if day.ndim else day
        self.placements.end_reason[rows[ok]] = reason[ok] if reason.ndim else reason
        self.row_of_child[ids] = -1

    def backdate_open_placements(self, ids: np.ndarray, start: np.ndarray) -> None:
        rows = self.row_of_child[ids]
        self.placements.start[rows] = start

    def count(self, name: str, day: int, sector: np.ndarray, la: np.ndarray) -> None:
        """Tally an organisational event in the run's (reported) LAs, by run year and sector."""
        sector = np.asarray(sector, dtype=np.int64)
        inside = self.model.world.reported[np.asarray(la, dtype=np.int64)]
        if not inside.any():
            return
        year = self.model.year_of_day(day)
        arr = self.counts[name].setdefault(year, np.zeros(3, dtype=np.int64))
        np.add.at(arr, sector[inside], 1)

    def tally(self, name: str, day: int, amount: float) -> None:
        """Add ``amount`` to a yearly sum (by run year)."""
        year = self.model.year_of_day(day)
        self.sums[name][year] = self.sums[name].get(year, 0.0) + float(amount)

    def snapshot(self, year: int, day: int) -> None:
        """The state at the end of ``day`` (31 March): units open in the run's (reported) LAs."""
        m = self.model
        u = m.units
        n = u.n
        in_region = m.world.reported[u.la[:n]]
        c = m.children

        open_ = u.open[:n]
        homes = open_ & (u.utype[:n] == UnitType.HOME) & in_region
        foster = open_ & (u.utype[:n] == UnitType.FOSTER) & in_region
        self.snapshots.append(
            {
                "year": year,
                "day": day,
                "children_homes": int(homes.sum()),
                "children_homes_places": int(u.places[:n][homes].sum()),
                "children_homes_la": int((homes & (u.sector[:n] == Sector.LA)).sum()),
                # children in independent places by unit type and region (the England index's count)
                "independent_by_group": m.background.occupied_by_group(),
                "foster_households": int(foster.sum()),
                "foster_households_kinship": int((foster & u.kinship[:n]).sum()),
                "waiting": int(((c.kind[: c.n] == 8) & c.in_care[: c.n] & m.world.reported[c.la[: c.n]]).sum()),
                # the residential workforce, by region and over England (rccsim.core.workforce)
                "workforce": m.workforce.snapshot(year),
                "workforce_england": m.workforce.england(year),
                "sufficiency": sufficiency_counts(m),
            }
        )


#: the placement kinds a sufficiency statement counts places of (kinship carers are approved for one child)
SUFFICIENCY_KINDS = (Kind.FOSTER_LA, Kind.FOSTER_IFA, Kind.HOME_LA, Kind.HOME_IND, Kind.SUPPORTED)


def sufficiency_counts(model) -> dict:
    """Need against supply in the run's (reported) LAs now, by placement kind (rows of
    :data:`SUFFICIENCY_KINDS`) and need level (columns): the region's children placed in each kind,
    inside the region, more than 20 miles from home; the region's children in emergency or
    unregistered settings by need level; and the places in the region, by the highest need level
    they are staffed for: filled by the region's children, by others (other LAs' children, young
    adults staying put), free, and not offered (no staff, a carer's choice, a home's matching)."""
    c, u = model.children, model.units
    reported = model.world.reported
    kinds = np.asarray(SUFFICIENCY_KINDS)
    row = np.full(Kind.OTHER + 1, -1, dtype=np.int64)
    row[kinds] = np.arange(len(kinds))
    shape = (len(kinds), N_NEEDS)
    nc = c.n
    mine = c.in_care[:nc] & reported[c.la[:nc]]
    kind, need = c.kind[:nc].astype(np.int64), c.need[:nc].astype(np.int64)
    sel = mine & (row[kind] >= 0)
    r, k = row[kind[sel]], need[sel]
    unit = c.unit[:nc][sel]
    inside = (unit >= 0) & reported[u.la[np.maximum(unit, 0)]]

    def count(mask):
        return np.bincount(r[mask] * N_NEEDS + k[mask], minlength=shape[0] * shape[1]).reshape(shape)

    children = count(np.ones(len(r), dtype=bool))
    unreg = np.bincount(need[mine & (kind == Kind.UNREGISTERED)], minlength=N_NEEDS)
    nu = u.n
    ok = u.open[:nu] & reported[u.la[:nu]] & ~u.kinship[:nu] & (row[u.kind[:nu].astype(np.int64)] >= 0)
    ids = np.flatnonzero(ok)
    key = row[u.kind[ids].astype(np.int64)] * N_NEEDS + u.max_need[ids].astype(np.int64)

    def places(values):
        return weighted_bincount(key, np.asarray(values, dtype=float), shape[0] * shape[1]).reshape(shape)

    # the region's children in each unit (occupied counts every simulated child)
    placed = np.flatnonzero(mine & (c.unit[:nc] >= 0))
    own = np.bincount(c.unit[:nc][placed], minlength=nu)[ids]
    occupied = u.occupied[ids].astype(np.int64) + u.bg_occupied[ids] + u.staying_put[ids]
    total = u.places[ids].astype(np.int64)
    offered = np.maximum(total - u.unavailable[ids], 0)
    return {
        "children": children.tolist(),
        "inside": count(inside).tolist(),
        "over_20_miles": count(c.distance[:nc][sel] > 20.0).tolist(),
        "unregistered": unreg.tolist(),
        "places": places(total).tolist(),
        "filled_region": places(own).tolist(),
        "filled_others": places(occupied - own).tolist(),
        "free": places(np.maximum(offered - occupied, 0)).tolist(),
        "not_offered": places(total - offered).tolist(),
    }
