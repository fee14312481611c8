"""The headline results as a board reads them: the same numbers, words and suppression in the HTML
report, the PDF, the dashboard and the command line.

* Money: "£1,268m" for a level, "+£9.5m [+£0.8m, +£18.2m]" for a difference (the sign before
  the £, no more digits than the interval justifies).
* Shares: "21.3%" for a level; differences in percentage points: "-1.2 points [-2.0, -0.4]".
* Counts of children under 5 are shown as "<5", and a difference involving one is withheld: the
  cell gives nothing away, in bold or otherwise.
* Options are listed baseline first, then by their effect on cost per child-week (largest saving
  first).
"""

from __future__ import annotations

import math

from rccsim.sim.describe import title
from rccsim.sim.scenario import load_scenario

SMALL = 5  # counts of children below this are suppressed

# (metric, label, kind, is a count of children); kind: money (GBP, whole run), gbp (GBP a week),
# share, miles, rate, count
HEADLINE = [
    ("cost_total_gbp", "Total cost, whole run", "money", False),
    ("cost_per_child_week_gbp", "Cost per child-week", "gbp", False),
    ("mean_distance_miles", "Mean distance from home", "miles", False),
    ("share_over_20_miles", "Placed more than 20 miles away", "share", False),
    ("share_out_of_la", "Placed outside own LA", "share", False),
    ("moves_per_child_year", "Placement moves per child-year", "rate", False),
    ("share_3plus_placements", "3+ placements in a year", "share", False),
    ("share_long_term_stable", "Long-term stability", "share", False),
    ("share_emergency_placements", "New placements in emergency settings", "share", False),
    ("children_waiting_end", "Children in emergency settings (end)", "count", True),
    ("children_homes_end", "Children's homes (end)", "count", False),
    ("foster_households_end", "Fostering households (end)", "count", False),
]
UNITS = {"money": "£", "gbp": "£ a week", "share": "% (differences in points)", "miles": "miles", "rate": "",
         "count": ""}


def _digits(half: float, scale: float) -> int:
    """Decimals that show an interval of half-width ``half`` (in display units) without false precision."""
    h = abs(half) * scale
    if h == 0 or not math.isfinite(h):
        return 1
    return max(0, min(3, 1 - int(math.floor(math.log10(h)))))


def _signed(v: float, decimals: int) -> str:
    text = f"{v:+,.{decimals}f}"
    return "+" + text[1:] if text[1:].replace(",", "").replace(".", "").strip("0") == "" else text


def level(value: float, kind: str, count: bool = False) -> str:
    """A level, as a board reads it."""
    if count and 0 < value < SMALL:
        return "<5"
    if kind == "money":
        return f"£{value / 1e6:,.1f}m" if abs(value) < 1e9 else f"£{value / 1e9:,.2f}bn"
    if kind == "gbp":
        return f"£{value:,.0f}"
    if kind == "share":
        return f"{100 * value:.1f}%"
    if kind == "miles":
        return f"{value:.1f}"
    if kind == "rate":
        return f"{value:.3f}"
    return f"{value:,.0f}"


def difference(m: dict, kind: str) -> str:
    """A difference from baseline with its 95% interval: '+£9.5m [+£0.8m, +£18.2m]'."""
    d, lo, hi = m["diff"], m["lo"], m["hi"]
    half = (hi - lo) / 2
    if kind == "money":
        k = _digits(half, 1e-6)
        f = lambda v: ("+" if v >= 0 or round(v / 1e6, k) == 0 else "-") + f"£{abs(v) / 1e6:,.{k}f}m"  # noqa: E731
        return f"{f(d)} [{f(lo)}, {f(hi)}]"
    if kind == "gbp":
        k = _digits(half, 1.0)
        f = lambda v: ("+" if v >= 0 or round(v, k) == 0 else "-") + f"£{abs(v):,.{k}f}"  # noqa: E731
        return f"{f(d)} [{f(lo)}, {f(hi)}]"
    if kind == "share":
        k = _digits(half, 100.0)
        return f"{_signed(100 * d, k)} points [{_signed(100 * lo, k)}, {_signed(100 * hi, k)}]"
    k = _digits(half, 1.0)
    return f"{_signed(d, k)} [{_signed(lo, k)}, {_signed(hi, k)}]"


def significant(m: dict) -> bool:
    return m["lo"] > 0 or m["hi"] < 0


def withheld(summary: dict, scenario: str, key: str, count: bool) -> bool:
    """A count of children under 5 in the option or the baseline: the difference is withheld."""
    if not count:
        return False
    a = summary[scenario]["metrics"][key]["mean"]
    b = summary["baseline"]["metrics"][key]["mean"]
    return 0 < a < SMALL or 0 < b < SMALL


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
                cell += ": difference withheld (fewer than 5 children)" if withheld(summary, s, key, count) \
                    else f" ({difference(m, kind)})"
            row[names.get(s, s)] = cell
        rows.append(row)
    return rows


def option_rows(summary: dict, scenarios: list[str], names: dict[str, str], keys: list[str]) -> list[dict]:
    """One row per option (today's arrangements first) and a column per measure of ``keys``: the level
    and, on a second line, the difference from baseline with its interval."""
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
                cell += "\nwithheld (<5 children)" if withheld(summary, s, key, count) else f"\n{difference(m, kind)}"
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
    out.append(f"{names[best]} {verb} the cost per child-week ({difference(m, 'gbp')} against "
               f"{level(summary['baseline']['metrics']['cost_per_child_week_gbp']['mean'], 'gbp')} today), the most "
               f"of the {len(others)} option{'s' if len(others) != 1 else ''} compared.")
    far = {s: summary[s]["metrics"]["share_over_20_miles"] for s in others}
    nearest = min(others, key=lambda s: far[s]["diff"])
    fm = far[nearest]
    if fm["hi"] < 0:
        out.append(f"{names[nearest]} brings most children nearer home: the share placed more than 20 miles away "
                   f"changes by {difference(fm, 'share')}.")
    else:
        out.append(f"No option measurably lowers the share of children placed more than 20 miles away (the largest "
                   f"fall, {names[nearest]}: {difference(fm, 'share')}).")
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
