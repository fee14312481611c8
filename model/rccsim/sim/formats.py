"""Numbers as a board reads them: one format and one suppression rule for the reports, the
dashboard and the command line (``rccsim compare``).

* Money: "£1,268.4m" for a level, "+£9.5m [+£0.8m, +£18.2m]" for a difference (the sign before
  the £, no more digits than the interval justifies).
* Shares: "21.3%" for a level; differences in percentage points: "-1.2 points [-2.0, -0.4]".
* Counts of children under 5 are shown as "<5", and a difference involving one is withheld: the
  cell gives nothing away, in bold or otherwise; charts leave such points out.
"""

from __future__ import annotations

import math

import numpy as np

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
    ("share_residential_over_20_miles", "Children in homes more than 20 miles away", "share", False),
    ("children_unregistered_4w", "Children 4+ weeks in unregistered settings, a year", "count", True),
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
    k = 0 if kind == "count" and half == 0 else _digits(half, 1.0)
    return f"{_signed(d, k)} [{_signed(lo, k)}, {_signed(hi, k)}]"


def drawn_difference(m: dict, kind: str) -> str | None:
    """The difference under drawn assumptions, as :func:`difference` says it, or None where the
    comparison drew none."""
    if "lo_drawn" not in m:
        return None
    return difference({"diff": m["diff_drawn"], "lo": m["lo_drawn"], "hi": m["hi_drawn"]}, kind)


def significant(m: dict) -> bool:
    return m["lo"] > 0 or m["hi"] < 0


def withheld(summary: dict, scenario: str, key: str, count: bool) -> bool:
    """A count of children under 5 in the option or the baseline: the difference is withheld."""
    if not count:
        return False
    a = summary[scenario]["metrics"][key]["mean"]
    b = summary["baseline"]["metrics"][key]["mean"]
    return 0 < a < SMALL or 0 < b < SMALL


def hide_small_counts(values):
    """A series of counts of children with the values from 0 to 5 (exclusive) left out (NaN), as
    the tables show them as "<5": a chart gives nothing away either."""
    v = np.asarray(values, dtype=float).copy()
    v[(v > 0) & (v < SMALL)] = np.nan
    return v
