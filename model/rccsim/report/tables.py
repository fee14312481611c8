"""The headline results as a board reads them, in the HTML report, the PDF and the dashboard:
the formats and the suppression rule of :mod:`rccsim.sim.formats` (which the command line uses
too), options listed baseline first, then by their effect on cost per child-week (largest saving
first), the findings sentences and each scenario's plain name.
"""

from __future__ import annotations

from rccsim.sim.describe import title
from rccsim.sim.formats import (  # noqa: F401
    HEADLINE,
    SMALL,
    UNITS,
    difference,
    drawn_difference,
    level,
    significant,
    withheld,
)
from rccsim.sim.scenario import load_scenario


def order(summary: dict, scenarios: list[str]) -> list[str]:
    """Baseline first, then options by their effect on cost per child-week (largest saving first)."""
    others = [s for s in scenarios if s != "baseline"]
    others.sort(key=lambda s: summary[s]["metrics"]["cost_per_child_week_gbp"]["diff"])
    return (["baseline"] if "baseline" in scenarios else []) + others


def plain_names(scenarios: list[str], files: dict | None = None) -> dict[str, str]:
    """Each scenario's plain title (read from its file or bundled name)."""
    out = {}
    for s in scenarios:
        try:
            out[s] = title(load_scenario((files or {}).get(s, s)))
        except Exception:  # a scenario that cannot be read again keeps its name
            out[s] = s
    return out


def headline_rows(summary: dict, scenarios: list[str], names: dict[str, str]) -> list[dict]:
    """One row per metric: its label, the baseline's level, and each option's level and difference."""
    rows = []
    for key, label, kind, count in HEADLINE:
        row = {"measure": label, "unit": UNITS[kind]}
        for s in scenarios:
            m = summary[s]["metrics"][key]
            cell = level(m["mean"], kind, count)
            if s != "baseline":
                if withheld(summary, s, key, count):
                    cell += ": difference withheld (fewer than 5 children)"
                else:
                    cell += f" ({difference(m, kind)}"
                    if (drawn := drawn_difference(m, kind)) is not None:  # and across the drawn assumptions
                        cell += f"; drawn: {drawn}"
                    cell += ")"
            row[names.get(s, s)] = cell
        rows.append(row)
    return rows


def option_rows(summary: dict, scenarios: list[str], names: dict[str, str], keys: list[str]) -> list[dict]:
    """One row per option (today's arrangements first) and a column per measure of ``keys``: the level
    and, on a second line, the difference from baseline with its interval (and, on a third, its
    range under drawn assumptions where the comparison ran them)."""
    spec = {k: (label, kind, count) for k, label, kind, count in HEADLINE}
    rows = []
    for s in scenarios:
        row = {"option": names.get(s, s)}
        for key in keys:
            label, kind, count = spec[key]
            unit = UNITS[kind].replace(" (differences in points)", "")
            m = summary[s]["metrics"][key]
            cell = level(m["mean"], kind, count)
            if s != "baseline":
                if withheld(summary, s, key, count):
                    cell += "\nwithheld (<5 children)"
                else:
                    cell += f"\n{difference(m, kind)}"
                    if (drawn := drawn_difference(m, kind)) is not None:
                        cell += f"\ndrawn: {drawn}"
            row[f"{label} ({unit})" if unit and unit != "£" else label] = cell
        rows.append(row)
    return rows


def findings(summary: dict, scenarios: list[str], names: dict[str, str], seeds: int) -> list[str]:
    """Three or four sentences of findings, each with its interval."""
    others = [s for s in order(summary, scenarios) if s != "baseline"]
    if not others:
        return ["Only today's arrangements were run: there is no option to compare."]
    out = []
    cost = {s: summary[s]["metrics"]["cost_per_child_week_gbp"] for s in others}
    best = others[0]
    m = cost[best]
    verb = "lowers" if m["hi"] < 0 else ("raises" if m["lo"] > 0 else "does not measurably change")
    today = level(summary['baseline']['metrics']['cost_per_child_week_gbp']['mean'], 'gbp')
    what = f"{difference(m, 'gbp')} against {today} today"
    if len(others) == 1:
        out.append(f"{names[best]} {verb} the cost per child-week ({what}).")
    elif verb == "lowers":
        out.append(f"{names[best]} lowers the cost per child-week the most of the {len(others)} options compared ({what}).")
    elif verb == "raises":
        out.append(f"Every option raises the cost per child-week; the least, {names[best]}: {what}.")
    else:
        out.append(f"No option measurably lowers the cost per child-week; the lowest, {names[best]}: {what}.")
    far = {s: summary[s]["metrics"]["share_over_20_miles"] for s in others}
    nearest = min(others, key=lambda s: far[s]["diff"])
    fm = far[nearest]
    if fm["hi"] < 0:
        out.append(f"{names[nearest]} brings most children nearer home: the share placed more than 20 miles away "
                   f"changes by {difference(fm, 'share')}.")
    else:
        which = "" if len(others) == 1 else f"the lowest, {names[nearest]}: "
        out.append(f"No option measurably lowers the share of children placed more than 20 miles away ({which}"
                   f"{difference(fm, 'share')}).")
    mv = {s: summary[s]["metrics"]["moves_per_child_year"] for s in others}
    steady = min(others, key=lambda s: mv[s]["diff"])
    if mv[steady]["hi"] < 0:
        out.append(f"{names[steady]} makes placements most stable: moves per child-year change by "
                   f"{difference(mv[steady], 'rate')}.")
    else:
        out.append("No option measurably changes how often children move.")
    out.append(f"Each difference is the option's effect on the same {seeds} random seeds as today's arrangements, "
               "with a 95% interval over seeds; an interval that includes zero is not distinguishable from no effect.")
    return out
