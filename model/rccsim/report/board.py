"""The board-ready report of a scenario comparison, from the results database.

    rccsim report --plan results/studies/GM_all_scenarios/plan.json --out results/report.html

One self-contained HTML file: the question, the scenarios and their sources, the headline table
(cost, distance, stability, sufficiency: baseline and each option's difference from it with a 95%
interval over seeds), the mechanisms behind each difference (from the runs' own records, as
``rccsim compare`` gives them), figures embedded as images (time series with bands, distance from
home, moves per child, cost by placement type, differences by LA), the assumptions and their
sources, the calibration fit, and a provenance block (code version, seeds, run keys, date) that a
board paper can cite. It prints on A4 landscape (a print style sheet is embedded): print it to PDF
from any browser for the printable version.

Every number in it is read from the database, for exactly the runs of the study's plan. Counts of
children under 5 are shown as "<5", as official statistics suppress them.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
from pathlib import Path

import numpy as np
import pandas as pd

from rccsim.base.errors import InputError
from rccsim.base.paths import SCENARIO_DIR, data_dir
from rccsim.inputs.geography import load_geography
from rccsim.inputs.params import ParamSet
from rccsim.io.store import read_study, sqlite_path
from rccsim.report import tables
from rccsim.sim.describe import settings_in_words
from rccsim.sim.formats import hide_small_counts
from rccsim.sim.scenario import load_scenario
from rccsim.studies import uncertainty
from rccsim.studies.compare import (
    HEADLINE,
    KIND_LABELS,
    add_drawn,
    explain,
    explain_drawn,
    figure_differences,
    summarise,
)
from rccsim.studies.plan import all_specs

# the headline measures (rccsim.report.tables.HEADLINE: label, kind, count) by theme
THEMES = {
    "Cost and distance from home": ["cost_total_gbp", "cost_per_child_week_gbp", "mean_distance_miles",
                                    "share_over_20_miles", "share_out_of_la", "share_residential_over_20_miles"],
    "Stability and sufficiency": ["moves_per_child_year", "share_3plus_placements", "share_long_term_stable",
                                  "share_emergency_placements", "children_waiting_end", "children_unregistered_4w",
                                  "children_homes_end",
                                  "foster_households_end"],
}
HEADLINE_KEYS = [k for keys in THEMES.values() for k in keys]
SERIES = [
    ("cost_total_gbp", "Cost in the year", "£m", 1e-6),
    ("children_in_care_end", "Children in care at 31 March", "children", 1.0),
    ("mean_distance_miles", "Mean distance from home at 31 March", "miles", 1.0),
    ("share_over_20_miles", "Placed more than 20 miles away", "% of children placed", 100.0),
    ("moves_per_child_year", "Placement moves per child-year", "moves per child-year", 1.0),
    ("children_waiting_end", "Children in emergency settings at 31 March (under 5 not shown)", "children", 1.0),
]
SMALL = 5  # counts of children below this are suppressed


def compare_records(run_df: pd.DataFrame, met: pd.DataFrame) -> list[dict]:
    """Per-run records in the form rccsim/studies/compare.py summarises and explains."""
    whole = met[met.year == 0].pivot(index="run_id", columns="name", values="value")
    yearly = met[met.year > 0]
    spend = yearly[yearly.name.str.startswith("spend_by_kind_gbp.")].copy()
    spend["kind"] = spend.name.str.split(".", n=1).str[1]
    spend = spend.groupby(["run_id", "kind"]).value.sum()
    # the members' placement budgets, averaged over the run's years (rccsim.core.budgets)
    budget_means = yearly[yearly.name.isin(["members_overspend", "members_budget_pressure"])].groupby(
        ["run_id", "name"]).value.mean()
    records = []
    for row in run_df.itertuples():
        w = whole.loc[row.run_id]
        m = {k: float(w[k]) for k in HEADLINE_KEYS}
        for k in ("block_voids_gbp", "placements_in_rcc_homes", "mean_distance_rcc_homes_miles", "carers_approved",
                  "carers_left", "homes_opened", "homes_closed", "in_house_placements", "placements_with_other_members",
                  "mean_distance_other_members_miles"):
            if k in w.index and w[k] == w[k]:  # records of older code lack the last three
                m[k] = float(w[k])
        # where the children placed in the RCC's homes were on the same days in the baseline (the
        # run harness matches them in memory and stores only these averages)
        cf = {k.split(".", 1)[1]: float(w[k]) for k in w.index if k.startswith("rcc_counterfactual.") and w[k] == w[k]}
        if cf:
            m["rcc_counterfactual"] = cf
        m["by_placement_type"] = {
            g: {"share_over_20_miles": float(w[f"by_placement_type.{g}.share_over_20_miles"]),
                "children_end": float(w[f"by_placement_type.{g}.children_end"])}
            for g in ("fostering", "residential", "supported", "with_parents", "other")
        }
        m["weekly_price_gbp_by_kind"] = row.extra.get("weekly_price_gbp_by_kind", {})
        m["lever_costs_gbp"] = row.extra.get("lever_costs_gbp", {})
        m["pooled_budget"] = row.extra.get("pooled_budget", {})
        for k in ("members_overspend", "members_budget_pressure"):
            if (row.run_id, k) in budget_means.index:  # records of older code lack them
                m[k + "_mean"] = float(budget_means.loc[(row.run_id, k)])
        m["spend_by_kind_gbp"] = spend.loc[row.run_id].to_dict() if row.run_id in spend.index.get_level_values(0) else {}
        records.append({"scenario": row.scenario, "seed": int(row.seed), "metrics": m})
    return records


# ------------------------------------------------------------------------------------------------
# figures
# ------------------------------------------------------------------------------------------------

def _png(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def _colours(scenarios: list[str]) -> dict:
    import matplotlib

    out = {"baseline": "black"}
    others = [s for s in scenarios if s != "baseline"]
    cmap = matplotlib.colormaps["tab10" if len(others) <= 10 else "tab20"]
    for i, s in enumerate(others):
        out[s] = cmap(i % cmap.N)
    return out


def fig_series(met: pd.DataFrame, run_df: pd.DataFrame, scenarios: list[str], start_year: int, titles: dict) -> str:
    import matplotlib.pyplot as plt
    from scipy import stats

    colours = _colours(scenarios)
    scen_of = run_df.set_index("run_id").scenario
    yearly = met[(met.year > 0) & met.name.isin([k for k, *_ in SERIES])].copy()
    yearly["scenario"] = yearly.run_id.map(scen_of)
    fig, axes = plt.subplots(2, 3, figsize=(13, 7.5))
    for ax, (key, title, unit, scale) in zip(axes.ravel(), SERIES):
        sub = yearly[yearly.name == key]
        for s in scenarios:
            g = sub[sub.scenario == s].groupby("year").value
            mean, sd, n = g.mean() * scale, g.std(ddof=1).fillna(0) * scale, g.count()
            half = stats.t.ppf(0.975, np.maximum(n - 1, 1)) * sd / np.sqrt(n)
            x = start_year + mean.index.to_numpy()
            lw = 2.2 if s == "baseline" else 1.2
            shown = hide_small_counts(mean.to_numpy()) if key == "children_waiting_end" else mean.to_numpy()
            ax.plot(x, shown, color=colours[s], lw=lw, label=titles.get(s, s), zorder=3 if s == "baseline" else 2,
                    marker="o" if len(x) < 4 else None, ms=3)
            if s == "baseline" and key != "children_waiting_end":  # one band: eleven would hide the lines
                ax.fill_between(x, (mean - half).to_numpy(), (mean + half).to_numpy(), color="0.6", alpha=0.35, lw=0,
                                label="baseline 95% interval")
        if unit == "children" and key == "children_waiting_end":
            ax.set_ylim(bottom=0)
        ax.set_title(title, fontsize=10)
        ax.set_ylabel(unit, fontsize=9)
        ax.set_xlabel("year ending 31 March", fontsize=9)
        ax.tick_params(labelsize=8)
        years = np.sort(sub.year.unique()) + start_year
        if len(years):
            ax.set_xticks(years[:: max(1, len(years) // 6)])
            ax.set_xlim(years[0] - 0.5, years[-1] + 0.5)
        ax.grid(alpha=0.3)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(6, len(labels)), fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.06 + 0.02 * (len(labels) // 7), 1, 1))
    return _png(fig)


def _stacked(ax, frame: pd.DataFrame, xlabel: str, colours=None) -> None:
    left = np.zeros(len(frame))
    cols = list(frame.columns)
    palette = colours or [None] * len(cols)
    for col, c in zip(cols, palette):
        vals = frame[col].to_numpy()
        ax.barh(range(len(frame)), vals, left=left, label=str(col), color=c, edgecolor="white", lw=0.5)
        left += vals
    ax.set_yticks(range(len(frame)), frame.index, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel, fontsize=9)
    ax.tick_params(axis="x", labelsize=8)


def fig_distributions(met: pd.DataFrame, run_df: pd.DataFrame, scenarios: list[str], titles: dict) -> str:
    import matplotlib.pyplot as plt
    import seaborn as sns

    scen_of = run_df.set_index("run_id").scenario
    whole = met[met.year == 0].copy()
    whole["scenario"] = whole.run_id.map(scen_of)

    def shares(prefix: str) -> pd.DataFrame:
        sub = whole[whole.name.str.startswith(prefix)].copy()
        sub["band"] = sub.name.str[len(prefix):]
        order = list(dict.fromkeys(sub.band))
        t = sub.groupby(["scenario", "band"]).value.mean().unstack()[order]
        t = t.div(t.sum(axis=1), axis=0) * 100.0
        t = t.loc[scenarios]
        t.index = [titles.get(s, s) for s in scenarios]
        return t

    fig, axes = plt.subplots(1, 2, figsize=(13, 0.42 * len(scenarios) + 2.0))
    dist = shares("distance_bands_end.")
    _stacked(axes[0], dist, "% of children placed at the end of the run", sns.color_palette("crest", dist.shape[1]))
    axes[0].set_title("Distance from home (miles) at the end of the run", fontsize=10)
    axes[0].legend(title="miles", fontsize=8, title_fontsize=8, ncol=dist.shape[1], loc="upper center",
                   bbox_to_anchor=(0.5, -0.12 - 0.1 / max(1, len(scenarios) / 5)), frameon=False)
    moves = shares("moves_per_child_dist.")
    _stacked(axes[1], moves, "% of children in care during the run", sns.color_palette("flare", moves.shape[1]))
    axes[1].set_title("Placement moves per child over the run", fontsize=10)
    axes[1].legend(title="moves", fontsize=8, title_fontsize=8, ncol=moves.shape[1], loc="upper center",
                   bbox_to_anchor=(0.5, -0.12 - 0.1 / max(1, len(scenarios) / 5)), frameon=False)
    for ax in axes:
        ax.set_xlim(0, 100)
    fig.tight_layout()
    return _png(fig)


def fig_cost_by_type(records: list[dict], scenarios: list[str], titles: dict) -> str:
    import matplotlib.pyplot as plt

    rows = {}
    for s in scenarios:
        recs = [r["metrics"] for r in records if r["scenario"] == s]
        kinds = {}
        for m in recs:
            for k, v in m["spend_by_kind_gbp"].items():
                kinds[KIND_LABELS.get(k, k)] = kinds.get(KIND_LABELS.get(k, k), 0.0) + v / len(recs)
            for v in m["lever_costs_gbp"].values():
                kinds["RCC levers (capital, running, blocks, hub)"] = kinds.get("RCC levers (capital, running, blocks, hub)", 0.0) + v / len(recs)
        rows[s] = kinds
    frame = pd.DataFrame(rows).T.fillna(0.0) / 1e6
    frame = frame[[c for c in frame.columns if frame[c].abs().max() > 0.05]]
    frame = frame[frame.mean().sort_values(ascending=False).index]
    fig, ax = plt.subplots(figsize=(13, 0.42 * len(scenarios) + 2.2))
    frame = frame.loc[scenarios]
    frame.index = [titles.get(s, s) for s in scenarios]
    _stacked(ax, frame, "£m over the whole run (mean over seeds)", [plt.get_cmap("tab20")(i) for i in range(frame.shape[1])])
    ax.set_title("Cost by placement type", fontsize=10)
    ax.legend(fontsize=8, ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.1 - 0.08 / max(1, len(scenarios) / 5)), frameon=False)
    fig.tight_layout()
    return _png(fig)


def fig_by_la(la: pd.DataFrame, run_df: pd.DataFrame, scenarios: list[str], names: dict, titles: dict) -> str | None:
    import matplotlib.pyplot as plt
    import seaborn as sns

    others = [s for s in scenarios if s != "baseline"]
    if not others or la.empty:
        return None
    frame = la[la.name == "share_over_20_miles"].merge(run_df[["run_id", "scenario", "seed"]], on="run_id")
    wide = frame.pivot_table(index=["la_code", "seed"], columns="scenario", values="value")
    diff = wide[others].sub(wide["baseline"], axis=0) * 100.0
    mean = diff.groupby(level="la_code").mean().round(1) + 0.0  # no "-0.0"
    mean.index = [names.get(c, c) for c in mean.index]
    mean.columns = [titles.get(s, s) for s in mean.columns]
    fig, ax = plt.subplots(figsize=(min(13, 2.5 + 0.95 * len(others)), 0.32 * len(mean) + 2.4))
    lim = max(0.5, float(np.nanmax(np.abs(mean.to_numpy()))))
    sns.heatmap(mean, ax=ax, cmap="RdBu_r", center=0, vmin=-lim, vmax=lim, annot=True, fmt=".1f",
                annot_kws={"fontsize": 7}, cbar_kws={"label": "percentage points"})
    ax.set_title("Difference from baseline in the share of each LA's placed children more than 20 miles from home\n"
                 "at the end of the run (percentage points, mean over seeds; blue = fewer far away)", fontsize=10)
    ax.set_xlabel("scenario", fontsize=9)
    ax.set_ylabel("local authority", fontsize=9)
    ax.tick_params(labelsize=8)
    plt.setp(ax.get_xticklabels(), rotation=30, ha="right")
    fig.tight_layout()
    return _png(fig)


def fig_differences(summary: dict, scenarios: list[str], titles: dict) -> str:
    buf = io.BytesIO()
    figure_differences(summary, scenarios, buf, titles)
    return base64.b64encode(buf.getvalue()).decode()


CSS = """
body{font-family:Helvetica,Arial,sans-serif;max-width:1250px;margin:1.5em auto;padding:0 1em;color:#222;line-height:1.4}
h1{font-size:1.6em;margin-bottom:.2em} h2{border-bottom:2px solid #444;padding-bottom:.15em;margin-top:1.6em}
h3{margin:.9em 0 .3em} p.lead{font-size:1.05em}
table{border-collapse:collapse;margin:.4em 0 1em;font-size:.85em}
th,td{border:1px solid #ccc;padding:.25em .5em;vertical-align:top} thead th{background:#f2f2f2}
th.row{text-align:left;background:#fafafa;white-space:nowrap} td.num{text-align:right;white-space:nowrap}
.unit{font-weight:normal;color:#555;font-size:.9em} .diff{color:#555;font-size:.85em} .diff.sig{color:#000;font-weight:bold} .drawn{color:#555;font-size:.8em;font-style:italic}
table.small{font-size:.78em} table.params td:first-child{white-space:nowrap}
img{max-width:100%;height:auto;display:block;margin:.5em 0} figure{margin:0 0 1em} figcaption{font-size:.85em;color:#444}
.prov{font-size:.8em;background:#f7f7f7;border:1px solid #ddd;padding:.6em 1em;word-break:break-all}
ul.mech li{margin-bottom:.25em}
.themes{display:flex;flex-wrap:wrap;gap:0 1.5em} .theme{break-inside:avoid}
@media print{@page{size:A4 landscape;margin:10mm} body{max-width:none;margin:0;font-size:9pt}
 h2.appendix{break-before:page} h2,h3{break-after:avoid}
 figure,tr,.theme{break-inside:avoid} img{max-height:165mm;width:auto;max-width:100%}
 table.headline{font-size:6.5pt} table.headline td,table.headline th{padding:1px 3px} ul.mech{font-size:7pt}
 ul.mech li{margin-bottom:0} h3{margin:.4em 0 .1em} ul.options{font-size:8pt}}
"""


# ------------------------------------------------------------------------------------------------
# tables and text: plain data here, HTML only in the template (templates/report.html.j2), which
# Jinja2 renders with autoescape on, so no text from a scenario file, a plan or the database can
# reach the page as markup
# ------------------------------------------------------------------------------------------------

def baseline_trends(met: pd.DataFrame, run_df: pd.DataFrame, start: int) -> dict | None:
    """What the baseline itself does over the run (so the options' differences are read against it)."""
    ids = run_df[run_df.scenario == "baseline"].run_id
    y = met[met.run_id.isin(ids) & (met.year > 0)].groupby(["name", "year"]).value.mean()
    last = int(met.year.max())
    if last < 2:
        return None

    def pair(name, scale=1.0, fmt="{:,.0f}"):
        return fmt.format(y[(name, 1)] * scale), fmt.format(y[(name, last)] * scale)

    return {"first_year": start + 1, "last_year": start + last, "children": pair("children_in_care_end"),
            "homes": pair("children_homes_end"), "residential": pair("share_residential_end", 100, "{:.1f}%"),
            "cost": pair("cost_total_gbp", 1e-6, "£{:,.0f}m")}


def headline_tables(summary: dict, scenarios: list[str], titles: dict) -> list[dict]:
    """The headline tables, one per theme: columns (label, unit) and a row per scenario, formatted as
    the board reads them (rccsim.report.tables: money as '+£9.5m [..]', shares' differences in
    points, counts of children under 5 and any difference involving one withheld)."""
    spec = {k: (label, kind, count) for k, label, kind, count in tables.HEADLINE}
    out = []
    for theme, keys in THEMES.items():
        body = []
        for s in scenarios:
            cells = []
            for key in keys:
                _, kind, count = spec[key]
                m = summary[s]["metrics"][key]
                cell = {"value": tables.level(m["mean"], kind, count), "diff": None, "sig": False, "drawn": None}
                if s != "baseline":
                    if tables.withheld(summary, s, key, count):
                        cell["diff"] = "withheld (fewer than 5 children)"
                    else:
                        cell["diff"] = tables.difference(m, kind)
                        cell["sig"] = tables.significant(m)
                        cell["drawn"] = tables.drawn_difference(m, kind)  # across the drawn assumptions
                cells.append(cell)
            body.append({"scenario": titles.get(s, s), "baseline": s == "baseline", "cells": cells})
        out.append({"theme": theme, "columns": [(spec[k][0], tables.UNITS[spec[k][1]].replace(" (differences in points)", ""))
                                                 for k in keys], "rows": body})
    return out


def _scenario_sources(name: str, spec: str | None = None) -> tuple[str, str, str]:
    """(description, levers as text, the scenario file's comment lines: its sources) of the
    scenario ``name``, read from ``spec`` (its bundled name or the path of its YAML file, as the
    plan gives it)."""

    spec = spec or name
    scen = load_scenario(spec)
    path = Path(spec) if str(spec).endswith((".yaml", ".yml")) or Path(spec).is_file() else SCENARIO_DIR / f"{spec}.yaml"
    comments = ""
    if path.is_file():
        lines = [ln[1:].strip() for ln in path.read_text(encoding="utf-8-sig").splitlines() if ln.startswith("#")]
        comments = " ".join(lines)
    lever_txt = "; ".join(settings_in_words(scen))
    return scen.description.strip(), lever_txt, comments


def by_la_table(la: pd.DataFrame, run_df: pd.DataFrame, names: dict) -> list[dict]:
    """The baseline by LA (mean over seeds), counts under 5 suppressed."""
    base_ids = run_df[run_df.scenario == "baseline"].run_id
    sub = la[la.run_id.isin(base_ids)]
    t = sub.pivot_table(index="la_code", columns="name", values="value", aggfunc="mean")

    def count(v):
        v = round(float(v))
        return "<5" if 0 < v < SMALL else f"{v:,}"

    return [{"name": names.get(code, code), "code": code, "children": count(r["children_in_care_end"]),
             "starts": count(r["starts"]), "ceases": count(r["ceases"]), "outside": f"{100 * r['share_out_of_la']:.1f}",
             "far": f"{100 * r['share_over_20_miles']:.1f}", "three": f"{100 * r['share_3plus_placements']:.1f}"}
            for code, r in t.iterrows()]


SUFFICIENCY_ROWS = (("home_ind", "Independent children's homes"), ("home_la", "LA and RCC children's homes"),
                    ("supported", "Supported accommodation"), ("foster_la", "LA foster carers"),
                    ("foster_ifa", "Agency foster carers"))


def sufficiency_table(met: pd.DataFrame, run_df: pd.DataFrame, scenarios: list[str], titles: dict) -> dict | None:
    """The area's sufficiency at the end of the run (mean over seeds): the baseline's children,
    those placed outside the area, its places and free places by placement kind, and each option's
    shortfall beside the baseline's; counts of children under 5 shown as "<5"."""
    last = int(met.year.max()) if len(met) else 0
    end = met[(met.year == last) & met.name.str.startswith("sufficiency.")]
    if end.empty:
        return None
    mean = end.merge(run_df[["run_id", "scenario"]], on="run_id").groupby(["scenario", "name"]).value.mean()

    def get(scenario, name):
        return float(mean.get((scenario, f"sufficiency.{name}"), float("nan")))

    def count(v):
        if v != v:
            return ""
        v = round(v)
        return "<5" if 0 < v < SMALL else f"{v:,}"

    rows = []
    for key, label in SUFFICIENCY_ROWS:
        rows.append({"label": label, "children": count(get("baseline", f"{key}.children")),
                     "outside": count(get("baseline", f"{key}.placed_outside_area")),
                     "places": f"{get('baseline', f'{key}.places'):,.0f}", "free": f"{get('baseline', f'{key}.free'):,.0f}",
                     "shortfall": [count(get(s, f"{key}.shortfall")) for s in scenarios]})
    rows.append({"label": "Emergency or unregistered settings", "children": count(get("baseline", "unregistered.children")),
                 "outside": "", "places": "", "free": "",
                 "shortfall": [count(get(s, "unregistered.children")) for s in scenarios]})
    return {"rows": rows, "scenarios": [titles[s] for s in scenarios]}


def parameters_table() -> list[dict]:

    p = ParamSet.defaults()
    rows = []
    for name, spec in sorted(p.specs.items()):
        value = p[name]
        if isinstance(value, list):
            text = ", ".join(f"{v:.3g}" if isinstance(v, float) else str(v) for v in value)
            text = text if len(text) < 60 else text[:57] + "..."
        else:
            text = f"{value:.4g}" if isinstance(value, float) else str(value)
        rows.append({"name": name, "value": text, "unit": spec.unit, "source": spec.source})
    return rows


def _num(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"


def calibration_summary() -> dict:
    """The installed fit and how close the defaults are to the published targets."""
    import yaml


    root = data_dir().parent
    fitted = root / "fitted.yaml"
    out: dict = {"fit": None, "refit": None, "roles": [], "table": False}
    if fitted.exists():
        f = yaml.safe_load(fitted.read_text())
        if f.get("refitted"):
            out["refit"] = {"names": ", ".join(f["refitted"]), "base_date": str((f.get("refit_of") or {}).get("fitted_on"))}
        out["fit"] = {"date": str(f.get("fitted_on")), "method": str(f.get("method")), "targets": len(f.get("targets", [])),
                      "region": str(f.get("region")), "start": str(f.get("start")), "seeds": str(f.get("seeds")),
                      "loss": str(f.get("loss")), "code": str(f.get("code_version")), "values": ", ".join(f.get("values", {}))}
    table = root / "fit_report.csv"
    if table.exists():
        out["table"] = True
        fr = pd.read_csv(table)
        for role, title in (("fit", "fitted targets"), ("validate", "held-out figures (never used to fit)"),
                            ("backtest", "back-test"),
                            ("decade", "ten years on, England (drift from the last published value; no published figures)")):
            sub = fr[fr.role == role]
            if sub.empty:
                continue
            worst = sub.assign(badness=sub["error"].abs() / sub["tolerance"]).sort_values("badness", ascending=False).head(4)
            against = "last published" if role == "decade" else "published"
            out["roles"].append({
                "title": title, "within": int(sub.within.sum()), "n": len(sub),
                "what": "indicator-years within tolerance of the last published value" if role == "decade" else "within tolerance",
                "worst": "; ".join(f"{r.id}: simulated {_num(r.simulated)} vs {against} {_num(r.target)}" for r in worst.itertuples()),
            })
    return out


def _environment():
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("rccsim.report", "templates"),
        autoescape=True,  # every value is escaped unless the template says otherwise (only the CSS)
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def read_comparison(url: str, plan: dict):
    """A workflow comparison from the database: ``(runs, metrics, by-LA metrics, records, summary,
    acting)`` for the runs at the installed parameters, the summary also holding, where the plan ran
    each seed under a draw of the assumptions (:mod:`rccsim.studies.uncertainty`), the drawn
    intervals and their drivers (``acting``: per scenario, the assumptions that act in it; empty
    without draws)."""
    run_df, met, la = read_study(url, plan)
    seeds = plan["seeds"]
    draws = {s["run_key"]: s["draw"] for s in all_specs(plan) if "draw" in s}
    is_drawn = run_df.run_key.isin(list(draws))
    drawn_ids = set(run_df.run_id[is_drawn])
    drawn_df, run_df = run_df[is_drawn], run_df[~is_drawn]
    drawn_met, met = met[met.run_id.isin(drawn_ids)], met[~met.run_id.isin(drawn_ids)]
    la = la[~la.run_id.isin(drawn_ids)]
    records = compare_records(run_df, met)
    summary = summarise(records, plan["scenarios"], seeds)
    acting = {}
    if draws:
        by_seed = {int(r.seed): draws[r.run_key] for r in drawn_df.itertuples()}
        # the assumptions the plan drew (calibration/uncertainty.yaml may have changed since)
        drew = set().union(*(set(d) for d in draws.values()))
        items = [it for it in uncertainty.load_uncertainty() if it.name in drew]
        acting = {s: uncertainty.used(items, load_scenario(f)) for s, f in _files(plan).items()}
        add_drawn(summary, uncertainty.summarise_drawn(compare_records(drawn_df, drawn_met), plan["scenarios"], seeds,
                                                       [k for k, *_ in HEADLINE], by_seed, acting))
    return run_df, met, la, records, summary, acting


def _files(plan: dict) -> dict[str, str]:
    """Each scenario as the plan gives it: a bundled name or the path of the user's YAML file."""
    files = {}
    for spec in all_specs(plan):
        files.setdefault(spec["scenario"], spec.get("scenario_file") or spec["scenario"])
    return files


def build(url: str, plan: dict, plan_path: str = "") -> str:

    if plan.get("kind") != "compare":
        raise InputError(f"study '{plan.get('study')}' is a {plan.get('kind')}, not a comparison: use rccsim sweep-analyse")
    seeds = plan["seeds"]
    run_df, met, la, records, summary, acting = read_comparison(url, plan)
    scenarios = tables.order(summary, plan["scenarios"])  # baseline first, then by effect
    missing = [k for k, *_ in HEADLINE if k not in HEADLINE_KEYS]
    if missing:
        raise RuntimeError(f"report: headline metrics without a theme: {missing}")
    geo = load_geography()
    names = dict(zip(geo.las.la_code, geo.las.la_name)) if "la_name" in geo.las else {}
    region = plan["region"]
    codes = sorted(la.la_code.unique())
    start = plan["start_year"]
    years = plan["years"]
    files = _files(plan)

    titles = tables.plain_names(scenarios, files)
    figs = {
        "differences": fig_differences(summary, scenarios, titles),
        "series": fig_series(met, run_df, scenarios, start, titles),
        "distributions": fig_distributions(met, run_df, scenarios, titles),
        "cost": fig_cost_by_type(records, scenarios, titles),
        "by_la": fig_by_la(la, run_df, scenarios, names, titles),
    }
    hashes = run_df.groupby("scenario")[["scenario_hash", "parameter_hash"]].first().loc[scenarios]
    context = {
        "css": CSS,
        "region": region,
        "las": ", ".join(names.get(c, c) for c in codes),
        "n_las": len(codes),
        "years": years,
        "start": start,
        "scenarios": scenarios,
        "n_options": len(scenarios) - 1,
        "n_seeds": len(seeds),
        "seeds": ", ".join(str(s) for s in seeds),
        "versions": ", ".join(sorted(run_df.code_version.unique())),
        "generated": dt.datetime.now(dt.UTC).strftime("%d %B %Y %H:%M UTC"),
        "trends": baseline_trends(met, run_df, start),
        "findings": tables.findings(summary, scenarios, titles, len(seeds)),
        "themes": headline_tables(summary, scenarios, titles),
        "figures": figs,
        "mechanisms": [{"scenario": titles[s], "lines": explain(records, s, summary)
                        + ([explain_drawn(summary, s, len(acting[s]), len(seeds))] if acting else [])}
                       for s in scenarios if s != "baseline"],
        "drawn": bool(acting),
        "by_la": by_la_table(la, run_df, names),
        "sufficiency": sufficiency_table(met, run_df, scenarios, titles),
        "scenario_rows": [{"name": titles[s], "code": s, **dict(zip(("description", "levers", "sources"), _scenario_sources(s, files.get(s))))}
                          for s in scenarios],
        "calibration": calibration_summary(),
        "parameters": parameters_table(),
        "study": plan["study"],
        "plan_path": plan_path,
        "hashes": ", ".join(f"{titles[s]} ({s}): scenario {r.scenario_hash}, parameters {r.parameter_hash}" for s, r in hashes.iterrows()),
        "n_runs": len(run_df),
        "first_run": str(run_df.started_at.min()),
        "last_run": str(run_df.finished_at.max()),
        "database": str(sqlite_path(url) or url.split("@")[-1]),
        "run_keys": " ".join(sorted(run_df.run_key)),
        "drawn_keys": " ".join(sorted(s["run_key"] for s in all_specs(plan) if "draw" in s)),
    }
    return _environment().get_template("report.html.j2").render(**context)
