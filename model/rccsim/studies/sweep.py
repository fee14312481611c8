"""What a parameter sweep shows: Sobol indices and partial dependence of the headline metrics.

    rccsim sweep-analyse --plan results/studies/NAME/plan.json --out results/studies/NAME/sensitivity

Reads the sweep's runs from the results database (exactly the runs of its plan), averages each
design point over its seeds, and writes:

* ``indices.csv``: for a Sobol design, first-order and total Sobol indices (SALib) of each headline
  metric for each parameter, with their 95% bootstrap half-widths; for a Latin hypercube, Spearman
  rank correlations (a Latin hypercube does not give Sobol indices);
* ``partial_dependence.png``: each metric's mean in bins of each parameter (the other parameters
  varying over the design), with 95% intervals;
* ``sobol.png`` (Sobol designs) and ``summary.md`` (runs, runs per hour, the strongest effects).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from rccsim.base.errors import InputError
from rccsim.base.files import csv_text, write_text_atomic
from rccsim.io.store import read_study
from rccsim.studies.batch import read_plan

METRICS = [
    ("cost_total_gbp", "total cost (£m)", 1e-6),
    ("mean_distance_miles", "mean distance (miles)", 1.0),
    ("share_over_20_miles", "placed > 20 miles (%)", 100.0),
    ("moves_per_child_year", "moves per child-year", 1.0),
    ("share_3plus_placements", "3+ placements (%)", 100.0),
    ("children_in_care_end", "children in care (end)", 1.0),
]


def design_outputs(url: str, plan: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per design point: parameters and metrics averaged over seeds, the runs table)."""

    run_df, met, _ = read_study(url, plan)
    whole = met[(met.year == 0) & met.name.isin([k for k, *_ in METRICS])]
    wide = whole.pivot(index="run_id", columns="name", values="value")
    runs = run_df.set_index("run_id")[["sample", "seed", "wall_seconds", "started_at", "finished_at"]].join(wide)
    points = runs.groupby("sample")[[k for k, *_ in METRICS]].mean()
    names = plan["problem"]["names"]
    params = pd.DataFrame([s["parameters"] for s in run_df.sort_values("sample").drop_duplicates("sample").to_dict("records")],
                          index=sorted(run_df["sample"].unique()))[names]
    return params.join(points), runs


def indices(plan: dict, points: pd.DataFrame) -> pd.DataFrame:
    problem = {k: plan["problem"][k] for k in ("num_vars", "names", "bounds")}
    rows = []
    for key, _, _ in METRICS:
        y = points[key].to_numpy(dtype=float)
        if plan["design"] == "sobol":
            from SALib.analyze import sobol

            if np.std(y) == 0:
                res = {"S1": np.zeros(len(problem["names"])), "S1_conf": np.zeros(len(problem["names"])),
                       "ST": np.zeros(len(problem["names"])), "ST_conf": np.zeros(len(problem["names"]))}
            else:
                res = sobol.analyze(problem, y, calc_second_order=False, print_to_console=False, seed=1)
            for i, name in enumerate(problem["names"]):
                rows.append({"metric": key, "parameter": name, "method": "sobol", "index": "S1",
                             "value": float(res["S1"][i]), "conf95": float(res["S1_conf"][i])})
                rows.append({"metric": key, "parameter": name, "method": "sobol", "index": "ST",
                             "value": float(res["ST"][i]), "conf95": float(res["ST_conf"][i])})
        else:
            from scipy import stats

            for name in problem["names"]:
                rho = stats.spearmanr(points[name], y).statistic if np.std(y) > 0 else 0.0
                # 95% interval through Fisher's z (Bonett-Wright standard error for Spearman's rho),
                # reported as its larger half-width
                z = np.arctanh(np.clip(rho, -0.999999, 0.999999))
                se = np.sqrt((1 + rho**2 / 2) / max(len(y) - 3, 1))
                lo, hi = np.tanh(z - 1.96 * se), np.tanh(z + 1.96 * se)
                rows.append({"metric": key, "parameter": name, "method": "spearman", "index": "rho",
                             "value": float(rho), "conf95": float(max(rho - lo, hi - rho))})
    return pd.DataFrame(rows)


def fig_partial_dependence(points: pd.DataFrame, names: list[str], path: Path, bins: int = 8) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(METRICS), len(names), figsize=(2.6 * len(names) + 1.2, 2.0 * len(METRICS) + 0.8),
                             squeeze=False, sharex="col")
    for j, name in enumerate(names):
        x = points[name].to_numpy(dtype=float)
        k = max(2, min(bins, len(x) // 3))
        edges = np.unique(np.quantile(x, np.linspace(0, 1, k + 1)))
        which = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, len(edges) - 2)
        mids = np.array([x[which == b].mean() for b in range(len(edges) - 1)])
        for i, (key, label, scale) in enumerate(METRICS):
            ax = axes[i, j]
            y = points[key].to_numpy(dtype=float) * scale
            means = np.array([y[which == b].mean() for b in range(len(edges) - 1)])
            sds = np.array([y[which == b].std(ddof=1) if (which == b).sum() > 1 else 0.0 for b in range(len(edges) - 1)])
            ns = np.array([(which == b).sum() for b in range(len(edges) - 1)])
            ax.scatter(x, y, s=4, color="0.75", zorder=1)
            ax.errorbar(mids, means, yerr=1.96 * sds / np.sqrt(np.maximum(ns, 1)), fmt="o-", color="C0", ms=3, lw=1.2,
                        capsize=2, zorder=2)
            ax.tick_params(labelsize=7)
            ax.grid(alpha=0.3)
            if j == 0:
                ax.set_ylabel(label, fontsize=8)
            if i == len(METRICS) - 1:
                ax.set_xlabel(name, fontsize=8)
    fig.suptitle("Partial dependence: metric mean by bins of each parameter (others varying over the design); "
                 "grey: design points; bars: 95% intervals", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def fig_sobol(table: pd.DataFrame, names: list[str], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 3, figsize=(12, 7), sharey=True)
    for ax, (key, label, _) in zip(axes.ravel(), METRICS):
        sub = table[table.metric == key]
        y = np.arange(len(names))
        for off, idx, colour in ((-0.18, "S1", "C0"), (0.18, "ST", "C1")):
            t = sub[sub["index"] == idx].set_index("parameter").loc[names]
            ax.barh(y + off, t.value, height=0.34, xerr=t.conf95, color=colour, label=idx, capsize=2)
        ax.set_yticks(y, names, fontsize=8)
        ax.set_title(label, fontsize=9)
        ax.set_xlabel("Sobol index (share of variance)", fontsize=8)
        ax.tick_params(axis="x", labelsize=8)
        ax.axvline(0, color="0.5", lw=0.8)
    axes[0, 0].legend(fontsize=8)
    fig.suptitle("Sobol indices (S1 first order, ST total) with 95% intervals", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def cmd_sweep_analyse(args) -> int:

    plan = read_plan(args.plan)
    if plan.get("kind") != "sweep":
        raise InputError(f"study '{plan.get('study')}' is not a sweep: use rccsim report for a comparison")
    points, runs = design_outputs(args.url, plan)
    names = plan["problem"]["names"]
    table = indices(plan, points)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    fig_partial_dependence(points, names, out / "partial_dependence.png")
    if plan["design"] == "sobol":
        fig_sobol(table, names, out / "sobol.png")
    start = pd.to_datetime(runs.started_at).min()
    end = pd.to_datetime(runs.finished_at).max()
    hours = max((end - start).total_seconds() / 3600.0, 1e-9)
    strongest = []
    for key, label, _ in METRICS:
        sub = table[(table.metric == key) & (table["index"].isin(["ST", "rho"]))]
        top = sub.loc[sub.value.abs().idxmax()] if len(sub) else None
        if top is not None:
            strongest.append(f"- {label}: {top.parameter} ({top['index']} = {top.value:+.2f} ± {top.conf95:.2f})")
    md = [f"# Sweep {plan['study']}", "",
          f"- {plan['design']} design over {', '.join(names)}; {len(points)} design points x {len(plan['seeds'])} seed(s) "
          f"= {len(runs)} runs of {plan['region']}, {plan['years']} years from 1 April {plan['start_year']}",
          f"- runs from {start} to {end}: {len(runs) / hours:,.0f} runs per hour of wall time; "
          f"{runs.wall_seconds.mean():.1f} s per run on average",
          "", "Strongest effect on each metric:", *strongest, ""]
    (out / "summary.md").write_text("\n".join(md))
    write_text_atomic(out / "indices.csv", csv_text(table))
    print("\n".join(md))
    return 0
