"""Agents kept as columns: children, units of provision (foster households, children's homes,
supported accommodation) and the placement log.

Bulk things are arrays: a column per attribute, a row per agent. Rows are appended, never
reused, so a row number is a stable identifier for the whole run (and keys the child's random
draws, see :mod:`model.rng`). Each table grows by doubling.
"""

from __future__ import annotations

import numpy as np


class Table:
    """A growable set of named numpy columns sharing one row count."""

    #: column name -> (dtype, fill value for new rows)
    COLUMNS: dict[str, tuple[str, float]] = {}

    def __init__(self, capacity: int = 1024):
        self.n = 0
        self._cap = max(16, int(capacity))
        for name, (dtype, fill) in self.COLUMNS.items():
            setattr(self, name, np.full(self._cap, fill, dtype=dtype))

    def __len__(self) -> int:
        return self.n

    def _grow(self, need: int) -> None:
        cap = self._cap
        while cap < need:
            cap *= 2
        for name, (dtype, fill) in self.COLUMNS.items():
            old = getattr(self, name)
            new = np.full(cap, fill, dtype=dtype)
            new[: self.n] = old[: self.n]
            setattr(self, name, new)
        self._cap = cap

    def append(self, count: int, **values) -> np.ndarray:
        """Add ``count`` rows; ``values`` give columns (scalars or arrays). Returns the new row ids."""
        if count <= 0:
            return np.empty(0, dtype=np.int64)
        if self.n + count > self._cap:
            self._grow(self.n + count)
        start, stop = self.n, self.n + count
        for name, value in values.items():
            getattr(self, name)[start:stop] = value
        self.n = stop
        return np.arange(start, stop, dtype=np.int64)

    def view(self, name: str) -> np.ndarray:
        """The live rows of a column."""
        return getattr(self, name)[: self.n]


class Children(Table):
    """Children who are, or have been, looked after during the run."""

    COLUMNS = {
        "la": ("int16", -1),  # responsible LA (index into Geography.las)
        "home_pc": ("int32", -1),  # home postcode (index into the postcode sample)
        "home_e": ("float64", 0.0),
        "home_n": ("float64", 0.0),
        "dob": ("int32", 0),  # day of birth (day 0 = the start date)
        "male": ("bool", False),
        "need": ("int8", 0),
        "flags": ("int16", 0),
        "legal": ("int8", 0),  # index into children.LEGAL_CODES
        "entered": ("int32", 0),  # day the current period of care began
        "initial": ("bool", False),  # in care at the start date
        "in_care": ("bool", False),
        "exit_day": ("int32", 2**31 - 1),  # scheduled day of leaving care
        "exit_route": ("int8", -1),  # index into codes.EXIT_CODES
        "exited": ("int32", -1),  # day care ended (-1: still in care)
        "plan_parents": ("bool", False),  # care plan: placed with parents
        "plan_kin": ("bool", False),  # a relative or friend can care for the child
        "plan_other": ("bool", False),  # first placement in another setting (NHS, mother and baby...)
        "adopt_move_day": ("int32", 2**31 - 1),  # planned move to the adoptive family
        # current placement
        "kind": ("int8", -1),  # codes.Kind, -1 while waiting for a placement
        "unit": ("int32", -1),
        "payer": ("int16", -1),  # LA paying for the placement (the responsible LA)
        "price": ("float64", 0.0),  # weekly price of the current placement (GBP)
        "place_start": ("int32", 0),
        "place_e": ("float64", 0.0),
        "place_n": ("float64", 0.0),
        "place_la": ("int16", -1),  # LA where the placement is
        "distance": ("float64", 0.0),  # miles from home to placement
        "end_day": ("int32", 2**31 - 1),  # scheduled end of the current placement
        "end_reason": ("int8", -1),  # codes.REASON index for the scheduled end
        "end_rematch": ("bool", False),  # the scheduled end is a move nearer home (children.rematch_hazard)
        "n_placements": ("int32", 0),  # placements in the current period of care
        "n_breakdowns": ("int32", 0),  # unplanned endings in this period of care
        "waiting_since": ("int32", -1),  # day the current search began (-1: not searching)
        "last_place_start": ("int32", 0),  # start of the placement before the current one
    }


class Units(Table):
    """Units of provision: fostering households, children's homes, supported accommodation."""

    COLUMNS = {
        "utype": ("int8", 0),  # codes.UnitType
        "kind": ("int8", 0),  # codes.Kind a child placed here is in
        "sector": ("int8", 0),  # codes.Sector
        "owner_la": ("int16", -1),  # LA that runs or approved it (-1: independent provider)
        "provider": ("int32", -1),  # Provider agent id (-1: LA provision)
        "la": ("int16", -1),  # LA where it is
        "pc": ("int32", -1),  # postcode sample index
        "east": ("float64", 0.0),  # OS grid metres
        "north": ("float64", 0.0),
        "places": ("int16", 0),  # beds or approved places
        "unavailable": ("int16", 0),  # approved places not offered (carer's choice, on hold)
        "occupied": ("int16", 0),  # places filled by simulated children
        "bg_occupied": ("int16", 0),  # places filled by children of LAs outside the run (regional runs)
        "staying_put": ("int16", 0),  # places kept by young adults staying put after 18
        "max_need": ("int8", 0),  # highest need level the unit can meet
        "open": ("bool", False),
        "opened": ("int32", 0),
        "closed": ("int32", -1),
        "kinship": ("bool", False),
        "for_child": ("int32", -1),  # kinship carers: the child they were approved for
        "breakdowns": ("int16", 0),  # unplanned endings in the last review period
        "failing": ("int8", 0),  # consecutive quarterly reviews below break-even occupancy
        "pool": ("int32", -1),  # market pool (see market.py)
        "weekly_cost": ("float64", 0.0),  # provider's running cost per week (homes: whole home)
        "occ_days": ("float64", 0.0),  # occupied place-days since the last review
        "price_level": ("float64", 0.0),  # the unit's list price per week (before need loadings)
        "regional": ("int8", 0),  # held by the RCC: 1 built with its capital, 2 on block contract
    }

    def free(self) -> np.ndarray:
        """Places that could take a child now."""
        n = self.n
        return (
            self.places[:n]
            - self.unavailable[:n]
            - self.occupied[:n]
            - self.bg_occupied[:n]
            - self.staying_put[:n]
        ) * self.open[:n]


def add_at(arr: np.ndarray, idx: np.ndarray, value: int = 1) -> None:
    """``np.add.at(arr, idx, value)`` (repeated indices add up), faster for the few rows of a tick."""
    if len(idx) <= 32:
        for i in idx.tolist():
            arr[i] += value
    else:
        np.add.at(arr, idx, value)


def weighted_bincount(idx: np.ndarray, weights: np.ndarray, minlength: int = 0) -> np.ndarray:
    """``np.bincount(idx, weights, minlength)``, always float64.

    NumPy returns int64 for an empty selection even when weights are given, and adding a float
    array to that in place fails (a quarterly review that finds none of the run's children in an
    independent home, a region of one small LA). Every weighted count goes through here.
    """
    idx = np.asarray(idx, dtype=np.int64)
    if len(idx) == 0:
        return np.zeros(max(int(minlength), 0), dtype=np.float64)
    return np.bincount(idx, weights=np.asarray(weights, dtype=np.float64), minlength=minlength).astype(np.float64, copy=False)
