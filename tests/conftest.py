"""Shared fixtures: one small run per session, reused by the invariant tests."""

from __future__ import annotations

import numpy as np
import pytest
from make_baseline import REGION as SMALL_REGION
from make_baseline import SEED as SMALL_SEED
from make_baseline import YEARS as SMALL_YEARS
from rccsim.sim.simulation import Simulation


class Audit:
    """Checks run after every tick (a week, or less at a year end): no unit over capacity,
    occupancy equals children placed."""

    def __init__(self):
        self.checks = 0
        self.max_over = 0
        self.mismatch = 0
        self.negative = 0

    def check(self, model) -> None:
        u, c = model.units, model.children
        n = u.n
        filled = u.occupied[:n].astype(int) + u.bg_occupied[:n] + u.staying_put[:n]
        offered = (u.places[:n].astype(int) - u.unavailable[:n]) * u.open[:n]
        self.max_over = max(self.max_over, int((filled - offered)[u.open[:n]].max(initial=0)))
        self.negative += int((u.occupied[:n] < 0).sum() + (u.bg_occupied[:n] < 0).sum())
        placed = c.in_care[: c.n] & (c.unit[: c.n] >= 0)
        counts = np.bincount(c.unit[: c.n][placed], minlength=n)
        self.mismatch += int((counts != u.occupied[:n]).sum())
        self.checks += 1


@pytest.fixture(scope="session")
def small_run():
    """A 2-year run of three GM LAs, audited after every tick."""
    sim = Simulation(region=SMALL_REGION, years=SMALL_YEARS, seed=SMALL_SEED, verbose=False)
    model = sim.model
    audit = Audit()
    audit.check(model)
    original_step = model.step

    def audited_step():
        original_step()
        audit.check(model)

    model.step = audited_step
    result = sim.run().record
    return model, result, audit
