"""Growable tables of numpy columns, and the counting helpers the simulation uses on them.

Bulk things are arrays: a column per attribute, a row per agent. Rows are appended, never
reused, so a row number is a stable identifier for the whole run (and keys the child's random
draws, see :mod:`rccsim.base.rng`). Each table grows by doubling. The simulation's own tables
(children, units of provision, the placement log) are in :mod:`rccsim.core.tables` and
:mod:`rccsim.core.recorder`.
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
