"""Plans of the experiment workflow: which runs a study makes, in which chunks.

A *study* is either a scenario comparison (scenarios x seeds for one region) or a parameter sweep
(a Latin hypercube or Sobol design over chosen parameters, each design point run on the given
seeds). A plan lists every run of a study, each with a ``run_key`` (a hash of what defines the run:
study, region, scenario and its content, parameter overrides, seed, years, start year), grouped in
chunks of several runs so that a workflow job (and a cluster job) runs for minutes, not seconds.

Plans are pure functions of the configuration: the Snakefile, the batch runner and the report
compute the same plan from the same configuration.
"""

from __future__ import annotations

import hashlib
import json
import math
import re

import numpy as np

from rccsim.base.errors import InputError
from rccsim.inputs.geography import load_geography
from rccsim.inputs.params import load_registry, resolve_parameters
from rccsim.inputs.published import check_start_year
from rccsim.sim.scenario import bundled_scenarios, load_scenario
from rccsim.studies import uncertainty

DESIGNS = ("lhs", "sobol")
MAX_SEED = 2**63 - 1  # the results database stores seeds as 64-bit integers (rccsim/io/store.py)
MAX_RUNS = 1_000_000  # runs of one study: more is a typo (seeds: 10000000), not a study
NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")  # it names a folder: no "..", no hidden folder


def _whole(study: dict, key: str, default, lo: int | None, hi: int | None, where: str) -> int:
    """A whole-number setting of a study, within [lo, hi]."""
    value = study.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or (lo is not None and value < lo) or (hi is not None and value > hi):
        span = f" from {lo} to {hi}" if hi is not None else f" of at least {lo}" if lo is not None else ""
        raise InputError(f"{where}: {key} must be a whole number{span}, got {value!r}")
    return value


def parse_seeds(value, where: str = "seeds") -> list[int]:
    if isinstance(value, int) and not isinstance(value, bool):
        if not 1 <= value <= MAX_RUNS:
            raise InputError(f"{where}: seeds must be a positive count (at most {MAX_RUNS:,}) or a list of seeds, got {value}")
        return list(range(1, value + 1))
    if not isinstance(value, list | tuple) or not value:
        raise InputError(f"{where}: seeds must be a positive count or a list of seeds, got {value!r}")
    bad = next((s for s in value if not isinstance(s, int) or isinstance(s, bool) or not 0 <= s <= MAX_SEED), None)
    if bad is not None:
        raise InputError(f"{where}: seeds must be whole numbers from 0 to 2**63-1 ({MAX_SEED}), got {bad!r}")
    seeds = list(value)
    if len(set(seeds)) != len(seeds):
        raise InputError(f"{where}: seeds must be distinct, got {value}")
    return seeds


def _region(study: dict, default: str, where: str) -> str:
    """The study's region, which must exist (a run would stop on it otherwise)."""

    region = study.get("region", default)
    if not isinstance(region, str) or not region.strip():
        raise InputError(f"{where}: region must be GM, SE, england, a region name or LA codes, got {region!r}")
    try:
        load_geography().resolve_region(region)
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None
    return region


def _common(study: dict, kind: str, default_years: int) -> tuple[str, str, int, int]:
    """(name, region, years, start year) of a study, checked."""

    name = study.get("name")
    if not isinstance(name, str) or not NAME.match(name):
        raise InputError(f"a {kind}'s name must be letters, digits, '_', '.' or '-', not starting with '.' or '-' (it names a folder), got {name!r}")
    where = f"{kind} '{name}'"
    region = _region(study, "GM", where)
    years = _whole(study, "years", default_years, 1, 50, where)
    start = _whole(study, "start", 2024, None, None, where)
    try:
        check_start_year(start)
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None
    return name, region, years, start


def _scenario_names(value, where: str = "comparison") -> list[str]:

    if value in ("all", None):
        names = bundled_scenarios()
    elif isinstance(value, list | tuple) and value and all(isinstance(s, str) and s.strip() for s in value):
        names = [str(s) for s in value]
    else:
        raise InputError(f"{where}: scenarios must be 'all' or a list of scenario names or YAML paths, got {value!r}")
    if "baseline" in names:
        names.remove("baseline")
    return ["baseline", *names]


def run_key(spec: dict) -> str:
    text = json.dumps({k: spec[k] for k in sorted(spec) if k not in ("run_key", "chunk")}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _scenario(spec: str, where: str = "study") -> tuple[str, str]:
    """(the scenario's name, a hash of its content) for a bundled name or a YAML path; its
    parameters are checked now, as a run would check them."""

    try:
        scen = load_scenario(spec)
        resolve_parameters(scen)
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None
    return scen.name, scen.digest()


def _chunk(specs: list[dict], per_chunk: int, prefix: str = "c") -> dict[str, list[dict]]:
    per_chunk = max(1, int(per_chunk))
    n = math.ceil(len(specs) / per_chunk)
    width = max(3, len(str(n - 1)))
    out = {}
    for i in range(n):
        cid = f"{prefix}{i:0{width}d}"
        out[cid] = [{**s, "chunk": cid} for s in specs[i * per_chunk:(i + 1) * per_chunk]]
    return out


def comparison_plan(study: dict) -> dict:
    """Every scenario on every seed (common random numbers), as set and under drawn assumptions; a
    seed's scenarios in one chunk (c...), and their drawn runs in another (d...)."""
    name, region, years, start = _common(study, "comparison", 10)
    where = f"comparison '{name}'"
    files = _scenario_names(study.get("scenarios", "all"), where)
    seeds = parse_seeds(study.get("seeds", 10), where)
    if len(seeds) < 2:
        raise InputError(f"{where}: needs at least 2 seeds for an interval over seeds, got {seeds}")
    if len(seeds) * len(files) > MAX_RUNS:
        raise InputError(f"{where}: {len(seeds):,} seeds x {len(files)} scenarios is more than {MAX_RUNS:,} runs")
    named = {f: _scenario(f, where) for f in files}  # file or bundled name -> (name, hash)
    scenarios = [named[f][0] for f in files]
    if len(set(scenarios)) != len(scenarios):
        raise InputError(f"{where}: two scenarios share a name ({', '.join(scenarios)})")
    if scenarios[0] != "baseline":
        raise InputError(f"{where}: the scenario named baseline must be the bundled baseline")
    drawn = study.get("uncertainty", True)
    if not isinstance(drawn, bool):
        raise InputError(f"{where}: uncertainty must be true or false, got {drawn!r}")
    if drawn and 2 * len(seeds) * len(files) > MAX_RUNS:
        raise InputError(f"{where}: {len(seeds):,} seeds x {len(files)} scenarios x 2 (drawn assumptions) is more than "
                         f"{MAX_RUNS:,} runs (set uncertainty: false for seed noise only)")
    # default: one seed's scenarios in a chunk, so that adding seeds adds chunks and leaves the others as they were
    per_chunk = len(files)
    if study.get("runs_per_chunk") is not None:
        per_chunk = _whole(study, "runs_per_chunk", None, 1, None, where)
    items = uncertainty.load_uncertainty() if drawn else []
    drawn = drawn and bool(items)
    specs, drawn_specs = [], []
    for seed in seeds:
        # each seed runs every scenario as set and then, if drawn, again under that seed's draw of the
        # assumptions (rccsim.studies.uncertainty), shared by its scenarios: the report's range across
        # what we do not know. The drawn runs have chunks of their own (d...), so that a change to the
        # assumptions re-runs them alone
        for draw in ([None, uncertainty.draw(items, seed)] if drawn else [None]):
            for f in files:
                spec = {"study": name, "kind": "compare", "region": region, "scenario": named[f][0],
                        "scenario_file": f, "scenario_hash": named[f][1], "parameters": {}, "sample": None, "seed": seed,
                        "years": years, "start_year": start}
                if draw is not None:
                    spec["draw"] = draw
                spec["run_key"] = run_key(spec)
                (specs if draw is None else drawn_specs).append(spec)
    chunks = _chunk(specs, per_chunk)
    if drawn_specs:
        chunks.update(_chunk(drawn_specs, per_chunk, prefix="d"))
    return {"study": name, "kind": "compare", "region": region, "scenarios": scenarios,
            "seeds": seeds, "years": years, "start_year": start, "uncertainty": drawn, "chunks": chunks}


def sweep_problem(sweep: dict) -> dict:
    """SALib's problem: the swept parameters and their ranges (the registry's plausible range by default)."""

    registry = load_registry()
    where = f"sweep '{sweep.get('name')}'"
    parameters = sweep.get("parameters") or {}
    if not isinstance(parameters, dict):
        raise InputError(f"{where}: parameters must map parameter names to [low, high] or null, got {parameters!r}")
    names, bounds = [], []
    for pname, rng in parameters.items():
        spec = registry.get(pname)
        if spec is None:
            raise InputError(f"{where}: unknown parameter '{pname}'")
        if not isinstance(spec.value, int | float) or isinstance(spec.value, bool):
            raise InputError(f"{where}: parameter '{pname}' is not a single number and cannot be swept")
        if rng is not None and not (isinstance(rng, list | tuple) and len(rng) == 2 and all(
                isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x) for x in rng)):
            raise InputError(f"{where}: range of '{pname}' must be [low, high], two finite numbers (or null), got {rng!r}")
        lo, hi = (spec.range if rng is None else (float(rng[0]), float(rng[1])))
        if not lo < hi:
            raise InputError(f"{where}: range of '{pname}' must be [low, high] with low < high, got {rng}")
        if spec.bounds is not None and (lo < spec.bounds[0] or hi > spec.bounds[1]):
            raise InputError(f"{where}: range {[lo, hi]} of '{pname}' leaves its bounds {list(spec.bounds)}")
        names.append(pname)
        bounds.append([lo, hi])
    if not names:
        raise InputError(f"{where} names no parameters")
    return {"num_vars": len(names), "names": names, "bounds": bounds}


def _points(sweep: dict, n_vars: int) -> int:
    """Design points of a sweep: the samples (Latin hypercube) or samples x (parameters + 2) (Sobol)."""
    n = _whole(sweep, "samples", 64, 2, None, f"sweep '{sweep.get('name')}'")
    return n * (n_vars + 2) if sweep.get("design", "lhs") == "sobol" else n


def sweep_design(sweep: dict) -> np.ndarray:
    """The design matrix (rows: design points, columns: parameters in the problem's order)."""
    where = f"sweep '{sweep.get('name')}'"
    problem = sweep_problem(sweep)
    design = sweep.get("design", "lhs")
    n = _whole(sweep, "samples", 64, 2, None, where)
    seed = _whole(sweep, "design_seed", 1, 0, MAX_SEED, where)
    if _points(sweep, problem["num_vars"]) > MAX_RUNS:
        raise InputError(f"{where}: {_points(sweep, problem['num_vars']):,} design points is more than {MAX_RUNS:,} runs")
    if design == "lhs":
        from SALib.sample import latin

        return latin.sample(problem, n, seed=seed)
    if design == "sobol":
        if n & (n - 1):
            raise InputError(f"{where}: a Sobol design needs samples a power of 2, got {n}")
        from SALib.sample import sobol

        return sobol.sample(problem, n, calc_second_order=False, scramble=True, seed=seed)
    raise InputError(f"{where}: design must be one of {', '.join(DESIGNS)}, got {design!r}")


def _value(spec_value, x: float):
    return int(round(x)) if isinstance(spec_value, int) and not isinstance(spec_value, bool) else float(x)


def sweep_plan(sweep: dict) -> dict:

    registry = load_registry()
    name, region, years, start = _common(sweep, "sweep", 5)
    where = f"sweep '{name}'"
    problem = sweep_problem(sweep)
    seeds = parse_seeds(sweep.get("seeds", [1]), where)
    runs = _points(sweep, problem["num_vars"]) * len(seeds)
    if runs > MAX_RUNS:
        raise InputError(f"{where}: {runs:,} runs (design points x seeds) is more than {MAX_RUNS:,}")
    per_chunk = _whole(sweep, "runs_per_chunk", 25, 1, None, where)
    scenario_file = sweep.get("scenario", "baseline")
    if not isinstance(scenario_file, str) or not scenario_file.strip():
        raise InputError(f"{where}: scenario must be a scenario name or YAML path, got {scenario_file!r}")
    scenario, shash = _scenario(scenario_file, where)
    design = sweep_design(sweep)
    specs = []
    for i, row in enumerate(design):
        params = {p: _value(registry[p].value, x) for p, x in zip(problem["names"], row)}
        for seed in seeds:
            spec = {"study": name, "kind": "sweep", "region": region, "scenario": scenario,
                    "scenario_file": scenario_file, "scenario_hash": shash, "parameters": params, "sample": i, "seed": seed,
                    "years": years, "start_year": start}
            spec["run_key"] = run_key(spec)
            specs.append(spec)
    return {"study": name, "kind": "sweep", "region": region, "scenario": scenario,
            "design": sweep.get("design", "lhs"), "samples": int(sweep.get("samples", 64)), "problem": problem,
            "seeds": seeds, "years": years, "start_year": start, "chunks": _chunk(specs, per_chunk)}


def studies(config: dict) -> dict[str, dict]:
    """Every study of a workflow configuration, by name: its plan."""
    out = {}
    for key, make in (("comparisons", comparison_plan), ("sweeps", sweep_plan)):
        items = config.get(key) or []
        if not isinstance(items, list) or not all(isinstance(x, dict) for x in items):
            raise InputError(f"{key} must be a list of studies (each a mapping with a name), got {items!r}"[:300])
        for study in items:
            plan = make(study)
            if plan["study"] in out:
                raise InputError(f"two studies are named '{plan['study']}': each needs a name of its own (it names its folder)")
            out[plan["study"]] = plan
    return out


def check_paths(config: dict) -> None:
    """The report path of a workflow configuration: an HTML file, not a folder, not among the
    workflow's own outputs (results/studies/, results/logs/)."""
    from pathlib import Path

    report = config.get("report", "results/report.html")
    if not isinstance(report, str) or not report.strip():
        raise InputError(f"report must be the path of an HTML file, got {report!r}")
    path = Path(report)
    if path.suffix.lower() not in (".html", ".htm"):
        raise InputError(f"report {report} must name an HTML file (e.g. results/report.html)")
    if path.is_dir():
        raise InputError(f"report {report} is a folder: give the name of an HTML file")
    for own in ("results/studies", "results/logs"):
        mine = Path(own).resolve()
        if mine in path.resolve().parents:
            raise InputError(f"report {report} lies in {own}/, which holds the workflow's own files")
    parent = next((p for p in path.parents if p.exists()), None)
    if parent is not None and not parent.is_dir():
        raise InputError(f"report {report}: {parent} is a file, not a folder")


def all_specs(plan: dict) -> list[dict]:
    return [s for chunk in plan["chunks"].values() for s in chunk]


def check_config(cfg: dict, schema_path) -> None:
    """The workflow configuration against its schema: one line naming the first problem and where
    (Snakemake's own message prints the whole schema). Raises Snakemake's WorkflowError."""
    import jsonschema
    import yaml
    from snakemake.exceptions import WorkflowError

    with open(schema_path) as fh:
        schema = yaml.safe_load(fh)
    err = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema).iter_errors(cfg))
    if err is not None:
        where = " > ".join(str(p) for p in err.absolute_path) or "top level"
        message = err.message
        if err.validator == "pattern" and err.schema.get("description"):  # the regular expression says little
            message = f"{err.instance!r} is not {err.schema['description']}"
        hint = (" (--config gives text: put numbers and lists in a --configfile)"
                if isinstance(err.instance, str) and err.validator in ("type", "oneOf", "anyOf") else "")
        raise WorkflowError(f"experiments configuration, at {where}: {message}{hint}")
