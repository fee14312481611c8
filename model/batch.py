"""Run one chunk of a plan: several runs in one process, one output file.

    rccsim batch PLAN.json --chunk c003 --out results/studies/gm/chunks/c003.jsonl

Each finished run is appended at once to ``<out>.partial`` (a JSON line, flushed to disk), and the
chunk file appears, whole, only when every run of the chunk is done (written aside and renamed).
A job killed half-way therefore leaves no chunk file (so the workflow re-runs it) but keeps the
runs it finished: the re-run takes them from the partial file instead of running them again.

Records carry aggregates and provenance only (``model/results.py``), never child-level data.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import time
from pathlib import Path

from .errors import InputError
from .store import now


def read_plan(path: Path) -> dict:
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise InputError(f"plan file not found: {path}") from None
    except json.JSONDecodeError:
        raise InputError(f"plan file {path} is not JSON (re-run the workflow's plan job)") from None


def run_spec(spec: dict) -> dict:
    """One run of a plan: its result record."""
    from .engine import CareMarket
    from .params import load_scenario

    scenario = load_scenario(spec.get("scenario_file", spec["scenario"]))
    if spec.get("parameters"):
        scenario = scenario.model_copy(update={"parameters": {**scenario.parameters, **spec["parameters"]}})
    started = now()
    t0 = time.perf_counter()
    model = CareMarket(region=spec["region"], scenario=scenario, years=int(spec["years"]), seed=int(spec["seed"]),
                       start_year=int(spec["start_year"]))
    result = model.run()
    record = result.to_dict()
    record.update({
        "run_key": spec["run_key"], "study": spec["study"], "kind": spec["kind"], "sample": spec.get("sample"),
        "parameters": spec.get("parameters", {}), "started_at": started, "finished_at": now(),
        "wall_seconds": round(time.perf_counter() - t0, 3),
    })
    return record


def _finished(partial: Path, keys: set[str]) -> dict[str, dict]:
    """Runs a killed job had finished (whole lines only; a torn last line is ignored)."""
    from .results import code_version

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
    try:
        specs = json.loads(base64.urlsafe_b64decode(text.encode()))
    except (ValueError, json.JSONDecodeError):
        raise InputError("--specs is not a chunk's runs as the workflow encodes them") from None
    if not isinstance(specs, list) or not all(isinstance(s, dict) and "run_key" in s for s in specs):
        raise InputError("--specs is not a chunk's runs as the workflow encodes them")
    return specs


def run_chunk(plan_path: Path | None, chunk: str, out: Path, quiet: bool = False, specs: list[dict] | None = None) -> int:
    if specs is None:
        plan = read_plan(plan_path)
        specs = plan["chunks"].get(chunk)
        if specs is None:
            raise InputError(f"plan {plan_path} has no chunk '{chunk}' (chunks {', '.join(sorted(plan['chunks']))[:80]}...)")
        study = plan["study"]
    else:
        study = specs[0]["study"] if specs else "?"
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
    with open(partial, "a") as fh:
        for i, spec in enumerate(todo, start=1):
            rec = run_spec(spec)
            fh.write(json.dumps(rec, separators=(",", ":")) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
            done[spec["run_key"]] = rec
            if not quiet:
                secs = time.perf_counter() - t0
                eta = secs / i * (len(todo) - i)
                label = spec["scenario"] if spec["kind"] == "compare" else f"sample {spec['sample']}"
                print(f"[{plan['study']} {chunk}] run {i}/{len(todo)}: {label}, seed {spec['seed']} "
                      f"({rec['wall_seconds']:.1f}s; chunk ETA {eta:.0f}s)", file=sys.stderr, flush=True)
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
        plan = read_plan(path)
        keys = {s["run_key"] for c in plan["chunks"].values() for s in c}
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
        text = f"{plan['study']} ({plan['kind']}, {plan['region']}): {done}/{total} runs ({100 * done / max(total, 1):.0f}%)"
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
