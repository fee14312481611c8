"""Forecast-led commissioning: each year the RCC block-contracts beds ahead of forecast demand.

The forecast: members' children in children's homes now, grown by the trend in members' entries
into care (last year over the year before). Beds are contracted (as block contracts: whole homes,
paid whether used or not, for ``term_years`` and then renewed at the day's price if the provider
agrees) to cover ``cover_share`` of the forecast beyond the public beds members already fill, up to
``max_beds`` in all.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from rccsim.base.codes import Kind
from rccsim.levers.base import MAX_BEDS, Lever, LeverSettings, members_mask
from rccsim.levers.blocks import book


class ForecastLedSettings(LeverSettings):
    cover_share: float = Field(0.5, ge=0.0, le=1.0)
    max_beds: int = Field(40, ge=0, le=MAX_BEDS)
    discount: float = Field(0.10, ge=0.0, lt=1.0)
    term_years: float = Field(3.0, ge=0.25, le=25.0)


class ForecastLed(Lever):
    key = "forecast_led"
    holds_beds = True
    uses_blocks = True

    def setup(self, model) -> None:
        if self.settings.max_beds > 0 and self.settings.cover_share > 0:
            model.env.process(self._cycle(model))

    def _cycle(self, model):
        """SimPy process: yearly, contract beds ahead of the forecast need for children's homes."""
        year = 1
        while year < model.years:
            yield model.wait_until(int(model.year_bounds[year]))
            day = int(model.env.now)
            beds = forecast_beds(model, self.settings, day)
            if beds > 0:
                book(model).contract(model, beds, self.settings.discount, day, self.settings.term_years, owner=self.key)
            year += 1


def forecast_beds(model, cfg: ForecastLedSettings, day: int) -> int:
    """Beds to contract now: the cover share of next year's forecast need for children's homes
    beyond the public beds members already fill, less the beds the RCC already holds, within the
    cap."""
    c, u = model.children, model.units
    n = c.n
    members = members_mask(model)
    mine = c.in_care[:n] & members[c.la[:n]]
    kind = c.kind[:n]
    in_homes = float((mine & np.isin(kind, [Kind.HOME_LA, Kind.HOME_IND])).sum())
    unit = c.unit[:n]
    public = mine & (unit >= 0) & ((kind == Kind.HOME_LA) | (u.regional[np.maximum(unit, 0)] > 0))
    entered = c.entered[:n]
    new = ~c.initial[:n] & members[c.la[:n]]
    recent = float((new & (entered >= day - 365) & (entered < day)).sum())
    before = float((new & (entered >= day - 730) & (entered < day - 365)).sum())
    trend = recent / before if before > 0 else 1.0
    forecast = in_homes * trend
    held_beds = book(model).held_beds(model)
    want = cfg.cover_share * max(forecast - float(public.sum()), 0.0) - held_beds
    return int(max(0, min(want, cfg.max_beds - held_beds)))
