"""The RCC's own running cost: a yearly sum charged to the run (``rcc_running_cost_gbp_per_year``)."""

from __future__ import annotations

from rccsim.levers.base import Lever, charge_yearly


class RunningCost(Lever):
    key = "rcc_running_cost_gbp_per_year"

    def setup(self, model) -> None:
        if self.settings:
            charge_yearly(model, "rcc_running", float(self.settings))
