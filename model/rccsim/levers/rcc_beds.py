"""How the beds the RCC holds (capital homes, block contracts, forecast-led blocks) are filled and paid.

Added to every run with a lever that holds beds; a scenario sets it under ``levers: rcc_beds:``.

``admission``
    ``panel`` (the default): a regional panel admits, in order, children in emergency or
    unregistered settings, then children whose plan is residential and whose best other option is
    a children's home more than 20 miles from home or outside the region, or who have none
    (:meth:`rccsim.core.market.Market.panel`). ``open``: any member's child the bed suits, the
    buyer choosing it as own provision (the behaviour before the panel; it fills the beds with
    children the market would have fostered).
``recharge_gbp_per_week``
    What a member pays a week for a child in an RCC bed. Absent (the default): cost recovery, the
    bed's running cost per place (a capital home's staff, its property bought with the capital;
    a block bed's contract fee per place). The RCC pays the homes and the contracts, and the
    members' recharges come back to it: the run's total cost counts each pound once.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from rccsim.base.codes import Regional
from rccsim.levers.base import Lever, LeverSettings


class RccBedsSettings(LeverSettings):
    admission: Literal["panel", "open"] = "panel"
    recharge_gbp_per_week: float | None = Field(None, ge=0.0, le=50_000.0)


class RccBeds(Lever):
    key = "rcc_beds"

    def __init__(self, settings: RccBedsSettings | None = None):
        super().__init__(settings or RccBedsSettings())

    def setup(self, model) -> None:
        if self.settings.admission == "panel":
            model.market.policy.admit_by_panel(self.settings.recharge_gbp_per_week)
        else:
            model.market.policy.recharge_gbp = self.settings.recharge_gbp_per_week


def capital_home_running(model) -> np.ndarray:
    """The running cost of the RCC's capital homes by run year (GBP): staff, no rent (the capital
    bought the property)."""
    u = model.units
    n = u.n
    ids = np.flatnonzero(u.regional[:n] == Regional.CAPITAL)
    out = np.zeros(model.years)
    if len(ids) == 0:
        return out
    h_open = np.maximum(u.opened[ids].astype(np.int64), 0)
    h_close = np.where(u.closed[ids] < 0, model.horizon, u.closed[ids]).astype(np.int64)
    for k in range(model.years):
        y0, y1 = int(model.year_bounds[k]), int(model.year_bounds[k + 1])
        days = np.maximum(np.minimum(h_close, y1) - np.maximum(h_open, y0), 0)
        out[k] = float((u.weekly_cost[ids] * days / 7.0).sum())
    return out
