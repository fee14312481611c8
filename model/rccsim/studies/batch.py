"""Run one chunk of a plan: several runs in one process, one output file.

    rccsim batch PLAN.json --chunk c003 --out results/studies/gm/chunks/c003.jsonl

Each finished run is appended at once to ``<out>.partial`` (a JSON line, flushed to disk), and the
chunk file appears, whole, only when every run of the chunk is done (written aside and renamed).
A job killed half-way therefore leaves no chunk file (so the workflow re-runs it) but keeps the
runs it finished: the re-run takes them from the partial file instead of running them again.

The plan and every run of the chunk are checked before the first run starts (fields and their types,
regions, scenarios, parameters, start years): a bad chunk is one line and exit code 2, with nothing
run or written.

Records carry aggregates and provenance only (``rccsim/outputs/record.py``), never child-level data.
"""

from __future__ import annotations

import base64
import json
import math
import os
import sys
import time
from pathlib import Path

from rccsim.base.errors import InputError
from rccsim.base.files import write_text_atomic
from rccsim.base.version import code_version
from rccsim.inputs.geography import load_geography
from rccsim.inputs.params import resolve_parameters
from rccsim.inputs.published import check_start_year
from rccsim.io.store import MAX_SEED, Run, now
from rccsim.sim.scenario import load_scenario
from rccsim.studies import uncertainty
from rccsim.studies.harness import RunSpec, run_group


def read_plan(path: Path) -> dict:
    """A plan file, checked: a study name and its chunks (chunk id: list of runs)."""
    try:
        plan = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise InputError(f"plan file not found: {path}") from None
    except IsADirectoryError:
        raise InputError(f"plan file {path} is a folder") from None
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        raise InputError(f"plan file {path} is not JSON (re-run the workflow's plan job)") from None
    if not isinstance(plan, dict):
        raise InputError(f"plan file {path} is not a plan: a JSON object with 'study' and 'chunks' (re-run the workflow's plan job)")
    if not isinstance(plan.get("study"), str) or not plan["study"]:
        raise InputError(f"plan file {path} names no study (re-run the workflow's plan job)")
    chunks = plan.get("chunks")
    if not isinstance(chunks, dict) or not chunks:
        raise InputError(f"plan file {path} has no chunks: 'chunks' must map chunk ids to lists of runs "
                         "(re-run the workflow's plan job)")
    return plan


SPEC_TEXT = ("run_key", "study", "region", "scenario")


def spec_problem(spec) -> str | None:
    """What is wrong with one run of a chunk (its fields and their types), or None."""

    if not isinstance(spec, dict):
        return f"is a JSON {type(spec).__name__}, not an object"
    for name in SPEC_TEXT:
        if name not in spec:
            return f"lacks '{name}'"
        if not isinstance(spec[name], str) or not spec[name].strip():
            return f"'{name}' must be text, got {spec[name]!r}"[:200]
        limit = getattr(Run.__table__.c[name].type, "length", None)
        if limit and len(spec[name]) > limit:
            return f"'{name}' is longer than {limit} characters"
    if spec.get("kind") not in ("compare", "sweep"):
        return f"'kind' must be compare or sweep, got {spec.get('kind')!r}"[:200]
    if "scenario_file" in spec and (not isinstance(spec["scenario_file"], str) or not spec["scenario_file"].strip()):
        return f"'scenario_file' must be text, got {spec['scenario_file']!r}"[:200]
    for name, lo, hi in (("seed", 0, MAX_SEED), ("years", 1, 50), ("start_year", None, None)):
        if name not in spec:
            return f"lacks '{name}'"
        value = spec[name]
        if not isinstance(value, int) or isinstance(value, bool) or (lo is not None and not lo <= value <= hi):
            bounds = f" from {lo} to {hi}" if lo is not None else ""
            return f"'{name}' must be a whole number{bounds}, got {value!r}"[:200]
    sample = spec.get("sample")
    if spec["kind"] == "sweep" and (not isinstance(sample, int) or isinstance(sample, bool) or sample < 0):
        return f"'sample' (a sweep's design point) must be a non-negative whole number, got {sample!r}"[:200]
    if sample is not None and (not isinstance(sample, int) or isinstance(sample, bool) or not 0 <= sample <= 2**31 - 1):
        return f"'sample' must be empty or a non-negative whole number, got {sample!r}"[:200]
    params = spec.get("parameters", {})
    if params is not None and (not isinstance(params, dict) or not all(isinstance(k, str) for k in params)):
        return "'parameters' must be an object (parameter name: value)"
    draw = spec.get("draw")
    if draw is not None and (not isinstance(draw, dict) or not all(
            isinstance(k, str) and isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
            for k, v in draw.items())):
        return "'draw' must be an object (assumption name: number)"
    return None


def check_specs(specs, where: str) -> list[dict]:
    """A chunk's runs, checked before any of them runs (and before anything is written): each has
    every field of the right type; their regions, scenarios, parameters and start years exist."""

    if not isinstance(specs, list):
        raise InputError(f"{where}: the runs must be a list, got a JSON {type(specs).__name__}")
    if not specs:
        raise InputError(f"{where}: no runs")
    seen = set()
    for i, spec in enumerate(specs, start=1):
        problem = spec_problem(spec)
        if problem:
            key = spec.get("run_key") if isinstance(spec, dict) and isinstance(spec.get("run_key"), str) else None
            raise InputError(f"{where}, run {i}{f' ({key})' if key else ''}: {problem}")
        if spec["run_key"] in seen:
            raise InputError(f"{where}: run key {spec['run_key']} appears twice")
        seen.add(spec["run_key"])
    geo = load_geography()
    regions, scenarios = set(), {}
    for i, spec in enumerate(specs, start=1):  # what a run would stop on, checked now: nothing has run yet
        name = spec.get("scenario_file", spec["scenario"])
        try:
            check_start_year(spec["start_year"])
            if spec["region"] not in regions:
                geo.resolve_region(spec["region"])
                regions.add(spec["region"])
            if name not in scenarios:
                scenarios[name] = load_scenario(name)
            scen = scenarios[name]
            if spec.get("parameters"):
                scen = scen.model_copy(update={"parameters": {**scen.parameters, **spec["parameters"]}})
            if "draw" in spec:
                scen = uncertainty.apply(scen, spec["draw"])
            resolve_parameters(scen)
        except InputError as exc:
            raise InputError(f"{where}, run {i} ({spec['run_key']}): {exc}") from None
    return specs


def run_spec_of(spec: dict):
    """The harness's description of a plan's run."""

    scenario = spec.get("scenario_file") or spec["scenario"]
    if "draw" in spec:  # the seed's draw of the assumptions (rccsim.studies.uncertainty)
        return RunSpec(region=spec["region"], scenario=uncertainty.apply(load_scenario(scenario), spec["draw"]),
                       years=int(spec["years"]), seed=int(spec["seed"]), start_year=int(spec["start_year"]),
                       parameters=dict(spec.get("parameters") or {}), tag=spec["run_key"], variant="drawn")
    return RunSpec(region=spec["region"], scenario=scenario, years=int(spec["years"]),
                   seed=int(spec["seed"]), start_year=int(spec["start_year"]), parameters=dict(spec.get("parameters") or {}),
                   tag=spec["run_key"])


def record_of(spec: dict, run) -> dict:
    """A finished run of a plan as its chunk-file record: the run record and where it came from."""
    import datetime as dt

    record = run.result.to_dict()
    record.update({
        "run_key": spec["run_key"], "study": spec["study"], "kind": spec["kind"], "sample": spec.get("sample"),
        "parameters": spec.get("parameters", {}),
        "started_at": dt.datetime.fromtimestamp(run.started, dt.UTC).replace(microsecond=0).isoformat(),
        "finished_at": now(), "wall_seconds": round(run.seconds, 3),
    })
    return record


def run_spec(spec: dict) -> dict:
    """One run of a plan, alone: its record."""

    return record_of(spec, run_group([run_spec_of(spec)])[0])


def _finished(partial: Path, keys: set[str]) -> dict[str, dict]:
    """Runs a killed job had finished (whole lines only; a torn last line is ignored)."""

    done = {}
    if not partial.exists():
        return done
    for line in partial.read_text().splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if rec.get("run_key") in keys and rec.get("code_version") == code_version():
            done[rec["run_key"]] = rec
    return done


def encode_specs(specs: list[dict]) -> str:
    """A chunk's runs as one shell-safe word (the workflow passes them to ``rccsim batch --specs``)."""
    return base64.urlsafe_b64encode(json.dumps(specs, separators=(",", ":"), sort_keys=True).encode()).decode()


def decode_specs(text: str) -> list[dict]:
    """The runs of ``--specs``, checked (:func:`check_specs`)."""
    try:
        specs = json.loads(base64.urlsafe_b64decode(text.encode()))
    except (ValueError, RecursionError):  # not base64, not UTF-8, not JSON
        raise InputError("--specs is not a chunk's runs as the workflow encodes them") from None
    return check_specs(specs, "--specs")


def specs_digest(specs: list[dict]) -> str:
    """A short hash of a chunk's runs (the workflow names their file by it)."""
    import hashlib

    return hashlib.sha256(json.dumps(specs, separators=(",", ":"), sort_keys=True).encode()).hexdigest()[:12]


def write_specs_file(specs: list[dict], path: str | Path) -> None:
    """Write a chunk's runs to ``path``, whole or not at all: the workflow gives rccsim batch the
    file, not the runs, on its command line."""
    write_text_atomic(Path(path), json.dumps(specs, separators=(",", ":"), sort_keys=True))


def read_specs_file(path: Path) -> list[dict]:
    """The runs of ``--specs-file``, checked (:func:`check_specs`)."""
    try:
        specs = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"--specs-file {path}: no such file") from None
    except (OSError, ValueError, RecursionError) as exc:
        raise InputError(f"--specs-file {path} is not a chunk's runs as the workflow writes them ({type(exc).__name__})") from None
    return check_specs(specs, f"--specs-file {path}")


def run_chunk(plan_path: Path | None, chunk: str, out: Path, quiet: bool = False, specs: list[dict] | None = None) -> int:
    if specs is None:
        plan = read_plan(plan_path)
        specs = plan["chunks"].get(chunk)
        if specs is None:
            raise InputError(f"plan {plan_path} has no chunk '{chunk}' (chunks {', '.join(sorted(plan['chunks']))[:80]}...)")
        study = plan["study"]
        check_specs(specs, f"plan {plan_path}, chunk {chunk}")
    else:
        check_specs(specs, "--specs")
        study = specs[0]["study"]
    plan = {"study": study}
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    done = _finished(partial, {s["run_key"] for s in specs})
    # rewrite the partial file with whole lines only (aside, then renamed: a kill now loses nothing)
    tmp_partial = partial.with_name(f".{partial.name}.tmp")
    with open(tmp_partial, "w") as fh:
        for rec in done.values():
            fh.write(json.dumps(rec, separators=(",", ":")) + "\n")
    tmp_partial.replace(partial)
    t0 = time.perf_counter()
    todo = [s for s in specs if s["run_key"] not in done]
    if not quiet and done:
        print(f"[{plan['study']} {chunk}] {len(done)} of {len(specs)} runs already finished by an earlier attempt",
              file=sys.stderr, flush=True)

    # seed by seed through the run harness (a seed's scenarios share their start state, and the
    # baseline's placements give the others their counterfactual); a run is written as it finishes
    # (as set or under drawn assumptions: each variant's runs take their counterfactual from its own
    # baseline)
    groups: dict[tuple, list[dict]] = {}
    for spec in specs:
        g = run_spec_of(spec).group()
        groups.setdefault((*g[:4], g[5]), []).append(spec)
    count = 0
    with open(partial, "a") as fh:
        for group in groups.values():
            todo_g = [s for s in group if s["run_key"] not in done]
            if not todo_g:
                continue
            # an earlier attempt's baseline is run again (not written) for the others' counterfactual
            helper = [s for s in group if s["run_key"] in done and s["scenario"] == "baseline"]
            batch = helper[:1] + todo_g
            n_helper = len(batch) - len(todo_g)

            def write(i, run, batch=batch, n_helper=n_helper):
                nonlocal count
                if i < n_helper:
                    return
                spec = batch[i]
                rec = record_of(spec, run)
                fh.write(json.dumps(rec, separators=(",", ":")) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
                done[spec["run_key"]] = rec
                count += 1
                if not quiet:
                    secs = time.perf_counter() - t0
                    eta = secs / count * (len(todo) - count)
                    label = spec["scenario"] if spec["kind"] == "compare" else f"sample {spec['sample']}"
                    print(f"[{plan['study']} {chunk}] run {count}/{len(todo)}: {label}, seed {spec['seed']} "
                          f"({rec['wall_seconds']:.1f}s; chunk ETA {eta:.0f}s)", file=sys.stderr, flush=True)

            run_group([run_spec_of(s) for s in batch], on_run=write)
    tmp = out.with_name(f".{out.name}.tmp")
    with open(tmp, "w") as fh:
        for spec in specs:  # plan order, whatever order the attempts finished in
            fh.write(json.dumps(done[spec["run_key"]], separators=(",", ":")) + "\n")
    tmp.replace(out)
    partial.unlink(missing_ok=True)
    return 0


def progress_lines(results: Path = Path("results")) -> list[str]:
    """Runs finished per study of a workflow, from its chunk files, with the pace and an ETA."""
    import datetime as dt

    plans = sorted(Path(results).glob("studies/*/plan.json"))
    if not plans:
        return [f"no study plans yet under {results}/studies: the workflow writes them in its first seconds "
                "(start it with snakemake --cores 2)"]
    lines = []
    for path in plans:
        try:
            plan = read_plan(path)
        except InputError as exc:
            lines.append(f"{path}: {exc}")
            continue
        keys = {s.get("run_key") for c in plan["chunks"].values() if isinstance(c, list) for s in c if isinstance(s, dict)}
        keys.discard(None)
        total = len(keys)
        chunk_dir = path.parent / "chunks"
        seen: dict[str, tuple] = {}
        for f in list(chunk_dir.glob("*.jsonl")) + list(chunk_dir.glob("*.jsonl.partial")):
            try:
                text = f.read_text()
            except FileNotFoundError:  # a chunk finished (its partial file removed) meanwhile
                continue
            for line in text.splitlines():
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if rec.get("run_key") in keys:  # runs of this plan only, each once
                    seen[rec["run_key"]] = (rec.get("started_at"), rec.get("finished_at"))
        done, stamps = len(seen), list(seen.values())
        text = f"{plan['study']} ({plan.get('kind', '?')}, {plan.get('region', '?')}): {done}/{total} runs ({100 * done / max(total, 1):.0f}%)"
        stamps = [(a, b) for a, b in stamps if a and b]
        if len(stamps) >= 2 and done < total:
            first = min(dt.datetime.fromisoformat(a) for a, _ in stamps)
            last = max(dt.datetime.fromisoformat(b) for _, b in stamps)
            hours = max((last - first).total_seconds() / 3600.0, 1e-9)
            rate = done / hours
            text += f", {rate:,.0f} runs per hour, about {(total - done) / rate * 60:,.0f} minutes to go"
        loaded = path.parent / "loaded.json"
        if loaded.exists():
            text += "; in the database"
        lines.append(text)
    return lines
