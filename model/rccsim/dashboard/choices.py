"""What the dashboard offers: the levers and their settings, the measures it plots and maps."""

from __future__ import annotations

from rccsim import levers as lv
from rccsim.levers import REGISTRY
from rccsim.sim.describe import LEVER_TITLES

LEVERS = [cls for cls in REGISTRY if cls.key in LEVER_TITLES]
SETTINGS = {"single_customer": lv.SingleCustomerSettings, "shared_placements": lv.SharedPlacementsSettings,
            "capital_homes": lv.CapitalHomesSettings, "fostering_hub": lv.FosteringHubSettings,
            "block_contracts": lv.BlockContractsSettings, "forecast_led": lv.ForecastLedSettings,
            "pooled_budget": lv.PooledBudgetSettings}
SERIES_LABELS = {
    "cost_per_child_week_gbp": "Cost per child-week (£)", "cost_total_gbp": "Spend in the year (£)",
    "mean_distance_miles": "Mean distance from home (miles)", "share_over_20_miles": "Placed > 20 miles (share)",
    "share_out_of_la": "Placed outside own LA (share)", "moves_per_child_year": "Moves per child-year",
    "children_waiting_end": "Children in emergency settings (31 March; under 5 not shown)", "children_in_care_end": "Children in care",
    "children_homes_end": "Children's homes", "share_residential_end": "In residential care (share)",
}
MAP_METRICS = {"share_over_20_miles": "Placed > 20 miles", "share_out_of_la": "Placed outside own LA",
               "share_3plus_placements": "3+ placements in the year", "children_in_care_end": "Children in care (end)"}
