"""``rccsim calibrate``: fit, then report target against simulated for every target.

Writes into the report folder (default ``results/calibration/``):

* ``fit.csv``: every target (fitted, held out, back-test) with the simulated mean, the range over
  seeds, the error and whether it lies within its tolerance; and the ten-year check (role
  ``decade``: England's indicators 1, 5 and 10 years after the last published year against their
  last published value, so that drift over a scenario's horizon shows; not counted as targets);
* ``fit.png``: the same as a figure, errors in units of each target's tolerance;
* ``fit.md``: the tables, the worst misfits named, and the commands that produced them;
* ``by_la.csv`` and ``by_la.png``: each LA's share of children placed outside its boundary against
  DfE's (LAs with 100+ children), in the fit region's last target year, when the targets include the
  per-LA ones (:mod:`rccsim.calibrate.by_la`);
* ``fitted.yaml``: the fitted values with the date, the targets used and the code version
  (``--install`` also copies it to ``calibration/fitted.yaml``, which makes it the default).
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from rccsim.base.errors import InputError
from rccsim.base.files import csv_text, write_text_atomic
from rccsim.base.version import code_version
from rccsim.calibrate import by_la
from rccsim.calibrate import fit as cal
from rccsim.calibrate import sensitivity as sa
from rccsim.inputs.geography import load_geography
from rccsim.inputs.params import ParamSet
from rccsim.studies.harness import RunSpec, run_one
from rccsim.studies.pool import worker_pool

VALIDATE_START = 2022
BACKTEST_START = 2020
DECADE_YEARS = 10
DECADE_METRICS = ("share_3plus_placements", "share_long_term_stable", "share_residential_end", "share_fostering_end",
                  "share_over_20_miles", "share_out_of_la", "children_in_care_end", "foster_households_end",
                  "children_homes_end", "provider_margin_home",
                  # issue 20: over 20 miles by placement type, still near DfE's after ten years
                  "share_over_20_miles_fostering", "share_over_20_miles_residential", "share_over_20_miles_supported")


def _say(quiet: bool):
    def emit(text: str) -> None:
        if not quiet:
            print(f"rccsim calibrate: {text}", file=sys.stderr, flush=True)

    return emit


def _rows_for(targets, params, seeds, start, say, label, jobs=1):
    """Simulate each geography's targets (years after ``start``) and compare."""
    rows = []
    by_geo: dict[str, list] = {}
    for t in targets:
        if t.year > start:
            by_geo.setdefault(t.geography, []).append(t)
    for geo, ts in by_geo.items():
        say(f"{label}: {geo}, from {start}, {len(seeds)} seed(s)")
        sim = cal.simulate_many(ts, [params], seeds, start, jobs=jobs)[0]
        rows += cal.compare(ts, sim)
    return rows


def _by_la_seed(job: tuple) -> dict:
    """Worker: one seed's per-LA metrics at the end of an England run."""
    params, seed, start, years = job
    return run_one(RunSpec(region="england", scenario="baseline", years=years, seed=int(seed), start_year=start,
                           params=params)).result.metrics["by_la"]


def _by_la(params, seeds, start, year, out: Path, say, jobs=1) -> list[str]:
    """Write ``by_la.csv`` and ``by_la.png`` (England from ``start`` to 31 March ``year``, each
    seed) and return the report's lines on them."""
    say(f"by LA: England from {start} to {year}, {len(seeds)} seed(s)")
    work = [(params, s, start, year - start) for s in seeds]
    if jobs <= 1 or len(work) <= 1:
        runs = [_by_la_seed(w) for w in work]
    else:
        with worker_pool(min(jobs, len(work))) as pool:
            runs = list(pool.map(_by_la_seed, work))
    table = by_la.outside_table(runs, year)
    write_text_atomic(out / "by_la.csv", csv_text(table))
    by_la.scatter(table, out / "by_la.png", f"rccsim, England from 31 March {start} to {year}, seeds {list(seeds)}; "
                                           f"DfE la_cla_on_31_march_by_characteristics {year}")
    s = by_la.outside_summary(table)
    lines = [f"- by LA (by_la.csv, by_la.png): {s['n_las']} LAs with {by_la.MIN_CHILDREN}+ children at 31 March {year}, "
             f"share placed outside the LA: rank correlation {s['la_outside_rank_correlation']:.2f}, median absolute error "
             f"{100 * s['la_outside_median_error']:.1f} points"]
    for kind, g in table.groupby("kind"):
        lines.append(f"  - {kind}: {len(g)} LAs, DfE mean {g.dfe_share_out.mean():.1%}, model {g.sim_share_out.mean():.1%} "
                     f"({g.error_pts.mean():+.1f} points)")
    worst = table.reindex(table.error_pts.abs().sort_values(ascending=False).index).head(5)
    lines.append("  - furthest off: " + "; ".join(f"{r.la_name} {r.error_pts:+.0f}" for r in worst.itertuples()))
    lines.append(f"  - of the children placed within each LA's boundary, the share who are other LAs' (held out): rank "
                 f"correlation {s['la_hosted_rank_correlation']:.2f}, median absolute error "
                 f"{100 * s['la_hosted_median_error']:.1f} points")
    return lines


def decade_targets(targets) -> tuple[int, list]:
    """The ten-year check: England from the latest published year, each indicator of
    ``DECADE_METRICS`` in run years 1, 5 and 10 against its last published value (its latest fit
    target). No published figure exists for those years: a miss here is drift away from today,
    which a scenario comparison over a decade would carry, not a failure to match a statistic."""
    years = [t.year for t in targets if t.role == "fit" and t.geography == "England"]
    if not years:  # a targets file without England's fit targets: no check
        return 0, []
    last = max(years)
    # each indicator's latest published value (children's homes and margins: 2023)
    base = {}
    for t in sorted((t for t in targets if t.role == "fit" and t.geography == "England"), key=lambda t: t.year):
        base[t.metric] = t
    out = []
    for metric in DECADE_METRICS:
        t = base.get(metric)
        if t is None:
            continue
        for k in (1, 5, DECADE_YEARS):
            out.append(cal.Target(f"{t.id}_plus{k}", metric, last + k, "England", t.value, t.unit, t.kind, "decade",
                                  f"no published figure: drift from {t.id} ({t.source})"))
    return last, out


def _figure(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = sorted(rows, key=lambda r: (r["role"], r["id"]))
    z = np.array([r["error"] / r["tolerance"] for r in rows])
    lo = np.array([(r["sim_lo"] - r["target"]) / r["tolerance"] for r in rows])
    hi = np.array([(r["sim_hi"] - r["target"]) / r["tolerance"] for r in rows])
    colours = {"fit": "#1f77b4", "validate": "#d62728", "backtest": "#2ca02c", "decade": "#9467bd"}
    fig, ax = plt.subplots(figsize=(8, 0.28 * len(rows) + 1.5))
    y = np.arange(len(rows))
    ax.axvspan(-1, 1, color="0.9", label="within tolerance")
    ax.axvline(0, color="0.4", lw=0.8)
    for role, colour in colours.items():
        m = np.array([r["role"] == role for r in rows])
        if m.any():
            ax.errorbar(z[m], y[m], xerr=[z[m] - lo[m], hi[m] - z[m]], fmt="o", color=colour, ms=4, capsize=2, label=role)
    ax.set_yticks(y, [f"{r['id']} ({r['geography'][:12]})" for r in rows], fontsize=7)
    ax.set_xlabel("simulated minus target, in tolerances (5% stocks/flows, 3 points shares, 10% prices)")
    ax.set_title("Calibration: simulated against published (mean and range over seeds;\n"
                 "decade: against the last published value, no figure exists for those years)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7)  # outside: never over a point
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)


def _markdown(rows: list[dict], header: list[str]) -> str:
    lines = header + [""]
    for role, title in (("fit", "Fitted targets"), ("validate", "Held out (never used to fit)"), ("backtest", "Back-test, year by year"),
                        ("decade", "Ten years on: drift from the last published year (no published figures; not counted)")):
        sel = [r for r in rows if r["role"] == role]
        if not sel:
            continue
        published = "last published value" if role == "decade" else "published"
        lines += [f"## {title}", "", f"| target | year | geography | {published} | simulated (range) | error | within |",
                  "|---|---|---|---|---|---|---|"]
        for r in sorted(sel, key=lambda r: (r["metric"], r["year"])):
            fmt = "{:,.3f}" if abs(r["target"]) < 2 else "{:,.0f}"
            rel = f"{100 * r['relative_error']:+.1f}%" if abs(r["target"]) >= 2 else f"{100 * r['error']:+.1f} pts"
            lines.append(
                f"| {r['metric']} | {r['year']} | {r['geography'][:20]} | {fmt.format(r['target'])} | "
                f"{fmt.format(r['simulated'])} ({fmt.format(r['sim_lo'])}-{fmt.format(r['sim_hi'])}) | {rel} | "
                f"{'yes' if r['within'] else '**no**'} |"
            )
        lines.append("")
    worst = sorted([r for r in rows if r["role"] != "decade"], key=lambda r: -abs(r["error"]) / r["tolerance"])[:5]
    lines += ["## Worst misfits", ""]
    lines += [f"- {r['id']} ({r['role']}): published {r['target']:,.3f}, simulated {r['simulated']:,.3f}, "
              f"{abs(r['error']) / r['tolerance']:.1f} tolerances off" for r in worst]
    return "\n".join(lines) + "\n"


def _sensitivity(args, spec, fit_targets, say, t0, version) -> int:

    trajectories = 2 if args.quick else 4
    points = trajectories * (len(spec.parameters) + 1)
    say(f"sensitivity: {len(spec.parameters)} parameters, {trajectories} Morris trajectories ({points} points), "
        f"{len(fit_targets)} targets ({spec.region} from {spec.start}, seeds {spec.seeds})")
    names, mu_star, sigma = sa.morris(fit_targets, spec, ParamSet.registry(), trajectories, progress=say,
                                      jobs=getattr(args, "jobs", 0) or os.cpu_count() or 1)
    header = [
        "# Sensitivity of the fit targets to the fitted parameters", "",
        f"- command: `rccsim calibrate --sensitivity{' --quick' if args.quick else ''} --region {spec.region}`",
        f"- code version: {version}; seeds {spec.seeds}; {spec.region} from 31 March {spec.start}; "
        f"Morris elementary effects, {trajectories} trajectories, 4 levels, parameters over their fit ranges "
        "(calibration/fit.yaml), registry first guesses elsewhere",
        "- mu*: mean absolute change in the target, in tolerances, when the parameter moves across its whole range",
    ]
    text = sa.report(names, fit_targets, mu_star, sigma, args.out, header)
    say(f"sensitivity report in {args.out}/sensitivity.md ({time.perf_counter() - t0:.0f}s)")
    print(text)
    return 0


def _installed_fit() -> dict:
    """The installed fit (calibration/fitted.yaml); an input error if there is none."""
    import yaml

    path = cal.data_dir().parent / "fitted.yaml"
    if not path.is_file():
        raise cal.InputError("--from-installed: no installed fit (calibration/fitted.yaml); run a full fit first")
    return yaml.safe_load(path.read_text())


def cmd_calibrate(args) -> int:
    import pandas as pd

    say = _say(args.quiet)
    t0 = time.perf_counter()
    if args.quick and args.install:
        raise InputError("--install with --quick would make a smoke-test fit the defaults: install a full "
                         "fit (rccsim calibrate --install) or refit part of the installed one (--from-installed)")
    spec = cal.FitSpec.load(args.spec, quick=args.quick)
    targets = cal.load_targets(args.targets)
    if getattr(args, "region", None):

        load_geography().resolve_region(args.region)  # an unknown region is an input error
        spec.region = args.region
    fit_targets = [t for t in targets if t.role == "fit" and t.year > spec.start
                   and t.geography.lower() == spec.region.lower()]
    if not fit_targets:
        geos = sorted({t.geography for t in targets if t.role == "fit"})
        raise cal.InputError(f"no fit targets for region '{spec.region}' after {spec.start} in the targets file "
                             f"(fit targets exist for: {', '.join(geos)})")
    version = code_version()
    jobs = getattr(args, "jobs", 0) or os.cpu_count() or 1
    out: Path = args.out
    base = ParamSet.defaults()
    if getattr(args, "from_installed", False) and (args.no_fit or getattr(args, "sensitivity", False)):
        raise cal.InputError("--from-installed refits parameters: it cannot go with --no-fit or --sensitivity")
    if getattr(args, "sensitivity", False):
        return _sensitivity(args, spec, fit_targets, say, t0, version)
    if args.no_fit:
        params, result = base, None
    else:
        say(f"fitting {len(spec.parameters)} parameters to {len(fit_targets)} targets ({spec.region} from {spec.start}, "
            f"seeds {spec.seeds}, {spec.design_points} points x {spec.refine_rounds + 1} rounds)")
        installed = _installed_fit() if getattr(args, "from_installed", False) else None
        if installed is not None:
            say(f"refitting on the installed fit of {installed.get('fitted_on')}: every other parameter at its installed value")
        base_fit = ParamSet.registry()
        if installed is not None:
            # every other parameter at its installed value; a list the spec scales is scaled from
            # the registry's list, as in a full fit (not from the installed, already scaled one)
            registry = ParamSet.registry()
            base_fit = ParamSet.defaults().updated({n: registry[n] for n in spec.parameters if isinstance(registry[n], list)})
        result = cal.fit(fit_targets, spec, base=base_fit, progress=say, jobs=jobs)
        params = result.params
    rows = _rows_for(fit_targets, params, spec.seeds, spec.start, say, "fit targets", jobs)
    held = [t for t in targets if t.role == "validate"]
    back = [t for t in targets if t.role == "backtest" or (t.role == "fit" and t.metric in
            ("children_in_care_end", "entries_per_year", "exits_per_year") and t.geography == "England")]
    if not args.quick:
        rows += _rows_for(held, params, spec.seeds, VALIDATE_START, say, "held-out validation", jobs)
        back_rows = _rows_for(back, params, spec.seeds, BACKTEST_START, say, "back-test", jobs)
        for r in back_rows:
            r["role"] = "backtest"
        rows += back_rows
        last, decade = decade_targets(targets)
        if decade:
            rows += _rows_for(decade, params, spec.seeds, last, say, f"ten years on from {last}", jobs)
    out.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame(rows)

    write_text_atomic(out / "fit.csv", csv_text(frame))
    _figure(rows, out / "fit.png")
    header = [
        "# Calibration report", "",
        f"- command: `rccsim calibrate{' --quick' if args.quick else ''}{' --no-fit' if args.no_fit else ''}"
        f"{' --from-installed' if getattr(args, 'from_installed', False) else ''}{f' --spec {args.spec}' if args.spec else ''}`",
        f"- code version: {version}; seeds {spec.seeds}; fit region {spec.region} from 31 March {spec.start}",
        f"- parameter hash of the reported model: {params.digest()}",
    ]
    if result is not None:
        header += [f"- fit: {len(result.history)} evaluations, loss {result.best_loss:.3f} (mean squared error in tolerances)"]
        header += [f"  - {n} = {params[n]}" for n in result.names]
        cal.write_fitted(result, fit_targets, spec, out / "fitted.yaml", version, on=installed)
        if args.install:
            shutil.copyfile(out / "fitted.yaml", cal.data_dir().parent / "fitted.yaml")
            header.append("- installed as calibration/fitted.yaml (the new defaults)")
    if args.quick:
        header.append("- quick mode: a smoke test of the fitting machinery (a few points, one seed, one year), not the "
                      "model's fit: held-out validation, back-test and ten-year check skipped; the installed fit's report "
                      "is calibration/fit_report.csv (run without --quick to reproduce it)")
    counted = [r for r in rows if r["role"] != "decade"]
    within = sum(r["within"] for r in counted)
    header.append(f"- {within} of {len(counted)} targets within tolerance")
    dec = [r for r in rows if r["role"] == "decade"]
    if dec:
        end = max(x["year"] for x in dec)
        drift = [r for r in dec if r["year"] == end and not r["within"]]
        early = sorted({r["metric"] for r in dec if r["year"] < end and not r["within"]} - {r["metric"] for r in drift})
        header.append(f"- ten years on (England, no published figures): in {end}, {len(drift)} of {len({r['metric'] for r in dec})} "
                      f"indicators lie beyond their tolerance of the last published value"
                      + (f" ({', '.join(r['metric'] for r in drift)})" if drift else "")
                      + (f"; earlier in the decade also {', '.join(early)}" if early else ""))
    la_targets = [t for t in fit_targets if t.metric in cal.LA_METRICS]
    if la_targets:
        header += _by_la(params, spec.seeds, spec.start, max(t.year for t in la_targets), out, say, jobs)
    (out / "fit.md").write_text(_markdown(rows, header))
    say(f"{within} of {len(counted)} targets within tolerance; report in {out}/fit.md ({time.perf_counter() - t0:.0f}s)")
    print((out / "fit.md").read_text())
    return 0
