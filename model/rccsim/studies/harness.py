"""The run harness: every command that runs simulations runs them here.

``rccsim run``, ``rccsim compare``, ``rccsim batch`` (the workflow's jobs) and ``rccsim calibrate``
describe their runs as :class:`RunSpec` and hand them to :func:`run_specs`, which

* groups the runs of one region, horizon, start year and seed, builds their start state once and
  copies it for every scenario that keeps its parameters (the copy is the run a fresh build would
  give);
* runs the baseline of a group first, and for every other scenario of the group works out where
  the children it placed in the RCC's homes were on the same days in the baseline (common random
  numbers give a child the same index, entry day and home in every scenario of a seed): the
  record's ``rcc_counterfactual``. The child-level arrays this needs stay in memory and are
  dropped once matched; only averages reach the record;
* spreads groups over worker processes, which leave Ctrl-C to the parent.

So the record of a run holds everything ``rccsim compare`` and the workflow's report explain.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from rccsim.base.codes import Kind
from rccsim.inputs.params import ParamSet
from rccsim.outputs.record import RunResult
from rccsim.sim.scenario import Scenario, load_scenario
from rccsim.sim.simulation import Simulation, StartState
from rccsim.studies.pool import worker_pool


@dataclass(frozen=True)
class RunSpec:
    """One run: a scenario for a region, horizon, start year and seed.

    ``scenario`` is a bundled name, the path of a YAML file, or a :class:`Scenario`; ``parameters``
    are overrides on top of the scenario's (a sweep's design point); ``params`` a whole parameter
    set to start from (a calibration's candidate); ``tag`` anything the caller wants back.
    """

    region: str
    scenario: str | Scenario
    years: int
    seed: int
    start_year: int = 2024
    parameters: dict = field(default_factory=dict)
    params: ParamSet | None = None
    tag: object = None
    start_population: object = None  # an LA's own SSDA903 return (rccsim.io.ssda903)
    rates: object = None
    verbose: bool = False
    #: runs of one seed with different assumptions drawn (rccsim.studies.uncertainty) are grouped
    #: apart: each group's baseline is the one its options are compared with
    variant: str = ""

    def load(self) -> Scenario:
        sc = self.scenario if isinstance(self.scenario, Scenario) else load_scenario(self.scenario)
        if self.parameters:
            sc = sc.model_copy(update={"parameters": {**sc.parameters, **self.parameters}})
        return sc

    def group(self) -> tuple:
        return (self.region, self.years, self.seed, self.start_year, id(self.params), self.variant)


@dataclass
class Run:
    """A finished run: its spec, its record and when it ran (and the finished model, when asked)."""

    spec: RunSpec
    result: RunResult
    seconds: float
    started: float  # time.time() at the start
    model: object = None


def build(spec: RunSpec, scenario: Scenario | None = None) -> Simulation:
    """The run of ``spec``, built (its start state made), not yet run."""
    return Simulation(region=spec.region, scenario=scenario or spec.load(), years=spec.years, seed=spec.seed,
                      start_year=spec.start_year, params=spec.params, verbose=spec.verbose,
                      start_population=spec.start_population, rates=spec.rates)


def run_one(spec: RunSpec, on_built: Callable | None = None, keep_model: bool = False) -> Run:
    """One run alone; ``on_built(model)`` is called once its start state is built."""
    started, t0 = time.time(), time.perf_counter()
    sim = build(spec)
    if on_built is not None:
        on_built(sim.model)
    res = sim.run()
    return Run(spec, res.record, time.perf_counter() - t0, started, res.model if keep_model else None)


def run_group(specs: list[RunSpec], on_run: Callable[[int, Run], None] | None = None) -> list[Run]:
    """The runs of one seed (same region, horizon, start year, seed and base parameters), in the
    order given; the start state is built once for the scenarios that keep its parameters, the
    baseline runs first and the others learn where their RCC's children were in it. ``on_run(i,
    run)`` is called as each run finishes (the batch runner writes it to disk at once)."""
    loaded = [s.load() for s in specs]
    first = specs[0]
    state = None
    order = sorted(range(len(specs)), key=lambda i: loaded[i].name != "baseline")  # baseline first
    runs: dict[int, Run] = {}
    base_log = None
    for i in order:
        spec, sc = specs[i], loaded[i]
        started, t0 = time.time(), time.perf_counter()
        if state is None and len(specs) > 1:
            state = StartState(first.region, first.years, first.seed, first.start_year, first.params)
        if state is not None and state.shares(sc):
            res = state.run(sc)
        else:
            res = build(spec, sc).run()
        model = res.model
        if sc.name == "baseline":
            base_log = (_placements(model), res.record.provenance["parameter_hash"])
        elif base_log is not None and base_log[1] == res.record.provenance["parameter_hash"]:
            # a child's index is the same child only when both runs start from the same state
            cf = counterfactual(base_log[0], _rcc_placements(model))
            if cf is not None:
                res.record.metrics["rcc_counterfactual"] = cf
        runs[i] = Run(spec, res.record, time.perf_counter() - t0, started)
        if on_run is not None:
            on_run(i, runs[i])
    return [runs[i] for i in range(len(specs))]


def _placements(model) -> dict:
    log = model.recorder.placements
    n = log.n
    return {"child": log.child[:n].copy(), "start": log.start[:n].copy(), "end": log.end[:n].copy(),
            "distance": log.distance[:n].astype(np.float32), "kind": log.kind[:n].copy(), "need": log.need[:n].copy()}


def _rcc_placements(model) -> dict | None:
    """The run's placements in homes the RCC holds, made during the run."""
    log = model.recorder.placements
    n = log.n
    rcc = ~log.initial[:n] & log.regional[:n] & (log.start[:n] < model.horizon)
    if not rcc.any():
        return None
    return {"child": log.child[:n][rcc].copy(), "start": log.start[:n][rcc].copy(), "horizon": int(model.horizon)}


def counterfactual(base: dict, rcc: dict | None) -> dict | None:
    """Where the children placed in RCC homes were, on the same days, in the baseline run of the
    same seed: mean distance from home, share more than 20 miles away, share in residential care,
    in independent homes, in foster care, in supported accommodation and in emergency or
    unregistered settings (averages only)."""
    if rcc is None:
        return None
    # the baseline placement each child was in on that day (started by then, not yet ended)
    order = np.lexsort((base["start"], base["child"]))
    bc, bs, be = base["child"][order], base["start"][order], base["end"][order]
    key_b = bc.astype(np.int64) * 1_000_000 + bs
    key = rcc["child"].astype(np.int64) * 1_000_000 + rcc["start"]
    i = np.searchsorted(key_b, key, side="right") - 1
    ok = (i >= 0) & (bc[np.maximum(i, 0)] == rcc["child"]) & (be[np.maximum(i, 0)] > rcc["start"])
    j = order[i[ok]]
    dist = base["distance"][j].astype(float)
    kind = base["kind"][j]
    some = len(dist) > 0
    # of those fostered in the baseline: above standard needs when that foster placement began (a
    # residential plan, fostered at a penalty), and, of those with a year of the run still to go
    # (``horizon``), how many saw that foster placement end within the year
    fostered = np.isin(kind, [Kind.FOSTER_KIN, Kind.FOSTER_LA, Kind.FOSTER_IFA])
    f_need = base["need"][j][fostered] if "need" in base else np.zeros(int(fostered.sum()))
    f_start = rcc["start"][ok][fostered].astype(np.int64)
    f_year = f_start <= rcc.get("horizon", np.iinfo(np.int64).max) - 365
    f_soon = f_year & ((base["end"][j][fostered].astype(np.int64) - f_start) < 365)
    return {
        "placements": int(len(key)), "matched": int(ok.sum()),
        "mean_distance_miles": float(dist.mean()) if some else 0.0,
        "share_over_20_miles": float((dist > 20.0).mean()) if some else 0.0,
        "share_independent_homes": float((kind == Kind.HOME_IND).mean()) if some else 0.0,
        "share_residential": float(np.isin(kind, [Kind.HOME_LA, Kind.HOME_IND]).mean()) if some else 0.0,
        "share_fostering": float(np.isin(kind, [Kind.FOSTER_KIN, Kind.FOSTER_LA, Kind.FOSTER_IFA]).mean()) if some else 0.0,
        "share_supported": float((kind == Kind.SUPPORTED).mean()) if some else 0.0,
        "share_unregistered": float((kind == Kind.UNREGISTERED).mean()) if some else 0.0,
        "fostered": int(fostered.sum()),
        "fostered_above_standard_need": int((f_need >= 1).sum()),
        "fostered_with_a_year_to_go": int(f_year.sum()),
        "fostered_ending_within_1y": int(f_soon.sum()),
    }


def _run_group_job(specs: list[RunSpec]) -> list[Run]:
    return run_group(specs)


def run_specs(specs: list[RunSpec], jobs: int = 1, progress: Callable[[int, int, float], None] | None = None) -> list[Run]:
    """Every run of ``specs`` (in the order given), seed by seed, over ``jobs`` processes."""
    groups: dict[tuple, list[int]] = {}
    for i, s in enumerate(specs):
        groups.setdefault(s.group(), []).append(i)
    tasks = list(groups.values())
    out: list[Run | None] = [None] * len(specs)
    t0 = time.perf_counter()
    done = 0

    def take(idx: list[int], runs: list[Run]) -> None:
        nonlocal done
        for i, r in zip(idx, runs):
            out[i] = r
        done += len(idx)
        if progress:
            progress(done, len(specs), time.perf_counter() - t0)

    if jobs <= 1 or len(tasks) <= 1:
        for idx in tasks:
            take(idx, run_group([specs[i] for i in idx]))
    else:

        pool = worker_pool(min(jobs, len(tasks)))
        try:
            for idx, runs in zip(tasks, pool.map(_run_group_job, [[specs[i] for i in idx] for idx in tasks], chunksize=1)):
                take(idx, runs)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown()
    return out  # type: ignore[return-value]
