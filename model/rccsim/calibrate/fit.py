"""Calibration: published targets, simulated moments, the fit, and the fit report.

Targets (``calibration/targets.csv``) are published figures, one a row, each with its source and a
role: ``fit`` (the fit may use it), ``validate`` (held out: never used to fit; predicted by the
fitted model) or ``backtest`` (outcomes of the years a back-test runs over).

The fit is a method of simulated moments: for a candidate parameter vector the model runs over the
same seeds (common random numbers, so that differences between candidates are not seed noise), the
simulated moments are averaged over seeds, and each is compared with its target in units of its
tolerance (5% for stocks and flows, 3 percentage points for shares, 10% for prices and money: the acceptance
bands of issue 3). The loss is the mean squared standardised error. The search is a shrinking-box
Latin hypercube: a space-filling design over the parameters' ranges, then designs in boxes half as
wide around the best point so far. It needs no gradient (the loss is noisy and stepwise), every
evaluation is independent (so a design can run in parallel), and its budget is fixed in advance.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from rccsim.base.errors import InputError
from rccsim.base.paths import data_dir
from rccsim.calibrate.by_la import LA_METRICS, outside_summary, outside_table
from rccsim.inputs.files import read_yaml_strict
from rccsim.inputs.params import ParamSet
from rccsim.studies.harness import RunSpec, run_one
from rccsim.studies.pool import worker_pool

KINDS = {"stock": ("rel", 0.05), "flow": ("rel", 0.05), "share": ("abs", 0.03), "price": ("rel", 0.10),
         "money": ("rel", 0.10),
         # counts measured loosely (Ofsted's unregistered homes, the LGA's survey): issue 19's 30% band
         "count": ("rel", 0.30),
         # yearly growth rates: within 3 points a year (issue 19)
         "growth": ("abs", 0.03),
         # Ofsted's joiners, leavers and homes in the back-test: within 10% (issue 19)
         "homes": ("rel", 0.10),
         # per-LA comparisons with DfE's LA tables (rccsim.calibrate.by_la): issue 20's bounds, a rank
         # correlation of at least 0.8 (target 1) and a median error of at most 5 points (target 0)
         "la_rank": ("abs", 0.2), "la_error": ("abs", 0.05),
         # DfE's median duration of placements ending, by type: within 20% (issue 20)
         "duration": ("rel", 0.20)}
ROLES = ("fit", "validate", "backtest")
COLUMNS = ("id", "metric", "year", "geography", "value", "unit", "kind", "role", "source")
#: metrics a target can name: yearly metrics of ``metrics.by_year``
YEARLY = {
    "children_in_care_end", "entries_per_year", "exits_per_year", "share_fostering_end",
    "share_residential_end", "share_supported_end", "share_with_parents_end", "share_other_end",
    "cost_per_child_week_gbp", "mean_distance_miles", "share_over_20_miles", "share_out_of_la",
    "moves_per_child_year", "share_3plus_placements", "share_long_term_stable",
    "share_emergency_placements", "children_homes_end", "foster_households_end", "carers_approved", "carers_left",
    "homes_opened", "homes_closed", "cost_total_gbp", "price_home_ind_gbp_week", "price_ifa_gbp_week",
    "children_homes_places_end", "provider_margin_home", "children_homes_la_end",
    "share_foster_kinship_end", "share_foster_la_end", "share_foster_agency_end",
    "share_aged_under_1_end", "share_aged_1_4_end", "share_aged_5_9_end", "share_aged_10_15_end",
    "share_aged_16_17_end",
    "children_unregistered_in_year", "children_unregistered_4w_in_year", "placements_10k_plus_in_year",
    "workforce_vacancy_rate", "workforce_turnover", "workforce_agency_share", "manager_vacancy_rate",
    "price_home_ind_growth", "children_residential_end",
    *(f"{m}_{g}" for m in ("share_over_20_miles", "median_days_ending", "placements_ending", "first_placements",
                            "share_ending_under_1y") for g in ("fostering", "residential", "supported")),
}


def targets_path() -> Path:
    return data_dir().parent / "targets.csv"


@dataclass(frozen=True)
class Target:
    id: str
    metric: str
    year: int
    geography: str
    value: float
    unit: str
    kind: str
    role: str
    source: str

    @property
    def tolerance(self) -> float:
        """The acceptance band, in the target's own units."""
        how, size = KINDS[self.kind]
        return size * abs(self.value) if how == "rel" else size


def load_targets(path: Path | str | None = None, roles: tuple[str, ...] | None = None) -> list[Target]:
    """Read and check the targets; a row without a source, or with an unknown metric, kind or role,
    is an error naming the file and row."""
    path = Path(path) if path else targets_path()
    if not path.is_file():
        raise InputError(f"targets file not found: {path}")
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise InputError(f"{path}: missing column(s) {', '.join(missing)}")
        out, seen = [], set()
        for row_no, row in enumerate(reader, start=2):
            where = f"{path.name} row {row_no}"
            if not (row.get("source") or "").strip():
                raise InputError(f"{where} ({row.get('id')}): target has no source")
            if row["metric"] not in YEARLY and row["metric"] not in LA_METRICS:
                raise InputError(f"{where}: unknown metric '{row['metric']}'")
            if row["kind"] not in KINDS:
                raise InputError(f"{where}: unknown kind '{row['kind']}' (use {', '.join(KINDS)})")
            if row["role"] not in ROLES:
                raise InputError(f"{where}: unknown role '{row['role']}' (use {', '.join(ROLES)})")
            figure = (row["metric"], row["year"], row["geography"].strip())
            if row["id"] in seen or figure in seen:
                raise InputError(f"{where}: duplicate target '{row['id']}' ({' '.join(figure)})")
            seen.update((row["id"], figure))
            try:
                value, year = float(row["value"]), int(row["year"])
            except ValueError:
                raise InputError(f"{where}: value and year must be numbers") from None
            if not math.isfinite(value):
                raise InputError(f"{where}: value is not a finite number")
            out.append(Target(row["id"], row["metric"], year, row["geography"].strip(), value,
                              row["unit"], row["kind"], row["role"], row["source"].strip()))
    if roles is not None:
        out = [t for t in out if t.role in roles]
    return out


# --------------------------------------------------------------------------------------------
# Simulated moments
# --------------------------------------------------------------------------------------------

def simulate(targets: list[Target], params: ParamSet, seeds: list[int], start: int, region: str | None = None) -> np.ndarray:
    """Simulated value of each target for each seed: an array (seeds, targets).

    All targets must share one geography (the run's region, unless ``region`` is given) and lie in
    the years after ``start``.
    """

    geos = {t.geography for t in targets}
    if len(geos) != 1:
        raise InputError(f"targets of one simulation must share a geography, got {sorted(geos)}")
    region = region or geos.pop().replace(";", ",")
    years = max(t.year for t in targets) - start
    if years < 1 or min(t.year for t in targets) <= start:
        raise InputError(f"targets must lie after the start year {start}")
    late = [t.id for t in targets if t.metric in LA_METRICS and t.year != start + years]
    if late:
        raise InputError(f"per-LA targets ({', '.join(late)}) are measured at the end of a run: they must name the "
                         f"last year of their geography's targets ({start + years})")
    out = np.empty((len(seeds), len(targets)))
    for i, seed in enumerate(seeds):
        run = run_one(RunSpec(region=region, scenario="baseline", years=years, seed=int(seed), start_year=start, params=params))
        by_year = run.result.by_year
        la = None
        for j, t in enumerate(targets):
            if t.metric in LA_METRICS:
                if la is None:
                    la = outside_summary(outside_table([run.result.metrics["by_la"]], t.year))
                out[i, j] = la[t.metric]
            else:
                out[i, j] = by_year[t.year - start - 1][t.metric]
    return out


def _simulate_seed(job: tuple) -> np.ndarray:
    """Worker: :func:`simulate` for one seed (a row of the seeds x targets array)."""
    targets, params, seed, start, region = job
    return simulate(targets, params, [seed], start, region)[0]


def simulate_many(targets: list[Target], param_sets: list[ParamSet], seeds: list[int], start: int,
                  region: str | None = None, jobs: int = 1) -> list[np.ndarray]:
    """:func:`simulate` for several parameter sets, over ``jobs`` processes (same numbers as one
    process: each run depends only on its parameters and seed)."""
    work = [(targets, ps, int(s), start, region) for ps in param_sets for s in seeds]
    if jobs <= 1 or len(work) <= 1:
        rows = [_simulate_seed(w) for w in work]
    else:

        with worker_pool(min(jobs, len(work))) as pool:
            rows = list(pool.map(_simulate_seed, work))
    k = len(seeds)
    return [np.vstack(rows[i * k:(i + 1) * k]) for i in range(len(param_sets))]


def standardised_errors(sim: np.ndarray, targets: list[Target]) -> np.ndarray:
    """(mean over seeds - target) / tolerance, per target."""
    value = np.array([t.value for t in targets])
    tol = np.array([t.tolerance for t in targets])
    return (sim.mean(axis=0) - value) / tol


def loss(sim: np.ndarray, targets: list[Target]) -> float:
    z = standardised_errors(sim, targets)
    return float(np.mean(z**2))


# --------------------------------------------------------------------------------------------
# The fit
# --------------------------------------------------------------------------------------------

@dataclass
class FitSpec:
    """What to fit and how (``calibration/fit.yaml``)."""

    region: str
    start: int
    seeds: list[int]
    design_points: int
    refine_rounds: int
    parameters: dict[str, dict]  # name -> {"range": [lo, hi]} or {"scale": [lo, hi]} for a list

    @classmethod
    def load(cls, path: Path | str | None = None, quick: bool = False) -> FitSpec:
        path = Path(path) if path else data_dir().parent / "fit.yaml"

        raw = read_yaml_strict(path, "fit specification")
        if not isinstance(raw, dict):
            raise InputError(f"fit specification {path} must be a YAML mapping with a 'full' or 'quick' section")
        section = raw.get("quick" if quick else "full")
        if not isinstance(section, dict):
            raise InputError(f"{path}: no '{'quick' if quick else 'full'}' section")
        try:
            spec = cls(
                region=str(section["region"]), start=int(section["start"]), seeds=[int(s) for s in section["seeds"]],
                design_points=int(section["design_points"]), refine_rounds=int(section["refine_rounds"]),
                parameters=dict(raw["parameters"] if "parameters" not in section else section["parameters"]),
            )
        except KeyError as exc:
            raise InputError(f"{path}: the '{'quick' if quick else 'full'}' section lacks '{exc.args[0]}'") from None
        except (TypeError, ValueError):
            raise InputError(f"{path}: the '{'quick' if quick else 'full'}' section needs region, start, seeds (a list), "
                             "design_points, refine_rounds and parameters") from None
        defaults = ParamSet.defaults()
        for name, how in spec.parameters.items():
            if name not in defaults:
                raise InputError(f"{path}: unknown parameter '{name}'")
            key = "scale" if isinstance(defaults[name], list) else "range"
            if (not isinstance(how, dict) or key not in how or not isinstance(how[key], list) or len(how[key]) != 2
                    or not all(isinstance(v, int | float) and np.isfinite(v) for v in how[key]) or not how[key][0] < how[key][1]):
                raise InputError(f"{path}: parameter '{name}' needs '{key}: [low, high]'")
        return spec


def apply(base: ParamSet, names: list[str], spec: dict[str, dict], x: np.ndarray) -> ParamSet:
    """Parameter set for a point ``x`` of the search space (scalars, or multipliers on lists)."""
    overrides = {}
    for name, value in zip(names, x):
        default = base[name]
        if isinstance(default, list):
            overrides[name] = [float(v) * float(value) for v in default]
        else:
            overrides[name] = type(default)(round(value)) if isinstance(default, int) and not isinstance(default, bool) else float(value)
    return base.updated(overrides)


@dataclass
class FitResult:
    names: list[str]
    best_x: np.ndarray
    best_loss: float
    history: list[tuple[np.ndarray, float]]
    params: ParamSet


def fit(targets: list[Target], spec: FitSpec, base: ParamSet | None = None, progress=None, seed: int = 0,
        jobs: int = 1) -> FitResult:
    """Search the parameters of ``spec`` for the smallest loss against ``targets`` (each round's
    design points run over ``jobs`` processes; the result does not depend on ``jobs``)."""
    from scipy.stats import qmc

    base = base or ParamSet.defaults()
    names = list(spec.parameters)
    lo0 = np.array([spec.parameters[n].get("range", spec.parameters[n].get("scale"))[0] for n in names], float)
    hi0 = np.array([spec.parameters[n].get("range", spec.parameters[n].get("scale"))[1] for n in names], float)
    lo, hi = lo0.copy(), hi0.copy()
    sampler = qmc.LatinHypercube(d=len(names), seed=np.random.default_rng(seed))
    history: list[tuple[np.ndarray, float]] = []
    best_x, best_loss = None, np.inf
    for round_no in range(spec.refine_rounds + 1):
        design = qmc.scale(sampler.random(spec.design_points), lo, hi)
        if best_x is not None:
            design[0] = best_x  # re-evaluated: nothing, the same seeds give the same value
            design = design[1:]
        sims = simulate_many(targets, [apply(base, names, spec.parameters, x) for x in design], spec.seeds,
                             spec.start, spec.region, jobs=jobs)
        for x, sim in zip(design, sims):
            value = loss(sim, targets)
            history.append((x.copy(), value))
            if value < best_loss:
                best_x, best_loss = x.copy(), value
            if progress:
                progress(f"round {round_no + 1}/{spec.refine_rounds + 1}, point {len(history)}: loss {value:.3f} (best {best_loss:.3f})")
        width = (hi - lo) / 2.0
        lo = np.maximum(lo0, best_x - width / 2.0)
        hi = np.minimum(hi0, best_x + width / 2.0)
    return FitResult(names, best_x, best_loss, history, apply(base, names, spec.parameters, best_x))


def write_fitted(result: FitResult, targets: list[Target], spec: FitSpec, path: Path, code_version: str,
                 on: dict | None = None) -> None:
    """The fitted values as a parameter file that ``ParamSet.defaults()`` reads over the registry.

    ``on``: the installed fit this one refitted part of (``--from-installed``); its other values
    are kept, and the file names the parameters refitted and the fit they were refitted on.
    """
    values = {n: result.params[n] for n in result.names}
    if on is not None:
        values = {**on.get("values", {}), **values}
    doc = {
        "fitted_on": dt.date.today().isoformat(),
        "code_version": code_version,
        "method": "method of simulated moments, shrinking-box Latin hypercube (rccsim/calibrate/fit.py)",
        "region": spec.region,
        "start": spec.start,
        "seeds": spec.seeds,
        "loss": round(result.best_loss, 6),
        "targets": [t.id for t in targets],
        "values": {k: (v if not isinstance(v, float) else round(v, 6)) for k, v in values.items()},
    }
    if on is not None:
        doc["refitted"] = list(result.names)
        # the fit this one builds on (itself perhaps a refit: the chain goes back to the full fit)
        doc["refit_of"] = {k: on[k] for k in ("fitted_on", "code_version", "loss", "refitted", "refit_of") if k in on}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(yaml.safe_dump(doc, sort_keys=False))
    tmp.replace(path)


# --------------------------------------------------------------------------------------------
# Report rows
# --------------------------------------------------------------------------------------------

def compare(targets: list[Target], sim: np.ndarray) -> list[dict]:
    """Target against simulated (mean and spread over seeds), one dict a target."""
    rows = []
    for j, t in enumerate(targets):
        col = sim[:, j]
        mean = float(col.mean())
        err = mean - t.value
        rows.append({
            "id": t.id, "role": t.role, "metric": t.metric, "year": t.year, "geography": t.geography,
            "target": t.value, "simulated": mean,
            "sim_lo": float(col.min()), "sim_hi": float(col.max()),
            "error": err, "relative_error": err / t.value if t.value else float("nan"),
            "tolerance": t.tolerance, "within": bool(abs(err) <= t.tolerance), "source": t.source,
        })
    return rows
