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

from rccsim.base.codes import Sector, UnitType
from rccsim.base.tables import Table

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
            }
        )
