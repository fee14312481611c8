"""A comparison held in memory: what was asked, and what it adds up to (the dashboard's studies,
and the workflow's read back from the results database).

:func:`run_study` runs it through the run harness seed by seed (a seed's scenarios share their
start state and the baseline's counterfactual), in worker processes; it can be cancelled (its
workers are stopped) and reports its progress. The result holds aggregates only: no child-level
record leaves the workers.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from dataclasses import dataclass

import pandas as pd

from rccsim.base.version import code_version
from rccsim.sim.scenario import Scenario
from rccsim.studies import uncertainty
from rccsim.studies.compare import HEADLINE, add_drawn, explain, explain_drawn, record_of, summarise
from rccsim.studies.harness import RunSpec, run_group

SERIES = ("children_in_care_end", "cost_total_gbp", "cost_per_child_week_gbp", "mean_distance_miles",
          "share_over_20_miles", "share_out_of_la", "moves_per_child_year", "children_waiting_end",
          "children_homes_end", "share_residential_end")
LA_METRICS = ("children_in_care_end", "share_out_of_la", "share_over_20_miles", "share_3plus_placements")


@dataclass
class StudyRequest:
    """What a user asked for: a region, scenarios (the baseline first), seeds, years, start year."""

    region: str
    scenarios: list[Scenario]
    seeds: list[int]
    years: int
    start_year: int = 2024
    start_population: object = None  # an uploaded SSDA903 return, in memory
    label: str = ""
    #: also run each seed under a draw of the assumptions (calibration/uncertainty.yaml): twice the runs
    uncertainty: bool = False

    @property
    def total_runs(self) -> int:
        return len(self.seeds) * len(self.scenarios) * (2 if self.uncertainty else 1)


@dataclass
class StudyResult:
    """A finished comparison: summaries, explanations, yearly series and the baseline by LA."""

    request: StudyRequest
    summary: dict
    explanations: dict
    series: pd.DataFrame  # scenario, seed, year, metric, value
    by_la: pd.DataFrame  # scenario, seed, la_code, metric, value
    records: list[dict]
    meta: dict


def _run_seed(job: tuple) -> list[dict]:
    """Worker: one seed's scenarios (as set, or under drawn assumptions); what the study keeps of each
    run (aggregates only)."""
    specs, drawn = job
    out = []
    for run in run_group(specs):
        rec = record_of(run)
        rec["drawn"] = drawn
        res = run.result
        rec["series"] = [{"year": y["year"], **{k: y[k] for k in SERIES}} for y in res.by_year]
        rec["by_la"] = {code: {k: v[k] for k in LA_METRICS} for code, v in res.metrics["by_la"].items()}
        rec["scenario_hash"] = res.provenance["scenario_hash"]
        out.append(rec)
    return out


def run_study(req: StudyRequest, progress=None, cancelled=lambda: False, processes: int | None = None) -> StudyResult | None:
    """Run a comparison; ``progress(done, total)`` after each seed; None if cancelled."""
    names = [s.name for s in req.scenarios]
    jobs = [([RunSpec(region=req.region, scenario=s, years=req.years, seed=seed, start_year=req.start_year,
                      start_population=req.start_population) for s in req.scenarios], False) for seed in req.seeds]
    items = uncertainty.load_uncertainty() if req.uncertainty else []
    draws = {seed: uncertainty.draw(items, seed) for seed in req.seeds} if items else {}
    if draws:  # each seed again, every scenario under that seed's draw (common across scenarios)
        jobs += [([RunSpec(region=req.region, scenario=uncertainty.apply(s, draws[seed]), years=req.years, seed=seed,
                           start_year=req.start_year, start_population=req.start_population, variant="drawn")
                   for s in req.scenarios], True) for seed in req.seeds]
    total = len(jobs) * len(names)
    records: list[dict] = []
    processes = max(1, min(processes or (os.cpu_count() or 1), len(jobs)))
    ctx = mp.get_context("spawn")
    pool = ctx.Pool(processes)
    try:
        pending = pool.imap_unordered(_run_seed, jobs)
        while len(records) < total:
            if cancelled():
                pool.terminate()
                return None
            try:
                got = pending.next(timeout=0.25)
            except mp.TimeoutError:
                continue
            records += got
            if progress:
                progress(len(records), total)
        pool.close()
    finally:
        pool.terminate()
        pool.join()
    records.sort(key=lambda r: (r["drawn"], names.index(r["scenario"]), req.seeds.index(r["seed"])))
    drawn = [r for r in records if r["drawn"]]
    records = [r for r in records if not r["drawn"]]
    summary = summarise(records, names, req.seeds)
    explanations = {s: explain(records, s, summary) for s in names}
    if drawn:
        acting = {s.name: uncertainty.used(items, s) for s in req.scenarios}
        add_drawn(summary, uncertainty.summarise_drawn(drawn, names, req.seeds, [k for k, *_ in HEADLINE], draws, acting))
        for s in names[1:]:
            explanations[s].append(explain_drawn(summary, s, len(acting[s]), len(req.seeds)))
    series = pd.DataFrame([{"scenario": r["scenario"], "seed": r["seed"], "year": y["year"], "metric": k, "value": y[k]}
                           for r in records for y in r["series"] for k in SERIES])
    by_la = pd.DataFrame([{"scenario": r["scenario"], "seed": r["seed"], "la_code": code, "metric": k, "value": v}
                          for r in records for code, d in r["by_la"].items() for k, v in d.items()])
    hashes = {r["scenario"]: r["scenario_hash"] for r in records}
    meta = {"region": req.region, "years": req.years, "start_year": req.start_year, "seeds": list(req.seeds),
            "scenarios": names, "code_version": code_version(), "scenario_hashes": hashes,
            "parameter_hashes": {r["scenario"]: r["parameter_hash"] for r in records},
            "finished": time.strftime("%Y-%m-%d %H:%M", time.gmtime()) + " UTC",
            "from_ssda903": req.start_population is not None, "drawn": bool(drawn)}
    for r in records:  # keep what the summaries and explanations read; drop the rest
        r.pop("series", None)
        r.pop("by_la", None)
    return StudyResult(req, summary, explanations, series, by_la, records, meta)
