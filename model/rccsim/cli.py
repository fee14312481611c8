"""The ``rccsim`` command.

    rccsim run --region GM --scenario baseline --years 10 --seed 1 [--json] [--start 2024] [--out FILE]

Bad input (an unknown region or LA, an unknown scenario key, an impossible parameter, negative
years) prints one line naming the problem and exits with code 2; nothing is written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from types import SimpleNamespace

from rccsim.base.errors import InputError, check_seed
from rccsim.io.store import DEFAULT_URL

EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line and exit code 2."""

    def error(self, message: str):  # noqa: D401
        raise InputError(message)


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="rccsim", description="Simulate the regional market for children's care placements in England.")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    run = sub.add_parser("run", help="run one scenario for one region", description="Run one scenario for one region and print its metrics.")
    run.add_argument("--region", default="GM", help="GM, SE (the pathfinders' regions), 'SE members' or 'GM members' (the co-operatives' LAs), england, a region name (e.g. 'North West') or comma-separated LA codes; any of these then 'in england' (e.g. 'GM in england') simulates all of England and reports those LAs (default GM)")
    run.add_argument("--scenario", default="baseline", help="a bundled scenario name or the path of a scenario YAML file (default baseline)")
    run.add_argument("--years", type=_int, default=10, help="horizon in years, 1-50 (default 10)")
    run.add_argument("--seed", type=_int, default=1, help="random seed, a whole number from 0 to 2^63 - 1 (default 1)")
    run.add_argument("--start", type=_int, default=2024, help="start from the published state at 31 March of this year, 2020-2024 (default 2024)")
    run.add_argument("--json", action="store_true", help="print one JSON object instead of the summary table")
    run.add_argument("--out", type=Path, help="also write the JSON result to this file")
    run.add_argument("--quiet", action="store_true", help="no progress on stderr")
    run.add_argument("--ssda903", type=Path, metavar="DIR", help="start the LAs whose SSDA903 returns are in DIR "
                     "(CSVs named *header* and *episodes*) from their own children open at 31 March of --start")
    run.add_argument("--la", help="the LA of the return when its files have no LA column (ONS code or name)")
    run.add_argument("--lenient", action="store_true", help="drop bad rows of the return (counted) instead of stopping")
    run.add_argument("--estimate-rates", action="store_true", help="with --ssda903: the return's LAs enter and leave care "
                     "at rates estimated from their episodes (last 3 years before the start) instead of the published "
                     "starts and national exit hazards")
    run.add_argument("--write-ssda903", type=Path, metavar="DIR", help="also write the run's children as SSDA903 "
                     "Header and Episodes files (DfE format, current codes) into DIR")
    run.add_argument("--sufficiency", type=Path, metavar="CSV", help="also write the area's sufficiency statement "
                     "(need against supply at each 31 March, by placement kind and need level) to this CSV file")
    cmp_ = sub.add_parser(
        "compare", help="run scenarios on the same seeds and report differences from baseline with 95%% intervals",
        description="Run every scenario on the same seeds (common random numbers) and print, for each scenario, each "
                    "headline metric's mean and its difference from baseline with a 95% interval over seeds, and why "
                    "it differs (from the runs' records). Each seed also runs every scenario under assumptions drawn "
                    "from calibration/uncertainty.yaml (twice the runs), to show how far each result moves across "
                    "what we do not know, and which assumptions move it.",
    )
    cmp_.add_argument("--region", default="GM", help="as for run (default GM)")
    cmp_.add_argument("--scenarios", default="baseline", help="comma-separated scenario names or YAML paths; baseline is added if absent")
    cmp_.add_argument("--seeds", default="20", help="how many seeds (20 = seeds 1-20), or a list 1,2,3 or a range 1-20 (default 20)")
    cmp_.add_argument("--years", type=_int, default=10, help="horizon in years (default 10)")
    cmp_.add_argument("--start", type=_int, default=2024, help="start year, as for run (default 2024)")
    cmp_.add_argument("--jobs", type=_int, default=0, help="processes to run in parallel, 1-256 (default 0: one per CPU)")
    cmp_.add_argument("--json", action="store_true", help="print the comparison as one JSON object")
    cmp_.add_argument("--out", type=Path, help="also write runs.csv, summary.csv, differences.png, explanations.md, comparison.json here")
    cmp_.add_argument("--quiet", action="store_true", help="no progress on stderr")
    cmp_.add_argument("--seed-only", action="store_true",
                      help="skip the runs under drawn assumptions: intervals then cover seed noise only (half the runs)")
    cal = sub.add_parser(
        "calibrate", help="fit the unknown parameters to published targets and report the fit",
        description="Fit the parameters of calibration/fit.yaml to the published targets of calibration/targets.csv "
                    "(method of simulated moments), then report the fit, the held-out validation and the back-test.",
    )
    cal.add_argument("--region", help="fit to the targets of this geography: england (default, from the fit "
                     "specification) or a region with fit targets of its own in the targets file, e.g. SE")
    cal.add_argument("--quick", action="store_true", help="a small fit that finishes in minutes (CI, first use)")
    cal.add_argument("--sensitivity", action="store_true", help="instead of fitting, show which fit targets each "
                     "fitted parameter moves (Morris screening, SALib): sensitivity.csv/.md/.png")
    cal.add_argument("--spec", type=Path, help="fit specification (default calibration/fit.yaml)")
    cal.add_argument("--targets", type=Path, help="targets file (default calibration/targets.csv)")
    cal.add_argument("--out", type=Path, default=Path("results/calibration"), help="report folder (default results/calibration)")
    cal.add_argument("--install", action="store_true", help="make the fitted values the defaults (write calibration/fitted.yaml)")
    cal.add_argument("--no-fit", action="store_true", help="report the current defaults against the targets without fitting")
    cal.add_argument("--from-installed", action="store_true", help="refit only the spec's parameters, every other "
                     "parameter at the installed fit's value (calibration/fitted.yaml); the written file keeps those "
                     "values and says which were refitted")
    cal.add_argument("--jobs", type=_int, default=0, help="processes to run in parallel (default: one per CPU); "
                     "the fit does not depend on it")
    cal.add_argument("--quiet", action="store_true", help="no progress on stderr")

    # the experiment workflow's steps (the Snakefile calls these; they can be run by hand)
    bat = sub.add_parser("batch", help="run one chunk of a workflow plan (several runs, one output file)",
                         description="Run the runs of one chunk of a plan (results/studies/STUDY/plan.json) and write "
                                     "them as JSON lines; a killed chunk resumes from the runs it finished.")
    bat.add_argument("plan", type=Path, nargs="?", help="plan file written by the workflow (or give --specs)")
    bat.add_argument("--chunk", default="", help="chunk id in the plan, e.g. c003")
    bat.add_argument("--specs", help="the chunk's runs, encoded by the workflow (instead of PLAN and --chunk)")
    bat.add_argument("--specs-file", type=Path, help="a file of the chunk's runs, written by the workflow (instead of PLAN and --chunk)")
    bat.add_argument("--out", type=Path, required=True, help="chunk file to write (JSON lines)")
    bat.add_argument("--quiet", action="store_true", help="no progress on stderr")
    db = sub.add_parser("db", help="the results database: load chunk files, show what it holds",
                        description="Load chunk files into the results database (each run once), or list its studies.")
    db_sub = db.add_subparsers(dest="db_command", parser_class=_Parser)
    load = db_sub.add_parser("load", help="load chunk files (JSON lines) into the database")
    load.add_argument("chunks", type=Path, nargs="*", help="chunk files")
    load.add_argument("--url", default=DEFAULT_URL, help=f"SQLAlchemy URL (default {DEFAULT_URL})")
    load.add_argument("--out", type=Path, help="write a summary of what was loaded here (JSON)")
    status = db_sub.add_parser("status", help="runs per study in the database")
    status.add_argument("--url", default=DEFAULT_URL, help=f"SQLAlchemy URL (default {DEFAULT_URL})")
    prog = sub.add_parser("progress", help="runs finished in each study of the workflow, with the pace and an ETA",
                          description="How far the workflow's studies are: runs finished (from the chunk files), "
                                      "runs per hour, minutes to go. Safe to run while the workflow runs.")
    prog.add_argument("--results", type=Path, default=Path("results"), help="the workflow's results folder (default results)")
    rep = sub.add_parser("report", help="write the board-ready HTML report of a comparison from the database",
                         description="Write one self-contained, printable HTML report of a scenario comparison "
                                     "(figures embedded) from the runs stored in the results database.")
    rep.add_argument("--plan", type=Path, required=True, help="the comparison's plan (results/studies/STUDY/plan.json)")
    rep.add_argument("--url", default=DEFAULT_URL, help=f"SQLAlchemy URL (default {DEFAULT_URL})")
    rep.add_argument("--out", type=Path, default=Path("results/report.html"), help="HTML file to write (default results/report.html)")
    rep.add_argument("--pdf", type=Path, metavar="FILE", help="also write the board-paper report as an A4 PDF here")
    dash_ = sub.add_parser("dashboard", help="open the dashboard: choose levers, run, compare, export (a local web app)",
                           description="Start the dashboard on this machine (http://127.0.0.1:PORT) and open it in a "
                                       "browser: choose a region and levers, run a comparison in the background, see the "
                                       "headline table, time series, a map and the by-LA table, export CSV, PNG, the "
                                       "scenario as YAML and the board report as PDF.")
    dash_.add_argument("--port", type=_int, default=8050, help="port to listen on (default 8050)")
    dash_.add_argument("--no-browser", action="store_true", help="do not open a browser")
    dash_.add_argument("--url", default=DEFAULT_URL, help=f"results database with stored studies (default {DEFAULT_URL})")
    dash_.add_argument("--processes", type=_int, default=0, help="worker processes for runs (default: one per CPU)")
    swa = sub.add_parser("sweep-analyse", help="Sobol indices and partial dependence of a sweep, from the database")
    swa.add_argument("--plan", type=Path, required=True, help="the sweep's plan (results/studies/STUDY/plan.json)")
    swa.add_argument("--url", default=DEFAULT_URL, help=f"SQLAlchemy URL (default {DEFAULT_URL})")
    swa.add_argument("--out", type=Path, required=True, help="folder for indices.csv and figures")
    doc = sub.add_parser("docs", help="write the manual's generated pages (validation, performance, lever results) from the results",
                         description="Write docs/validation.md from the calibration report (calibration/fit_report.csv), "
                                     "docs/performance.md from the benchmark output (benchmarks/results/latest.json) and "
                                     "docs/lever_results.md from the comparisons in experiments/lever_results/, each "
                                     "stamped with its date and code version.")
    doc.add_argument("--out", type=Path, help="folder to write into (default docs/ of the checkout)")
    doc.add_argument("--benchmarks", type=Path, help="benchmark output (default benchmarks/results/latest.json)")
    return parser


def _write_atomic(path: Path, text: str) -> None:
    from rccsim.base.files import write_text_atomic

    write_text_atomic(path, text)


def _check_out(out: Path, folder: bool, flag: str = "--out") -> None:
    """--out before anything runs: a file to write (not a folder), or a folder (not a file), and no
    file where a folder of its path should be."""
    out = Path(out)
    if folder and out.exists() and not out.is_dir():
        raise InputError(f"{flag} {out} is a file: give a folder to write into")
    if not folder and out.is_dir():
        raise InputError(f"{flag} {out} is a folder: give the name of a file to write")
    parent = next((p for p in out.parents if p.exists() or p.is_symlink()), None)
    if parent is not None and not parent.is_dir():
        raise InputError(f"{flag} {out}: {parent} is a file, not a folder")


def cmd_db(args) -> int:
    import json

    from rccsim.io import store

    if args.db_command == "load":
        if not args.chunks:
            raise InputError("rccsim db load needs chunk files (results/studies/STUDY/chunks/*.jsonl)")
        for p in args.chunks:
            if not p.is_file():
                raise InputError(f"chunk file not found: {p}")

        def progress(i, n, added, skipped):
            print(f"  read {i}/{n} chunk files ({added} runs to add, {skipped} already there)", file=sys.stderr, flush=True)

        summary = store.load_chunks(args.url, args.chunks, progress)
        if args.out:
            _write_atomic(args.out, json.dumps(summary, indent=1) + "\n")
        print(f"rccsim db load: {summary['added']} runs added, {summary['already_loaded']} already there, "
              f"from {summary['chunks']} chunk files", file=sys.stderr)
        return 0
    if args.db_command == "status":
        for line in store.status(args.url):
            print(line)
        return 0
    raise InputError("rccsim db needs a command: load or status")


def cmd_run(args) -> int:
    from rccsim.studies.harness import RunSpec, run_one

    if not 1 <= args.years <= 50:
        raise InputError(f"--years must be a whole number from 1 to 50, got {args.years}")
    check_seed(args.seed)
    start_population = rates = None
    if args.ssda903 is not None:
        start_population, rates = _read_return(args)
    elif args.la or args.lenient or args.estimate_rates:
        raise InputError("--la, --lenient and --estimate-rates go with --ssda903 DIR")
    spec = RunSpec(region=args.region, scenario=args.scenario, years=args.years, seed=args.seed, start_year=args.start,
                   start_population=start_population, rates=rates, verbose=not args.quiet)

    def built(model) -> None:
        if not args.quiet:
            c = model.children
            print(
                f"rccsim: {model.region.label}, {len(model.region.reported)} LAs"
                f"{'' if model.region.focus is None else f' ({len(model.region.la_index)} simulated)'}, "
                f"{int((c.in_care[: c.n] & model.world.reported[c.la[: c.n]]).sum()):,} children in care at {model.start_year}-03-31; "
                f"scenario {model.scenario.name}, seed {model.seed}, {model.years} years",
                file=sys.stderr, flush=True,
            )

    run = run_one(spec, on_built=built, keep_model=args.write_ssda903 is not None or args.sufficiency is not None)
    result = run.result
    text = result.to_json()
    if args.write_ssda903 is not None:
        from rccsim.io import ssda903

        ssda903.write(run.model, args.write_ssda903)
    if args.sufficiency is not None:
        from rccsim.base.files import csv_text
        from rccsim.outputs.sufficiency import statement

        # a run started from a return simulates from real children: counts of 1 to 4 are withheld
        table = statement(run.model, small_counts="hide" if args.ssda903 is not None else "show")
        _write_atomic(args.sufficiency, csv_text(table))
    if args.out:
        _write_atomic(args.out, text + "\n")
    print(text if args.json else result.summary_table())
    for warning in result.provenance.get("warnings", []):
        print(f"rccsim: warning: {warning}", file=sys.stderr)
    if not args.quiet:
        print(f"rccsim: done in {run.seconds:.1f}s", file=sys.stderr)
    return 0


def _read_return(args):
    """The children of the return open at the start date (31 March of --start), checked."""
    import datetime as dt

    from rccsim.inputs.published import check_start_year
    from rccsim.io import ssda903

    year = check_start_year(args.start)
    ret = ssda903.read(args.ssda903, la=args.la, lenient=args.lenient)
    pop, warnings = ssda903.population_at(ret, dt.date(year, 3, 31))
    if not args.quiet:
        if ret.dropped:
            dropped = "; ".join(f"{k}: {v}" for k, v in ret.dropped.items())
            print(f"rccsim: --lenient dropped rows of the return ({dropped})", file=sys.stderr)
        for line in ret.warnings + warnings:
            print(f"rccsim: {line}", file=sys.stderr)
    if pop.empty:
        raise InputError(f"--ssda903: no child in the return is looked after on 31 March {year} (try --start)")
    rates = None
    if args.estimate_rates:
        from rccsim.core.children import hazard_table
        from rccsim.inputs.params import resolve_parameters
        from rccsim.sim.scenario import load_scenario

        table = hazard_table(SimpleNamespace(p=resolve_parameters(load_scenario(args.scenario))))
        rates = ssda903.estimate_rates(ret, dt.date(year, 3, 31), table)
        if not args.quiet:
            for code, r in rates.summary.items():
                mult = ", ".join(f"{x:.2f}" for x in r["exit_multiplier_by_age_band"])
                print(f"rccsim: {code} from its return ({r['window']}): {r['starts_per_year']:,.0f} starts a year; "
                      f"{r['ceases_before_18']:,} ceases before 18 against {r['expected_ceases']:,.0f} at national hazards; "
                      f"exit hazards x [{mult}] by age band (<1, 1-4, 5-9, 10-15, 16-17)", file=sys.stderr)
    return pop, rates


def main(argv: list[str] | None = None) -> int:
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return EXIT_BAD_INPUT
        out = getattr(args, "out", None)
        if out is not None:  # before anything runs: a run, a fit or a load is never wasted on a bad --out
            _check_out(out, folder=args.command in ("compare", "calibrate", "sweep-analyse", "docs"))
        if getattr(args, "sufficiency", None) is not None:
            _check_out(args.sufficiency, folder=False, flag="--sufficiency")
        if args.command in ("run", "compare", "calibrate", "batch"):
            from rccsim.base.version import code_version

            # the code's version as the command starts (cached for the process and the workers it
            # forks): an edit to the checkout during a long comparison does not relabel its results
            code_version()
        if args.command == "run":
            return cmd_run(args)
        if args.command == "compare":
            from rccsim.studies.compare import cmd_compare

            return cmd_compare(args)
        if args.command == "calibrate":
            from rccsim.calibrate.report import cmd_calibrate

            return cmd_calibrate(args)
        if args.command == "batch":
            from rccsim.studies.batch import run_chunk

            if args.specs_file:
                from rccsim.studies.batch import read_specs_file

                return run_chunk(None, args.chunk, args.out, quiet=args.quiet, specs=read_specs_file(args.specs_file))
            if args.specs:
                from rccsim.studies.batch import decode_specs

                return run_chunk(None, args.chunk, args.out, quiet=args.quiet, specs=decode_specs(args.specs))
            if args.plan is None or not args.chunk:
                raise InputError("rccsim batch needs PLAN and --chunk, or --specs")
            return run_chunk(args.plan, args.chunk, args.out, quiet=args.quiet)
        if args.command == "progress":
            from rccsim.studies.batch import progress_lines

            print("\n".join(progress_lines(args.results)))
            return 0
        if args.command == "db":
            return cmd_db(args)
        if args.command == "report":
            from rccsim.report.command import cmd_report

            return cmd_report(args)
        if args.command == "dashboard":
            from rccsim.dashboard.serve import (
                serve,  # deferred: Dash is heavy, and only this command needs it
            )

            return serve(args.port, not args.no_browser, args.url, args.processes or None)
        if args.command == "docs":
            from rccsim.report.docs import cmd_docs

            return cmd_docs(args)
        if args.command == "sweep-analyse":
            from rccsim.studies.sweep import cmd_sweep_analyse

            return cmd_sweep_analyse(args)
        raise InputError(f"unknown command {args.command}")
    except InputError as exc:
        print(f"rccsim: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("rccsim: interrupted; nothing written", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
