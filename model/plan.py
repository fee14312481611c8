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

import numpy as np

from .errors import InputError

DESIGNS = ("lhs", "sobol")


def _seeds(value) -> list[int]:
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 1:
            raise InputError(f"seeds must be a positive count or a list of seeds, got {value}")
        return list(range(1, value + 1))
    seeds = [int(s) for s in value]
    if not seeds or len(set(seeds)) != len(seeds) or min(seeds) < 0:
        raise InputError(f"seeds must be distinct non-negative whole numbers, got {value}")
    return seeds


def _scenario_names(value) -> list[str]:
    from .params import bundled_scenarios

    if value in ("all", None):
        names = bundled_scenarios()
    else:
        names = [str(s) for s in value]
    if "baseline" in names:
        names.remove("baseline")
    return ["baseline", *names]


def run_key(spec: dict) -> str:
    text = json.dumps({k: spec[k] for k in sorted(spec) if k not in ("run_key", "chunk")}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _scenario(spec: str) -> tuple[str, str]:
    """(the scenario's name, a hash of its content) for a bundled name or a YAML path."""
    from .params import load_scenario

    scen = load_scenario(spec)
    return scen.name, hashlib.sha256(json.dumps(scen.canonical(), sort_keys=True).encode()).hexdigest()[:12]


def _chunk(specs: list[dict], per_chunk: int) -> dict[str, list[dict]]:
    per_chunk = max(1, int(per_chunk))
    n = math.ceil(len(specs) / per_chunk)
    width = max(3, len(str(n - 1)))
    out = {}
    for i in range(n):
        cid = f"c{i:0{width}d}"
        out[cid] = [{**s, "chunk": cid} for s in specs[i * per_chunk:(i + 1) * per_chunk]]
    return out


def comparison_plan(study: dict) -> dict:
    """Every scenario on every seed (common random numbers), a seed's scenarios in one chunk."""
    name = study["name"]
    files = _scenario_names(study.get("scenarios", "all"))
    seeds = _seeds(study.get("seeds", 10))
    if len(seeds) < 2:
        raise InputError(f"comparison '{name}': needs at least 2 seeds for an interval over seeds, got {seeds}")
    named = {f: _scenario(f) for f in files}  # file or bundled name -> (name, hash)
    scenarios = [named[f][0] for f in files]
    if len(set(scenarios)) != len(scenarios):
        raise InputError(f"comparison '{name}': two scenarios share a name ({', '.join(scenarios)})")
    if scenarios[0] != "baseline":
        raise InputError(f"comparison '{name}': the scenario named baseline must be the bundled baseline")
    specs = []
    for seed in seeds:
        for f in files:
            spec = {"study": name, "kind": "compare", "region": str(study.get("region", "GM")), "scenario": named[f][0],
                    "scenario_file": f, "scenario_hash": named[f][1], "parameters": {}, "sample": None, "seed": seed,
                    "years": int(study.get("years", 10)), "start_year": int(study.get("start", 2024))}
            spec["run_key"] = run_key(spec)
            specs.append(spec)
    per_chunk = study.get("runs_per_chunk") or len(scenarios)
    return {"study": name, "kind": "compare", "region": str(study.get("region", "GM")), "scenarios": scenarios,
            "seeds": seeds, "years": int(study.get("years", 10)), "start_year": int(study.get("start", 2024)),
            "chunks": _chunk(specs, per_chunk)}


def sweep_problem(sweep: dict) -> dict:
    """SALib's problem: the swept parameters and their ranges (the registry's plausible range by default)."""
    from .params import load_registry

    registry = load_registry()
    names, bounds = [], []
    for pname, rng in (sweep.get("parameters") or {}).items():
        spec = registry.get(pname)
        if spec is None:
            raise InputError(f"sweep '{sweep['name']}': unknown parameter '{pname}'")
        if not isinstance(spec.value, int | float) or isinstance(spec.value, bool):
            raise InputError(f"sweep '{sweep['name']}': parameter '{pname}' is not a single number and cannot be swept")
        lo, hi = (spec.range if rng is None else (float(rng[0]), float(rng[1])))
        if not lo < hi:
            raise InputError(f"sweep '{sweep['name']}': range of '{pname}' must be [low, high] with low < high, got {rng}")
        if spec.bounds is not None and (lo < spec.bounds[0] or hi > spec.bounds[1]):
            raise InputError(f"sweep '{sweep['name']}': range {[lo, hi]} of '{pname}' leaves its bounds {list(spec.bounds)}")
        names.append(pname)
        bounds.append([lo, hi])
    if not names:
        raise InputError(f"sweep '{sweep['name']}' names no parameters")
    return {"num_vars": len(names), "names": names, "bounds": bounds}


def sweep_design(sweep: dict) -> np.ndarray:
    """The design matrix (rows: design points, columns: parameters in the problem's order)."""
    problem = sweep_problem(sweep)
    design = sweep.get("design", "lhs")
    n = int(sweep.get("samples", 64))
    if n < 2:
        raise InputError(f"sweep '{sweep['name']}': samples must be at least 2, got {n}")
    seed = int(sweep.get("design_seed", 1))
    if design == "lhs":
        from SALib.sample import latin

        return latin.sample(problem, n, seed=seed)
    if design == "sobol":
        if n & (n - 1):
            raise InputError(f"sweep '{sweep['name']}': a Sobol design needs samples a power of 2, got {n}")
        from SALib.sample import sobol

        return sobol.sample(problem, n, calc_second_order=False, scramble=True, seed=seed)
    raise InputError(f"sweep '{sweep['name']}': design must be one of {', '.join(DESIGNS)}, got '{design}'")


def _value(spec_value, x: float):
    return int(round(x)) if isinstance(spec_value, int) and not isinstance(spec_value, bool) else float(x)


def sweep_plan(sweep: dict) -> dict:
    from .params import load_registry

    registry = load_registry()
    name = sweep["name"]
    problem = sweep_problem(sweep)
    design = sweep_design(sweep)
    seeds = _seeds(sweep.get("seeds", [1]))
    scenario_file = str(sweep.get("scenario", "baseline"))
    scenario, shash = _scenario(scenario_file)
    specs = []
    for i, row in enumerate(design):
        params = {p: _value(registry[p].value, x) for p, x in zip(problem["names"], row)}
        for seed in seeds:
            spec = {"study": name, "kind": "sweep", "region": str(sweep.get("region", "GM")), "scenario": scenario,
                    "scenario_file": scenario_file, "scenario_hash": shash, "parameters": params, "sample": i, "seed": seed,
                    "years": int(sweep.get("years", 5)), "start_year": int(sweep.get("start", 2024))}
            spec["run_key"] = run_key(spec)
            specs.append(spec)
    return {"study": name, "kind": "sweep", "region": str(sweep.get("region", "GM")), "scenario": scenario,
            "design": sweep.get("design", "lhs"), "samples": int(sweep.get("samples", 64)), "problem": problem,
            "seeds": seeds, "years": int(sweep.get("years", 5)), "start_year": int(sweep.get("start", 2024)),
            "chunks": _chunk(specs, int(sweep.get("runs_per_chunk", 25)))}


def studies(config: dict) -> dict[str, dict]:
    """Every study of a workflow configuration, by name: its plan."""
    out = {}
    for study in config.get("comparisons") or []:
        out[study["name"]] = comparison_plan(study)
    for sweep in config.get("sweeps") or []:
        if sweep["name"] in out:
            raise InputError(f"two studies are named '{sweep['name']}'")
        out[sweep["name"]] = sweep_plan(sweep)
    return out


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
        hint = " (--config gives text: put numbers and lists in a --configfile)" if isinstance(err.instance, str) else ""
        raise WorkflowError(f"experiments configuration, at {where}: {err.message}{hint}")
