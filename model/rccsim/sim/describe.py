"""Scenarios in plain words, for reports and the dashboard: a title, and each lever's settings.

A scenario file may give its own ``title``; otherwise one is made from its levers. Settings are
said in words ("£5.0m of capital builds 4 homes of 4 beds ... built in 18 months"), never as raw JSON.
"""

from __future__ import annotations

from rccsim.sim.scenario import Scenario

LEVER_TITLES = {
    "single_customer": "Single regional customer",
    "shared_placements": "Shared placements",
    "capital_homes": "Capital-funded homes",
    "fostering_hub": "Regional fostering hub",
    "block_contracts": "Block contracts",
    "forecast_led": "Forecast-led commissioning",
    "pooled_budget": "Pooled budget",
    "workforce_academy": "Residential workforce academy",
}
NEED = {0: "standard needs", 1: "complex needs", 2: "intensive needs"}
FOCUS_WORDS = {"highest_needs": "children with intensive needs", "younger": "children under 13",
               "adolescent": "children of 13 and over", "exploitation": "children at risk of exploitation"}


def money(gbp: float) -> str:
    """£5.0m, £250k, £900."""
    if abs(gbp) >= 1e6:
        m = gbp / 1e6
        return f"£{m:,.2f}m" if abs(m * 10 - round(m * 10)) > 1e-6 else f"£{m:,.1f}m"
    if abs(gbp) >= 1e4:
        return f"£{gbp / 1e3:,.0f}k"
    return f"£{gbp:,.0f}"


def _months(days: int) -> str:
    months = round(days / 30.4)
    return f"{months} month{'s' if months != 1 else ''}"


def lever_words(key: str, s) -> str:
    """One lever's settings in words."""
    if key == "single_customer":
        return (f"members buy as one customer and negotiate {s.bargaining_power:.0%} of the margin over cost where "
                "providers have spare places")
    if key == "shared_placements":
        keep = f", each keeping {s.host_reserve} free place{'s' if s.host_reserve != 1 else ''} for its own children" \
            if s.host_reserve else ""
        return f"members' own carers and homes take each other's children after their own{keep}"
    if key == "capital_homes" and s.mix:
        homes = s.homes()
        kinds = []
        for k in s.mix:
            m = sum(1 for h in homes if h is k)
            if m:
                who = "" if k.children == "any" else f" for {FOCUS_WORDS[k.children]}"
                kinds.append(f"{m} of {k.places} bed{'s' if k.places != 1 else ''}{who} (up to {NEED[k.max_need]})")
        return (f"{money(s.capital_gbp)} of capital builds {len(homes)} home{'s' if len(homes) != 1 else ''} "
                f"({money(s.cost_per_home_gbp)} each): {'; '.join(kinds)}; built in {_months(s.build_days)}, each "
                "opening once it has a registered manager")
    if key == "capital_homes":
        n = int(s.capital_gbp // s.cost_per_home_gbp)
        return (f"{money(s.capital_gbp)} of capital builds {n} home{'s' if n != 1 else ''} of {s.places} beds "
                f"({money(s.cost_per_home_gbp)} each) for children with up to {NEED[s.max_need]}, built in "
                f"{_months(s.build_days)}, each opening once it has a registered manager")
    if key == "fostering_hub":
        return (f"{money(s.budget_gbp_per_year)} a year: {s.recruitment_share:.0%} on recruiting carers at "
                f"{money(s.cost_per_enquiry_gbp)} an enquiry, the rest on support at "
                f"{money(s.support_cost_per_carer_gbp)} a household-year")
    if key == "block_contracts":
        return (f"{s.beds} beds reserved in independent homes near members, {s.discount:.0%} below list price, paid "
                f"whether used or not, on contracts of {s.term_years:g} years renewed at the day's price")
    if key == "forecast_led":
        return (f"each year, beds contracted ahead of {s.cover_share:.0%} of the forecast need for children's homes, "
                f"up to {s.max_beds} beds, {s.discount:.0%} below list price, on contracts of {s.term_years:g} years")
    if key == "pooled_budget":
        how = ("each judges its overspend by the pot's" if s.shares_pressure
               else "each still judges its overspend by its own budget (accounting only)")
        what = f"members pay {s.share:.0%} of their placement budgets into a regional pot, which pays that share of their spend; {how}"
        if s.reinvest_share > 0:
            what += (f"; {s.reinvest_share:.0%} of each year's surplus builds RCC homes at "
                     f"{money(s.reinvest_cost_per_home_gbp)} each")
        return what
    if key == "workforce_academy":
        return (f"{money(s.budget_gbp_per_year)} a year trains people for children's homes at "
                f"{money(s.cost_per_trainee_gbp)} a trainee over {s.training_weeks} weeks; {s.completion_rate:.0%} "
                f"complete and {s.take_up:.0%} of them take a post in the region's homes")
    return key


def settings_in_words(scenario: Scenario) -> list[str]:
    """Each lever of a scenario (and its parameter changes) in words."""
    lv = scenario.levers
    out = [f"{LEVER_TITLES[k]}: {lever_words(k, getattr(lv, k))}" for k in lv.active()]
    if lv.rcc_running_cost_gbp_per_year:
        out.append(f"RCC running cost: {money(lv.rcc_running_cost_gbp_per_year)} a year")
    out += [f"Parameter {k} set to {v}" for k, v in scenario.parameters.items()]
    return out or ["no RCC lever"]


def title(scenario: Scenario) -> str:
    """The scenario's plain name: its own title, or one made from its levers."""
    if scenario.title:
        return scenario.title
    lv = scenario.levers
    active = lv.active()
    if not active and not scenario.parameters:
        return "Today's arrangements (baseline)"
    if len(active) == 1:
        key = active[0]
        s = getattr(lv, key)
        if key == "capital_homes":
            n = int(s.capital_gbp // s.cost_per_home_gbp)
            return f"{n} capital-funded home{'s' if n != 1 else ''}, {money(s.capital_gbp)}"
        if key == "fostering_hub":
            return f"Regional fostering hub, {money(s.budget_gbp_per_year)} a year"
        if key == "block_contracts":
            return f"Block contracts, {s.beds} beds"
        return LEVER_TITLES[key]
    if active:
        return "Package: " + ", ".join(LEVER_TITLES[k].lower() for k in active)
    return f"Parameters changed: {', '.join(scenario.parameters)}"
