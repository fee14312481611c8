"""What the dashboard offers: the levers and their settings, the measures it plots and maps."""

from __future__ import annotations

from typing import get_args, get_origin

from rccsim import levers as lv
from rccsim.levers import REGISTRY
from rccsim.sim.describe import LEVER_TITLES

LEVERS = [cls for cls in REGISTRY if cls.key in LEVER_TITLES]
SETTINGS = {"single_customer": lv.SingleCustomerSettings, "shared_placements": lv.SharedPlacementsSettings,
            "capital_homes": lv.CapitalHomesSettings, "fostering_hub": lv.FosteringHubSettings,
            "block_contracts": lv.BlockContractsSettings, "forecast_led": lv.ForecastLedSettings,
            "pooled_budget": lv.PooledBudgetSettings, "workforce_academy": lv.WorkforceAcademySettings}


def form_fields(cls) -> list[str]:
    """A lever's settings the form offers as numbers. The others (a capital programme's mix of
    homes, the kind of home a pooled budget's surplus builds, switches) are set in a scenario
    file, not on the form."""
    def is_number(annotation) -> bool:
        if annotation in (int, float):
            return True
        args = get_args(annotation)
        return get_origin(annotation) is not None and bool(args) and all(a in (int, float, type(None)) for a in args)
    return [name for name, f in cls.model_fields.items() if is_number(f.annotation)]


SERIES_LABELS = {
    "cost_per_child_week_gbp": "Cost per child-week (£)", "cost_total_gbp": "Spend in the year (£)",
    "mean_distance_miles": "Mean distance from home (miles)", "share_over_20_miles": "Placed > 20 miles (share)",
    "share_out_of_la": "Placed outside own LA (share)", "moves_per_child_year": "Moves per child-year",
    "children_waiting_end": "Children in emergency settings (31 March; under 5 not shown)", "children_in_care_end": "Children in care",
    "children_homes_end": "Children's homes", "share_residential_end": "In residential care (share)",
}
MAP_METRICS = {"share_over_20_miles": "Placed > 20 miles", "share_out_of_la": "Placed outside own LA",
               "share_3plus_placements": "3+ placements in the year", "children_in_care_end": "Children in care (end)"}

# each lever setting in plain words, with its unit (the scenario file's name is in brackets)
SETTING_LABELS = {
    "single_customer.bargaining_power": "Share of providers' margin over cost the RCC negotiates away (0 to 1)",
    "shared_placements.host_reserve": "Free places each LA keeps for its own children before sharing",
    "capital_homes.capital_gbp": "Capital to spend (£)",
    "capital_homes.cost_per_home_gbp": "Cost of building one home (£)",
    "capital_homes.places": "Beds in each home",
    "capital_homes.max_need": "Highest need the homes take (0 standard, 1 complex, 2 intensive)",
    "capital_homes.build_days": "Days to build and register (a home opens then, or when it has found its manager)",
    "fostering_hub.budget_gbp_per_year": "Budget a year (£)",
    "fostering_hub.recruitment_share": "Share of the budget spent on recruiting carers (0 to 1)",
    "fostering_hub.cost_per_enquiry_gbp": "Cost of one enquiry from a would-be carer (£)",
    "fostering_hub.from_agencies": "Share of the hub's recruits who would have gone to an agency (0 to 1)",
    "fostering_hub.assessment_lag_factor": "Assessment time, relative to today's (0 to 1)",
    "fostering_hub.support_cost_per_carer_gbp": "Support cost per carer household a year (£)",
    "fostering_hub.support_leave_reduction": "Cut in supported carers' leaving rate (0 to 1)",
    "block_contracts.beds": "Beds reserved in independent homes",
    "block_contracts.discount": "Discount on the list price (0 to 1)",
    "block_contracts.term_years": "Contract term (years)",
    "forecast_led.cover_share": "Share of forecast need for children's homes contracted ahead (0 to 1)",
    "forecast_led.max_beds": "Most beds contracted ahead",
    "forecast_led.discount": "Discount on the list price (0 to 1)",
    "forecast_led.term_years": "Contract term (years)",
    "pooled_budget.share": "Share of each member's placement budget paid into the pot, and of its spend paid from it (0 to 1)",
    "pooled_budget.reinvest_share": "Share of the pot's yearly surplus spent on RCC homes (0 to 1)",
    "pooled_budget.reinvest_cost_per_home_gbp": "Cost of one home built from the surplus (£)",
    "pooled_budget.reinvest_build_days": "Days to build a home from the surplus",
    "workforce_academy.budget_gbp_per_year": "Academy budget a year (£)",
    "workforce_academy.cost_per_trainee_gbp": "Cost of one training place (£)",
    "workforce_academy.completion_rate": "Share of trainees who complete (0 to 1)",
    "workforce_academy.take_up": "Share of those completing who take a post in the region's homes (0 to 1)",
    "workforce_academy.training_weeks": "Length of the training (weeks)",
    "workforce_academy.first_year_leave_factor": "Recruits' leaving in their first year, relative to all staff",
}
