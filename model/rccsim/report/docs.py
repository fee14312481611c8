"""The documentation pages made from results: ``rccsim docs``.

Two pages of the manual are generated, never typed by hand, so that a figure in them is always
the output it claims to be:

* ``docs/validation.md`` from the calibration report (``calibration/fit_report.csv``, written by
  ``rccsim calibrate``; the installed fit is ``calibration/fitted.yaml``): every target, published
  against simulated, by role (fitted, held out, back-test, ten years on);
* ``docs/performance.md`` from the benchmark output (``benchmarks/results/latest.json``, written
  by ``python benchmarks/run_benchmarks.py``): wall time and peak memory of whole runs;
* ``docs/lever_results.md`` from the comparisons in ``experiments/lever_results/`` (``rccsim compare
  --json`` output, one file per region): what each bundled lever does, with the interval over seeds
  and the range across drawn assumptions, and who had the RCC's beds.

Each page is stamped with the date it was made, the code version that made it, and the date and
code version of the results it reads.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

import pandas as pd

from rccsim.base.errors import InputError
from rccsim.base.files import write_text_atomic
from rccsim.base.paths import calibration_dir, checkout_root
from rccsim.base.version import code_version
from rccsim.inputs.params import ParamSet
from rccsim.sim.formats import difference, drawn_difference
from rccsim.sim.scenario import bundled_scenarios, load_scenario

ROLES = (
    ("fit", "Fitted targets", "The figures the unknown parameters were fitted to."),
    ("validate", "Held out", "Published figures never used in the fit: the test of what the model was not fitted to."),
    ("backtest", "Back-test", "Runs from an earlier start year, against what was published for the years after."),
    ("decade", "Ten years on", "England from the last published year, 1, 5 and 10 years on, against the last published "
               "value (no published figure exists yet): how far the baseline drifts over a comparison's horizon."),
)


def _last_change(path: Path) -> str:
    """The date and commit of the last change to ``path`` (git), or its file date."""
    root = checkout_root()
    if root is not None:
        out = subprocess.run(["git", "-C", str(root), "log", "-1", "--format=%cs, commit %h", "--", str(path)],
                             capture_output=True, text=True, timeout=10)
        if out.returncode == 0 and out.stdout.strip():
            return out.stdout.strip()
    return dt.date.fromtimestamp(path.stat().st_mtime).isoformat()


def _fmt(v: float, metric: str) -> str:
    if metric.startswith("share_") or metric.startswith("provider_margin"):
        return f"{100 * v:.1f}%"
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.2f}"


def validation_page() -> str:
    table = calibration_dir() / "fit_report.csv"
    if not table.is_file():
        raise InputError(f"{table} not found: run rccsim calibrate --no-fit and copy its fit.csv there")
    fr = pd.read_csv(table)
    lines = ["# Validation: how close the model is to published figures", "",
             f"*Generated on {dt.date.today().isoformat()} by `rccsim docs` ({code_version()}) from "
             f"`calibration/fit_report.csv` (last changed {_last_change(table)}). Do not edit: run `rccsim docs`.*", ""]
    fitted = calibration_dir() / "fitted.yaml"
    if fitted.is_file():
        import yaml

        f = yaml.safe_load(fitted.read_text()) or {}
        lines += [f"The installed fit (`calibration/fitted.yaml`) was made on {f.get('fitted_on')} "
                  f"({f.get('region')} from 31 March {f.get('start')}, seeds {f.get('seeds')}, loss {f.get('loss')}, "
                  f"{f.get('code_version')})" + (f"; refitted: {', '.join(f['refitted'])}" if f.get("refitted") else "") + ".", ""]
    counted = fr[fr.role != "decade"]
    lines += [f"**{int(counted.within.sum())} of {len(counted)} published figures within tolerance** "
              f"({int(fr[fr.role == 'fit'].within.sum())} of {int((fr.role == 'fit').sum())} fitted). A figure is within "
              "tolerance when the mean over seeds lies within the tolerance of the published value; the range is over seeds.", ""]
    for role, title, what in ROLES:
        sub = fr[fr.role == role]
        if sub.empty:
            continue
        lines += [f"## {title}", "", what, "",
                  f"{int(sub.within.sum())} of {len(sub)} within tolerance.", "",
                  "| target | year | geography | published | simulated (range over seeds) | error | tolerance | within |",
                  "|---|---|---|---|---|---|---|---|"]
        for r in sub.itertuples():
            rel = r.metric.startswith("share_") or r.metric.startswith("provider_margin")
            err = f"{100 * r.error:+.1f} points" if rel else f"{100 * r.relative_error:+.1f}%"
            tol = f"{100 * r.tolerance:.1f} points" if rel else f"{r.tolerance:,.0f}"
            lines.append(f"| {r.metric} | {r.year} | {r.geography} | {_fmt(r.target, r.metric)} | "
                         f"{_fmt(r.simulated, r.metric)} ({_fmt(r.sim_lo, r.metric)} to {_fmt(r.sim_hi, r.metric)}) | "
                         f"{err} | {tol} | {'yes' if r.within else '**no**'} |")
        lines += [""]
    lines += ["## Sources", "", "Each target's publication, table and year:", ""]
    for r in fr.drop_duplicates("source").itertuples():
        lines.append(f"- {r.source}")
    return "\n".join(lines) + "\n"


def performance_page(results: Path) -> str:
    if not results.is_file():
        raise InputError(f"{results} not found: run python benchmarks/run_benchmarks.py first")
    doc = json.loads(results.read_text())
    recs = pd.DataFrame(doc["records"])
    lines = ["# Performance: time and memory of whole runs", "",
             f"*Generated on {dt.date.today().isoformat()} by `rccsim docs` ({code_version()}) from "
             f"`{results.relative_to(checkout_root()) if checkout_root() else results}`, measured on {doc['date']} "
             f"({doc['code_version']}; {doc['machine']}). Do not edit: run `python benchmarks/run_benchmarks.py` and then "
             "`rccsim docs`.*", "",
             "Each case runs in a process of its own; the figures are medians over repeats.", "",
             "| case | runs | import s | build s | simulate s | wall s | peak memory MB | children |",
             "|---|---|---|---|---|---|---|---|"]
    for case, g in recs.groupby("case", sort=False):
        med = g.median(numeric_only=True)
        lines.append(f"| {case} | {len(g)} | {med.import_s:.2f} | {med.build_s:.2f} | {med.run_s:.2f} | {med.wall_s:.2f} | "
                     f"{med.peak_rss_mb:,.0f} | {med.children:,.0f} |")
    for key, title in (("startup", "Start-up"), ("extra", "Other measurements")):
        if doc.get(key):
            lines += ["", f"## {title}", ""] + [f"- {k}: {v}" for k, v in doc[key].items()]
    return "\n".join(lines) + "\n"


def _shown(path: Path, root: Path | None) -> str:
    """``path`` relative to the checkout where it lies inside it."""
    try:
        return str(path.resolve().relative_to(root.resolve())) if root else str(path)
    except ValueError:
        return str(path)


LEVER_METRICS = (
    ("cost_total_gbp", "Total cost, whole run", "money"),
    ("share_residential_over_20_miles", "Children in homes more than 20 miles away", "share"),
    ("children_unregistered_4w", "Children 4+ weeks in unregistered settings, a year", "count"),
    ("share_over_20_miles", "All children placed more than 20 miles away", "share"),
    ("share_3plus_placements", "3+ placements in a year", "share"),
)


def _settings_changed(name: str, stored: str | None) -> str:
    """A note when a comparison ran a bundled scenario whose settings have changed since (its
    stored scenario hash differs from the bundled file's now); empty otherwise, or when the
    comparison predates stored hashes (before 2026-12-03) or ran a scenario file of its own."""
    if stored is None or name not in bundled_scenarios():
        return ""
    now = load_scenario(name).digest()
    if now == stored:
        return ""
    return (f" (run with earlier settings of `{name}`: scenario {stored}; the bundled file is now {now}. "
            "Rerun this comparison to show today's settings)")


def _parameters_changed(doc: dict) -> str:
    """A warning when a comparison's baseline ran with other parameters than the installed ones
    (its stored parameter hash differs): the model it describes is not today's."""
    stored = doc["scenarios"].get("baseline", {}).get("parameter_hash")
    now = ParamSet.defaults().digest()
    if stored is None or stored == now:
        return ""
    return (f" **Run with earlier installed parameters** (parameters {stored}; installed now {now}): the baseline "
            "has changed since, so these differences describe an earlier model. Rerun this comparison to show today's.")


def lever_results_page(folder: Path) -> str:
    """The page of what each bundled lever does, from the comparisons saved in ``folder``."""
    files = sorted(folder.glob("*.json")) if folder.is_dir() else []
    if not files:
        raise InputError(f"no comparisons in {folder}: run rccsim compare --json there first (see its README)")
    root = checkout_root()
    lines = ["# What the levers do: bundled scenarios compared with the baseline", "",
             f"*Generated on {dt.date.today().isoformat()} by `rccsim docs` ({code_version()}) from the comparisons in "
             f"`{_shown(folder, root)}`. Do not edit: rerun the comparisons and `rccsim docs`.*", "",
             "Each cell is the difference from the baseline: first the mean over seeds with its 95% interval, at the "
             "installed parameters (seed noise only); then, under *drawn*, the mean and the middle 95% of the seeds' "
             "differences when each seed also draws the assumptions of `calibration/uncertainty.yaml`. Where the "
             "drawn range is much wider than the interval, the result rests on those assumptions more than on chance.",
             ""]
    for path in files:
        doc = json.loads(path.read_text())
        seeds = doc["seeds"]
        drawn_note = "" if doc.get("assumptions") else ", seed noise only"
        options = ", ".join(name for name in doc["scenarios"] if name != "baseline")
        lines += [f"## {doc['region']} ({len(seeds)} seeds{drawn_note}): {options}", "",
                  f"{len(seeds)} seeds, {doc['years']} years from 1 April {doc['start_year']}; {doc['code_version']}; "
                  f"`{path.name}`, last changed {_last_change(path)}.{_parameters_changed(doc)}", ""]
        heads = " | ".join(label for _, label, _ in LEVER_METRICS)
        lines += [f"| option | {heads} |", "|---|" + "---|" * len(LEVER_METRICS)]
        for name, sc in doc["scenarios"].items():
            if name == "baseline":
                continue
            cells = []
            for key, _, kind in LEVER_METRICS:
                m = sc["metrics"][key]
                cell = difference(m, kind)
                if (drawn := drawn_difference(m, kind)) is not None:
                    cell += f"<br>drawn: {drawn}"
                cells.append(cell)
            lines.append(f"| {name}{_settings_changed(name, sc.get('scenario_hash'))} | " + " | ".join(cells) + " |")
        lines += ["", "Why each option differs (from the runs' records):", ""]
        for name, sc in doc["scenarios"].items():
            if sc.get("explanation"):
                lines += [f"### {name}", ""] + [f"- {line}" for line in sc["explanation"]] + [""]
    return "\n".join(lines) + "\n"


def cmd_docs(args) -> int:
    root = checkout_root()
    if root is None:
        raise InputError("rccsim docs writes the manual's generated pages in a checkout of the repository")
    out = Path(args.out) if args.out else root / "docs"
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "validation.md", validation_page())
    bench = Path(args.benchmarks) if args.benchmarks else root / "benchmarks" / "results" / "latest.json"
    write_text_atomic(out / "performance.md", performance_page(bench))
    write_text_atomic(out / "lever_results.md", lever_results_page(root / "experiments" / "lever_results"))
    print(f"rccsim docs: wrote {out / 'validation.md'}, {out / 'performance.md'} and {out / 'lever_results.md'}")
    return 0
