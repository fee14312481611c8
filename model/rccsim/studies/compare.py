"""``rccsim compare``: scenarios on the same seeds, differences from baseline with 95% intervals.

Every scenario runs on the same seeds. Random numbers are drawn from named streams keyed to the
seed (and, for child-level events, to the child), so a scenario and the baseline share their
random numbers and the paired difference per seed is the policy's effect plus much less noise than
two independent runs would carry (common random numbers). The interval is a t interval over the
per-seed differences.

The explanation of each lever comes from the runs' own records: which spend moved, how many
children went to the homes the RCC holds and how far from home, what happened to carers and
prices. Nothing in it is written in advance.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from rccsim.base.errors import MAX_SEED, InputError
from rccsim.base.files import csv_text
from rccsim.base.version import code_version
from rccsim.inputs.geography import load_geography
from rccsim.inputs.published import check_start_year
from rccsim.sim import formats
from rccsim.sim.scenario import load_scenario
from rccsim.studies import uncertainty
from rccsim.studies.harness import RunSpec, run_specs

HEADLINE = [
    ("cost_total_gbp", "total cost (GBP, whole run)", "£{:,.0f}"),
    ("cost_per_child_week_gbp", "cost per child-week (GBP)", "£{:,.0f}"),
    ("mean_distance_miles", "mean distance from home (miles)", "{:.2f}"),
    ("share_over_20_miles", "placed > 20 miles", "{:.1%}"),
    ("share_out_of_la", "placed outside own LA", "{:.1%}"),
    ("moves_per_child_year", "moves per child-year", "{:.3f}"),
    ("share_3plus_placements", "3+ placements in a year", "{:.1%}"),
    ("share_long_term_stable", "long-term stability", "{:.1%}"),
    ("share_emergency_placements", "new placements emergency/unregistered", "{:.2%}"),
    ("children_waiting_end", "children in emergency settings (end)", "{:,.0f}"),
    ("foster_households_end", "fostering households (end)", "{:,.0f}"),
    ("children_homes_end", "children's homes (end)", "{:,.0f}"),
    ("share_residential_over_20_miles", "children in homes > 20 miles", "{:.1%}"),
    ("children_unregistered_4w", "children 4+ weeks unregistered/yr", "{:,.0f}"),
]
KIND_LABELS = {
    "foster_kin": "Kinship foster", "foster_la": "LA foster", "foster_ifa": "Agency (IFA) foster",
    "home_la": "LA children's home", "home_ind": "Independent children's home", "supported": "Supported accommodation",
    "with_parents": "With parents", "adoption": "Placed for adoption", "unregistered": "Emergency/unregistered",
    "other": "Other settings",
}
SERIES = ("cost_total_gbp", "mean_distance_miles", "share_over_20_miles", "moves_per_child_year")


EXPLAINED = ("lever_costs_gbp", "block_voids_gbp", "placements_in_rcc_homes", "mean_distance_rcc_homes_miles",
             "pooled_budget", "weekly_price_gbp_by_kind", "carers_approved", "carers_left", "homes_opened",
             "homes_closed", "by_placement_type", "in_house_placements", "placements_with_other_members",
             "mean_distance_other_members_miles", "rcc_counterfactual", "academy_trainees", "academy_hired",
             "academy_left_early")


def record_of(run) -> dict:
    """What the comparison summarises and explains of one run (a :class:`rccsim.studies.harness.Run`):
    the headline metrics, the records its explanation reads, spend by kind over the run, and the
    yearly series."""

    result = run.result
    m = result.metrics
    keep = {k: m[k] for k, _, _ in HEADLINE}
    for k in EXPLAINED:
        if k in m:
            keep[k] = m[k]
    spend = {}
    for y in result.by_year:
        for kind, v in y["spend_by_kind_gbp"].items():
            spend[kind] = spend.get(kind, 0.0) + v
    keep["spend_by_kind_gbp"] = spend
    keep["by_year"] = [{k: y[k] for k in SERIES} for y in result.by_year]
    keep["rcc_region_staff_vacancy_end"] = result.by_year[-1].get("rcc_region_staff_vacancy_rate", 0.0) if result.by_year else 0.0
    keep["sufficiency_end"] = result.by_year[-1].get("sufficiency", {}) if result.by_year else {}
    # the members' placement budgets (rccsim.core.budgets), averaged over the run's years
    for k in ("members_overspend", "members_budget_pressure"):
        keep[k + "_mean"] = float(np.mean([y.get(k, 0.0) for y in result.by_year])) if result.by_year else 0.0
    return {"scenario": result.provenance["scenario"], "seed": result.provenance["seed"], "metrics": keep,
            "scenario_hash": result.provenance["scenario_hash"], "parameter_hash": result.provenance["parameter_hash"],
            "code_version": code_version(), "seconds": run.seconds}


def run_all(region: str, scenarios: list[str], seeds: list[int], years: int, start: int, jobs: int, progress=None,
            draws: dict[int, dict[str, float]] | None = None) -> list[dict] | tuple[list[dict], list[dict]]:
    """Every scenario on every seed through the run harness; records scenario by scenario.

    With ``draws`` (seed: drawn assumptions, :mod:`rccsim.studies.uncertainty`), every scenario
    also runs on every seed under that seed's draw, and the two sets come back apart: ``(runs at
    the installed parameters, runs under the draws)``."""

    specs = [RunSpec(region=region, scenario=s, years=years, seed=seed, start_year=start) for seed in seeds for s in scenarios]
    n_plain = len(specs)
    if draws is not None:
        loaded = {s: load_scenario(s) for s in scenarios}
        specs += [RunSpec(region=region, scenario=uncertainty.apply(loaded[s], draws[seed]), years=years, seed=seed,
                          start_year=start, variant="drawn", tag=s) for seed in seeds for s in scenarios]
    runs = run_specs(specs, jobs=jobs, progress=progress)
    out = [record_of(r) for r in runs]

    # back to scenario by scenario, the order the summaries average in
    def name(i):
        return specs[i].tag if specs[i].variant else specs[i].scenario

    def ordered(idx):
        return [out[i] for i in sorted(idx, key=lambda i: (scenarios.index(name(i)), seeds.index(specs[i].seed)))]

    plain = ordered(range(n_plain))
    if draws is None:
        return plain
    drawn = ordered(range(n_plain, len(specs)))
    for r in drawn:
        r["draw"] = draws[r["seed"]]
    return plain, drawn


def summarise(runs: list[dict], scenarios: list[str], seeds: list[int]) -> dict:
    """Mean per scenario and metric; paired difference from baseline with a 95% t interval."""
    from scipy import stats

    by = {(r["scenario"], r["seed"]): r["metrics"] for r in runs}
    out = {}
    for s in scenarios:
        metrics = {}
        for key, _, _ in HEADLINE:
            vals = np.array([by[(s, seed)][key] for seed in seeds], dtype=float)
            base = np.array([by[("baseline", seed)][key] for seed in seeds], dtype=float)
            d = vals - base
            mean_d = float(d.mean())
            if len(seeds) > 1 and d.std(ddof=1) > 0:
                half = float(stats.t.ppf(0.975, len(seeds) - 1) * d.std(ddof=1) / np.sqrt(len(seeds)))
            else:
                half = 0.0
            metrics[key] = {"mean": float(vals.mean()), "diff": mean_d, "lo": mean_d - half, "hi": mean_d + half}
        out[s] = {"metrics": metrics}
    return out


def add_drawn(summary: dict, drawn: dict) -> None:
    """Put the drawn-assumption results beside the seed-only ones: ``diff_drawn``, ``lo_drawn`` and
    ``hi_drawn`` in each metric, the assumptions that drive each metric under ``drivers``."""
    for s, metrics in drawn.items():
        summary[s]["drivers"] = {}
        for key, m in metrics.items():
            summary[s]["metrics"][key].update(diff_drawn=m["diff"], lo_drawn=m["lo"], hi_drawn=m["hi"])
            summary[s]["drivers"][key] = m["drivers"]


def explain_drawn(summary: dict, scenario: str, n_assumptions: int, n_seeds: int) -> str:
    """One line: how the option's main results move across what we do not know, and which
    assumptions move them most."""
    m = summary[scenario]["metrics"]
    drivers = summary[scenario].get("drivers", {})
    kinds = {k: kind for k, _, kind, _ in formats.HEADLINE}
    labels = {k: lab for k, lab, _, _ in formats.HEADLINE}
    parts = []
    for key in ("cost_total_gbp", "share_residential_over_20_miles", "children_unregistered_4w", "share_over_20_miles"):
        d = m[key]
        txt = formats.drawn_difference(d, kinds[key])
        top = drivers.get(key, [])
        if top and top[0]["p"] < 0.05:  # a driver only where chance alone would seldom give one
            txt += f", moved most by {top[0]['name']} (rank correlation {top[0]['rho']:+.2f})"
        parts.append(f"{_lower(labels[key])} {txt}")
    return (f"Across what we do not know ({n_assumptions} assumptions in calibration/uncertainty.yaml, drawn once "
            f"for each of {n_seeds} seeds; middle 95% of the seeds' differences; the assumption that moves a result "
            "most is named where its rank correlation is significant at 5%): " + "; ".join(parts) + ".")


def _mean(runs, scenario, getter):
    vals = [getter(r["metrics"]) for r in runs if r["scenario"] == scenario]
    return float(np.mean(vals)) if vals else 0.0


def explain(runs: list[dict], scenario: str, summary: dict) -> list[str]:
    """Mechanism lines for one scenario against baseline, from the runs' records."""
    if scenario == "baseline":
        return []
    lines = []
    s = summary[scenario]["metrics"]

    def sig(key):
        m = s[key]
        return m["lo"] > 0 or m["hi"] < 0

    # cost: where the money moved
    kinds = sorted({k for r in runs for k in r["metrics"]["spend_by_kind_gbp"]})
    d_spend = {k: _mean(runs, scenario, lambda m, k=k: m["spend_by_kind_gbp"].get(k, 0.0))
               - _mean(runs, "baseline", lambda m, k=k: m["spend_by_kind_gbp"].get(k, 0.0)) for k in kinds}
    items = sorted({k for r in runs for k in r["metrics"]["lever_costs_gbp"]})
    lever = {k: _mean(runs, scenario, lambda m, k=k: m["lever_costs_gbp"].get(k, 0.0)) for k in items}
    lever = {k: v for k, v in lever.items() if v}
    big = sorted(d_spend.items(), key=lambda kv: -abs(kv[1]))[:3]
    parts = [f"{_lower(KIND_LABELS.get(k, k.replace('_', ' ')))} {'-' if v < 0 else '+'}£{abs(v) / 1e6:,.1f}m"
             for k, v in big if abs(v) >= 0.05e6]
    lever_txt = ", ".join(f"{k.replace('_', ' ')} £{v / 1e6:,.1f}m" for k, v in lever.items())
    voids = _mean(runs, scenario, lambda m: m["block_voids_gbp"])
    cost = s["cost_total_gbp"]
    line = (f"Cost {formats.difference(cost, 'money')}"
            f"{' ' if sig('cost_total_gbp') else ', not distinguishable from zero; '}")
    clauses = []
    if parts:
        clauses.append(f"placement spend moved by kind: {', '.join(parts)}")
    if lever_txt:
        clauses.append(f"the lever itself cost {lever_txt}" + (f", of which £{voids / 1e6:,.1f}m paid for empty block beds" if voids else ""))
    line = line.rstrip("; ").rstrip(",") + (("; " if not sig("cost_total_gbp") else " ") + "; ".join(clauses) if clauses else "")
    lines.append(line + ".")
    # distance: children in RCC homes, and where distance changed
    in_rcc = _mean(runs, scenario, lambda m: m["placements_in_rcc_homes"])
    if in_rcc:
        d_rcc = _mean(runs, scenario, lambda m: m["mean_distance_rcc_homes_miles"])
        base_res = _mean(runs, "baseline", lambda m: m["by_placement_type"]["residential"]["share_over_20_miles"])
        line = (f"{in_rcc:,.0f} placements (mean over seeds) were made in homes the RCC holds, on average "
                f"{d_rcc:.1f} miles from home")
        cf_all = [r["metrics"]["rcc_counterfactual"] for r in runs
                  if r["scenario"] == scenario and "rcc_counterfactual" in r["metrics"]]
        cf = [c for c in cf_all if c["matched"]]
        if cf:
            w = np.array([c["matched"] for c in cf], dtype=float)

            def avg(k):
                return float(np.average([c.get(k, 0.0) for c in cf], weights=w))

            line += (f"; on the same days in the baseline the same children were on average {avg('mean_distance_miles'):.1f} "
                     f"miles from home ({avg('share_over_20_miles'):.0%} more than 20 miles away; {avg('share_residential'):.0%} in "
                     f"children's homes ({avg('share_independent_homes'):.0%} in independent ones), "
                     f"{avg('share_fostering'):.0%} in foster care, {avg('share_supported'):.0%} in supported accommodation, "
                     f"{avg('share_unregistered'):.0%} in emergency or unregistered settings; {w.sum() / sum(c['placements'] for c in cf_all):.0%} of these "
                     f"placements matched a baseline placement of the same child)")
            fostered = sum(c.get("fostered", 0) for c in cf)
            if fostered:
                above = sum(c.get("fostered_above_standard_need", 0) for c in cf) / fostered
                line += (f"; of those in foster care, {above:.0%} had complex or the highest needs when that foster "
                         "placement began (a residential plan, fostered at a penalty)")
                year = sum(c.get("fostered_with_a_year_to_go", 0) for c in cf)
                if year:
                    soon = sum(c.get("fostered_ending_within_1y", 0) for c in cf) / year
                    line += f", and {soon:.0%} of those with a year of the run to go saw it end within the year"
        lines.append(line + f"; in the baseline {base_res:.0%} of children in residential care at the end were more than 20 miles away.")
    shared = _mean(runs, scenario, lambda m: m.get("placements_with_other_members", 0))
    if shared:
        d_sh = _mean(runs, scenario, lambda m: m["mean_distance_other_members_miles"])
        a, b = (_mean(runs, x, lambda m: m.get("in_house_placements", 0)) for x in (scenario, "baseline"))
        lines.append(f"{shared:,.0f} placements (mean over seeds) were made with other members' in-house carers and homes, "
                     f"on average {d_sh:.1f} miles from home; in-house placements made over the run {b:,.0f} -> {a:,.0f}.")
    for group in ("residential", "fostering"):
        a = _mean(runs, scenario, lambda m, g=group: m["by_placement_type"][g]["share_over_20_miles"])
        b = _mean(runs, "baseline", lambda m, g=group: m["by_placement_type"][g]["share_over_20_miles"])
        if abs(a - b) >= 0.005:
            lines.append(f"Share of children in {group} placed more than 20 miles away at the end: {b:.1%} -> {a:.1%}.")
    # prices
    for kind in ("home_ind", "foster_ifa", "supported"):
        a = _mean(runs, scenario, lambda m, k=kind: m["weekly_price_gbp_by_kind"].get(k, 0.0))
        b = _mean(runs, "baseline", lambda m, k=kind: m["weekly_price_gbp_by_kind"].get(k, 0.0))
        if b and abs(a / b - 1) >= 0.01:
            lines.append(f"Mean weekly price of new {KIND_LABELS[kind].lower()} placements £{b:,.0f} -> £{a:,.0f} ({a / b - 1:+.1%}).")
    # carers
    for key, label in (("carers_approved", "carers approved"), ("carers_left", "carers who left"), ("homes_opened", "homes opened")):
        a, b = _mean(runs, scenario, lambda m, k=key: m[k]), _mean(runs, "baseline", lambda m, k=key: m[k])
        if b and abs(a / b - 1) >= 0.02:
            lines.append(f"{label.capitalize()} over the run: {b:,.0f} -> {a:,.0f}.")
    # a workforce academy: its trainees and recruits, and the region's vacancies
    trainees = _mean(runs, scenario, lambda m: m.get("academy_trainees", 0))
    if trainees:
        years = max(len(next(r for r in runs if r["scenario"] == scenario)["metrics"]["by_year"]), 1)
        hired = _mean(runs, scenario, lambda m: m.get("academy_hired", 0.0))
        early = _mean(runs, scenario, lambda m: m.get("academy_left_early", 0.0))
        lines.append(f"Workforce academy: {trainees / years:,.0f} trainees a year; {hired / years:,.1f} a year took posts in the "
                     f"region's children's homes ({hired:,.0f} over the run), of whom {early:,.0f} left in their first year "
                     "beyond the region's leaving rate.")
    if any("rcc_region_staff_vacancy_end" in r["metrics"] for r in runs):
        a = _mean(runs, scenario, lambda m: m.get("rcc_region_staff_vacancy_end", 0.0))
        b = _mean(runs, "baseline", lambda m: m.get("rcc_region_staff_vacancy_end", 0.0))
        if trainees or abs(a - b) >= 0.002:
            lines.append(f"Care staff vacancy rate in the RCC's workforce region at the end: {b:.1%} -> {a:.1%}.")
    # sufficiency: the area's children its own places could not have taken, at the end
    moved = []
    for kind in ("home_ind", "home_la", "supported", "foster_la", "foster_ifa"):
        def short(m, k=kind):
            return m.get("sufficiency_end", {}).get(k, {}).get("shortfall", 0.0)
        a, b = _mean(runs, scenario, short), _mean(runs, "baseline", short)
        if abs(a - b) >= 1.0:
            moved.append(f"{KIND_LABELS[kind].lower()} {b:,.0f} -> {a:,.0f}")
    if moved:
        lines.append("Shortfall at the end (the area's children placed outside it beyond the free places there, "
                     f"sufficiency statement): {'; '.join(moved)}.")
    pooled = [r["metrics"]["pooled_budget"] for r in runs if r["scenario"] == scenario and r["metrics"].get("pooled_budget")]
    if pooled:
        contrib = np.mean([np.mean(p["contributions_gbp_by_year"]) for p in pooled])
        balance = np.mean([p["balance_gbp_by_year"][-1] for p in pooled])
        absorbed = np.mean([np.mean(p["absorbed_gbp_by_year"]) for p in pooled])
        largest = np.mean([p["largest_la_overspend_gbp"] for p in pooled])
        lines.append(f"Pooled budget: members paid £{contrib / 1e6:,.1f}m a year into the pot; its balance at the end was "
                     f"{'a surplus' if balance >= 0 else 'a deficit'} of £{abs(balance) / 1e6:,.1f}m; it carried £{absorbed / 1e6:,.1f}m a year of single-LA over- and underspend "
                     f"(largest single-LA overspend in a year £{largest / 1e6:,.1f}m).")
        built = np.mean([p.get("homes_from_surplus", 0) for p in pooled])
        if built > 0:
            spent = np.mean([sum(p.get("reinvested_gbp_by_year", [])) for p in pooled])
            lines.append(f"Reinvested surplus: £{spent / 1e6:,.1f}m of the pot's surplus started {built:.1f} RCC homes "
                         "(each opens once built and managed; the regional panel fills them, as it fills capital homes).")
    if any("members_budget_pressure_mean" in r["metrics"] for r in runs):
        def over(m):
            return m.get("members_overspend_mean", 0.0)

        def felt(m):
            return m.get("members_budget_pressure_mean", 0.0)
        a, b = _mean(runs, scenario, over), _mean(runs, "baseline", over)
        fa, fb = _mean(runs, scenario, felt), _mean(runs, "baseline", felt)
        if abs(a - b) >= 0.001 or abs(fa - fb) >= 0.001:
            lines.append(f"Placement budgets: members' own forecast overspend (weighted by budget) averaged {b:+.1%} -> {a:+.1%} of budget; "
                         f"the overspend that shifts their choices (beyond what reserves absorb; under a pooled budget "
                         f"the pot's) averaged {fb:.1%} -> {fa:.1%} (it makes price weigh more and cuts their own "
                         f"carer recruitment, rccsim/core/budgets.py).")
    moves = s["moves_per_child_year"]
    if sig("moves_per_child_year"):
        lines.append(f"Moves per child-year {moves['diff']:+.3f} (95% interval {moves['lo']:+.3f} to {moves['hi']:+.3f}).")
    return lines


def _lower(label: str) -> str:
    """'Agency (IFA) foster' -> 'agency (IFA) foster'; 'LA foster' stays."""
    return label if label[:2].isupper() else label[:1].lower() + label[1:]


def _table(summary: dict, scenarios: list[str]) -> str:
    """The headline as text: each option's level and difference from baseline [95% interval], in
    the reports' formats and with their suppression (rccsim.sim.formats)."""
    kinds = {k: (kind, count) for k, _, kind, count in formats.HEADLINE}
    rows = []
    width = max(len(label) for _, label, _ in HEADLINE) + 2
    for key, label, _ in HEADLINE:
        kind, count = kinds[key]
        cells = []
        for s in scenarios:
            m = summary[s]["metrics"][key]
            cell = formats.level(m["mean"], kind, count)
            if s != "baseline":
                cell += " (difference withheld: fewer than 5 children)" if formats.withheld(summary, s, key, count) \
                    else f" ({formats.difference(m, kind)})"
            cells.append(cell)
        rows.append((label, cells))
    out = []
    for s in scenarios:
        out.append(f"== {s}")
        for label, cells in rows:
            out.append(f"  {label:<{width}} {cells[scenarios.index(s)]}")
    return "\n".join(out)


def figure_differences(summary: dict, scenarios: list[str], path: Path, names: dict | None = None) -> None:
    """Each option's difference from baseline on the nine headline measures, mean and 95% interval."""
    import textwrap

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    others = [s for s in scenarios if s != "baseline"]
    keys = [k for k, _, _ in HEADLINE[:9]]
    labels = {k: lab for k, lab, _ in HEADLINE}
    labels = {k: lab for k, lab, _, _ in formats.HEADLINE}
    fig, axes = plt.subplots(3, 3, figsize=(12, 3 + 0.55 * max(3, len(others)) * 3 / 2))
    for n, (ax, key) in enumerate(zip(axes.ravel(), keys)):
        base = summary["baseline"]["metrics"][key]["mean"]
        scale = 1e6 if key == "cost_total_gbp" else (100.0 if key.startswith("share") else 1.0)
        unit = "£m" if key == "cost_total_gbp" else ("percentage points" if key.startswith("share") else
                                                   ("£" if key.endswith("gbp") else ("miles" if "miles" in key else "per child-year")))
        for i, s in enumerate(others):
            m = summary[s]["metrics"][key]
            d, lo, hi = m["diff"], m["lo"], m["hi"]
            div = scale if key == "cost_total_gbp" else (1 / scale if key.startswith("share") else 1.0)
            ax.errorbar([d / div], [i], xerr=[[(d - lo) / div], [(hi - d) / div]], fmt="o", capsize=3, color="C0")
        ax.axvline(0, color="0.5", lw=0.8)
        ax.set_yticks(range(len(others)))
        ax.set_yticklabels([(names or {}).get(s, s) for s in others] if n % 3 == 0 else [], fontsize=8)
        ax.set_ylim(len(others) - 0.4, -0.6)
        if key == "cost_total_gbp":
            base_txt = f"£{base / 1e6:,.0f}m"
        elif key.startswith("share"):
            base_txt = f"{100 * base:.2f}%" if base < 0.01 else f"{100 * base:.1f}%"
        elif key.endswith("gbp"):
            base_txt = f"£{base:,.0f}"
        else:
            base_txt = f"{base:,.3g}"
        ax.set_title(textwrap.fill(f"{labels[key]} (baseline {base_txt})", 40), fontsize=8.5)
        ax.xaxis.set_major_locator(plt.MaxNLocator(4))
        ax.set_xlabel(f"difference ({unit})", fontsize=7.5)
        ax.tick_params(axis="x", labelsize=7.5)
    fig.suptitle("Difference from baseline, mean and 95% interval over seeds (common random numbers)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)


def cmd_compare(args) -> int:

    scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    if not scenarios:
        raise InputError("--scenarios needs at least one scenario name")
    names = []
    for s in scenarios:
        names.append(load_scenario(s).name)  # unknown or malformed: InputError now, before any run
    if "baseline" not in names:
        scenarios = ["baseline"] + scenarios
        names = ["baseline"] + names
    if len(set(names)) != len(names):
        raise InputError(f"--scenarios names a scenario twice: {', '.join(names)}")
    seeds = parse_seeds(args.seeds)
    if args.years < 1 or args.years > 50:
        raise InputError(f"--years must be a whole number from 1 to 50, got {args.years}")
    load_geography().resolve_region(args.region)

    check_start_year(args.start)
    jobs = _jobs(args.jobs)
    sets = 1 if args.seed_only else 2
    if sets * len(scenarios) * len(seeds) > MAX_RUNS:
        raise InputError(f"{len(scenarios)} scenarios x {len(seeds):,} seeds{' x 2 (drawn assumptions)' if sets == 2 else ''} is "
                         f"{sets * len(scenarios) * len(seeds):,} runs; rccsim compare takes at most {MAX_RUNS:,} "
                         "(use --seed-only, or the workflow, snakemake, for more)")
    items = [] if args.seed_only else uncertainty.load_uncertainty()
    draws = None if args.seed_only else {seed: uncertainty.draw(items, seed) for seed in seeds}
    if args.out is not None:
        _check_out_dir(args.out)

    def progress(done, total, secs):
        if not args.quiet:
            print(f"  {done}/{total} runs ({secs:.0f}s)", file=sys.stderr, flush=True)

    if not args.quiet:
        print(f"rccsim compare: {args.region}, {len(scenarios)} scenarios x {len(seeds)} seeds, {args.years} years, "
              f"{jobs} processes" + ("" if args.seed_only else "; each seed also runs under drawn assumptions "
                                     "(calibration/uncertainty.yaml; --seed-only skips them)"), file=sys.stderr, flush=True)
    if len(seeds) == 1:
        # stderr even with --quiet: a one-seed "interval" is a point, not evidence
        print("rccsim compare: one seed: the differences have no interval (the bounds equal the difference); "
              "use --seeds 20 for 95% intervals", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    got = run_all(args.region, scenarios, seeds, args.years, args.start, jobs, progress, draws=draws)
    runs, drawn = got if draws is not None else (got, None)
    summary = summarise(runs, names, seeds)
    explanations = {s: explain(runs, s, summary) for s in names}
    if drawn is not None:
        acting = {s: uncertainty.used(items, load_scenario(sc)) for s, sc in zip(names, scenarios)}
        add_drawn(summary, uncertainty.summarise_drawn(drawn, names, seeds, [k for k, _, _ in HEADLINE], draws, acting))
        for s in names:
            if s != "baseline":
                explanations[s].append(explain_drawn(summary, s, len(acting[s]), len(seeds)))
    wall = time.perf_counter() - t0
    doc = {
        "region": args.region, "years": args.years, "start_year": args.start, "seeds": seeds,
        "code_version": code_version(), "seconds": round(wall, 1),
        "scenarios": {s: {**summary[s], "explanation": explanations[s],
                          "scenario_hash": next(r["scenario_hash"] for r in runs if r["scenario"] == s),
                          "parameter_hash": next(r["parameter_hash"] for r in runs if r["scenario"] == s)} for s in names},
    }
    if drawn is not None:
        doc["assumptions"] = {
            "file": "calibration/uncertainty.yaml",
            "meaning": ("lo/hi: 95% interval of the mean difference over seeds, at the installed parameters; "
                        "lo_drawn/hi_drawn: the middle 95% of the seeds' differences when each seed also draws the "
                        "assumptions below (baseline and options of a seed share the draw); drivers: the assumptions "
                        "whose drawn values go most with the difference (Spearman rank correlation)"),
            "ranges": {it.name: {"range": [it.lo, it.hi], "why": it.why} for it in items},
            "draws": {str(seed): draws[seed] for seed in seeds},
        }
    if args.out:
        _write_outputs(args.out, runs, summary, names, explanations, doc)
    if args.json:
        print(json.dumps(doc, indent=1))
    else:
        print(f"rccsim compare: region {args.region}, {args.years} years from 1 April {args.start}, seeds {seeds[0]}-{seeds[-1]} "
              f"({len(seeds)}), {wall:.0f}s")
        print("each cell: mean over seeds (difference from baseline [95% interval]; shares in percentage points)\n")
        print(_table(summary, names))
        for s in names:
            if explanations[s]:
                print(f"\nWhy {s} differs (from the runs' records):")
                for line in explanations[s]:
                    print(f"  - {line}")
        print(f"\n{code_version()}")
    return 0


MAX_SEEDS = 1000  # a comparison's seeds; more belong in the workflow (snakemake), which runs in chunks
MAX_RUNS = 5000  # scenarios x seeds in one rccsim compare
MAX_JOBS = 256


def parse_seeds(text: str) -> list[int]:
    """``--seeds``: a count N (seeds 1..N), a list ``1,2,3``, a range ``1-20``, or lists of ranges."""

    text = str(text).strip()
    usage = f"--seeds must be a count (20), a list (1,2,3) or a range (1-20), got '{text[:40]}'"
    try:
        if "," in text or "-" in text[1:]:
            seeds = []
            for part in text.split(","):
                part = part.strip()
                if "-" in part[1:]:
                    a, b = (int(x) for x in part.split("-", 1))
                    if a > b:
                        raise InputError(f"--seeds range {part} runs backwards: give the low seed first ({b}-{a})")
                    if b - a + 1 > MAX_SEEDS:
                        raise InputError(f"--seeds {part} is {b - a + 1:,} seeds; a comparison takes at most {MAX_SEEDS:,} "
                                         "(use the workflow, snakemake, for more)")
                    seeds += list(range(a, b + 1))
                else:
                    seeds.append(int(part))
        else:
            n = int(text)
            if n < 1:
                raise InputError(f"--seeds {n}: a count of seeds must be at least 1")
            if n > MAX_SEEDS:
                raise InputError(f"--seeds {n:,}: a comparison takes at most {MAX_SEEDS:,} seeds "
                                 "(use the workflow, snakemake, for more)")
            seeds = list(range(1, n + 1))
    except ValueError:
        raise InputError(usage) from None
    if len(seeds) > MAX_SEEDS:
        raise InputError(f"--seeds gives {len(seeds):,} seeds; a comparison takes at most {MAX_SEEDS:,}")
    bad = [s for s in seeds if not 0 <= s <= MAX_SEED]
    if bad:
        raise InputError(f"--seeds: seed {bad[0]} is outside 0 to {MAX_SEED} (2^63 - 1)")
    if len(set(seeds)) != len(seeds):
        raise InputError(f"--seeds names a seed twice, got '{text[:40]}'")
    return seeds


def _jobs(jobs: int) -> int:

    if jobs < 0 or jobs > MAX_JOBS:
        raise InputError(f"--jobs must be from 1 to {MAX_JOBS} (0: one per CPU), got {jobs}")
    return jobs or max(1, os.cpu_count() or 1)


OUT_FILES = ("runs.csv", "summary.csv", "differences.png", "explanations.md", "comparison.json")


def _check_out_dir(out: Path) -> None:
    """``--out`` must be a folder that is new, empty or holds only an earlier comparison's files
    (it is replaced whole), under a parent that can be written."""

    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file: give a folder for the comparison's files")
    if out.is_dir():
        other = sorted(p.name for p in out.iterdir() if p.name not in OUT_FILES)
        if other:
            raise InputError(f"--out {out} holds other files ({', '.join(other[:3])}): give a new or empty folder")
    parent = out.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(f"--out {out}: cannot write under {parent}")


def _write_outputs(out: Path, runs, summary, names, explanations, doc) -> None:
    """Write the comparison's files into ``out``, whole or not at all: they are written into a
    folder beside it, which then takes its place."""
    import shutil
    import tempfile

    out = Path(out)
    _check_out_dir(out)
    out.absolute().parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.absolute().parent, prefix=f".{out.name}.", suffix=".tmp"))
    try:
        _write_files(tmp, runs, summary, names, explanations, doc)
        os.chmod(tmp, 0o755)
        if out.exists():
            old = Path(tempfile.mkdtemp(dir=out.absolute().parent, prefix=f".{out.name}.", suffix=".old"))
            old.rmdir()
            out.rename(old)
            tmp.rename(out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _write_files(out: Path, runs, summary, names, explanations, doc) -> None:
    import pandas as pd


    rows = []
    for r in runs:
        for key, _, _ in HEADLINE:
            rows.append({"scenario": r["scenario"], "seed": r["seed"], "metric": key, "value": r["metrics"][key]})
    per_run = pd.DataFrame(rows)
    table = pd.DataFrame([{"scenario": s, "metric": k, **v} for s in names for k, v in summary[s]["metrics"].items()])
    (out / "runs.csv").write_text(csv_text(per_run))
    (out / "summary.csv").write_text(csv_text(table))
    figure_differences(summary, names, out / "differences.png")
    md = [f"# Scenario comparison: {doc['region']}", "",
          f"- {len(doc['seeds'])} seeds, {doc['years']} years from 1 April {doc['start_year']}; {doc['code_version']}", ""]
    for s in names:
        if explanations[s]:
            md += [f"## {s}", ""] + [f"- {line}" for line in explanations[s]] + [""]
    (out / "explanations.md").write_text("\n".join(md))
    (out / "comparison.json").write_text(json.dumps(doc, indent=1, allow_nan=False))
