"""Do two commits give the same results? Runs every bundled scenario at both and diffs the JSON.

    python benchmarks/compare_commits.py 1db35da HEAD                 # GM and England, seeds 1-2, 2 years
    python benchmarks/compare_commits.py A B --regions GM --years 10 --seeds 1,2,3

Each commit is checked out in a temporary git worktree and run with this environment's Python
(its own package first on the path: ``model`` before the package restructure, ``rccsim`` after).
For each region, scenario and seed it compares the run's metrics (whole run, by year, by LA,
by placement type): identical values pass; a metric one commit has and the other lacks is listed
(a metric added on purpose), a value that differs fails. Exit code 0 when every shared value is
identical, 1 otherwise. Prints one line per run and a summary.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, sys
try:
    from rccsim import Simulation
except ImportError:
    from model import Simulation
region, scenario, years, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
print(Simulation(region=region, scenario=scenario, years=years, seed=seed).run().to_json())
"""


def checkout(commit: str, where: Path) -> Path:
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(where), commit], check=True)
    return where


def scenarios_of(tree: Path) -> list[str]:
    return sorted(p.stem for p in (tree / "experiments" / "scenarios").glob("*.yaml"))


def run(job: tuple) -> tuple:
    tree, region, scenario, years, seed = job
    # the restructured package lives in model/rccsim; before it, the package was model/ itself (whose
    # calendar.py must not shadow the standard library's: only the tree goes on the path then)
    path = str(tree / "model") if (tree / "model" / "rccsim").is_dir() else str(tree)
    out = subprocess.run([sys.executable, "-c", CHILD, region, scenario, str(years), str(seed)], capture_output=True,
                         text=True, env={"PYTHONPATH": path, "PATH": "/usr/bin:/bin", "HOME": str(Path.home())}, cwd=tree)
    if out.returncode != 0:
        return job, None, out.stderr.strip().splitlines()[-1:]
    return job, json.loads(out.stdout)["metrics"], None


def flat(value, prefix: str = "") -> dict:
    out = {}
    if isinstance(value, dict):
        for k, v in value.items():
            out.update(flat(v, f"{prefix}.{k}" if prefix else str(k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.update(flat(v, f"{prefix}[{i}]"))
    else:
        out[prefix] = value
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--regions", default="GM,england")
    ap.add_argument("--years", type=int, default=2)
    ap.add_argument("--seeds", default="1,2")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        trees = {}
        try:
            for label, commit in (("old", args.old), ("new", args.new)):
                trees[label] = checkout(commit, Path(tmp) / label)
            scenarios = sorted(set(scenarios_of(trees["old"])) & set(scenarios_of(trees["new"])))
            jobs = [(trees[label], region, sc, args.years, seed) for region in args.regions.split(",")
                    for sc in scenarios for seed in seeds for label in ("old", "new")]
            with ProcessPoolExecutor(args.jobs) as pool:
                results = {(j[0].name, j[1], j[2], j[4]): (m, err) for j, m, err in pool.map(run, jobs)}
        finally:
            for tree in trees.values():
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False)
    failed = 0
    added_all: set[str] = set()
    for region in args.regions.split(","):
        for sc in scenarios:
            for seed in seeds:
                (old, e_old), (new, e_new) = results[("old", region, sc, seed)], results[("new", region, sc, seed)]
                if e_old or e_new:
                    print(f"{region:8} {sc:18} seed {seed}: ERROR old={e_old} new={e_new}")
                    failed += 1
                    continue
                fo, fn = flat(old), flat(new)
                shared = fo.keys() & fn.keys()
                differ = sorted(k for k in shared if fo[k] != fn[k])
                added = {k.split("[")[0].split(".")[0] for k in fn.keys() - fo.keys()}
                removed = {k.split("[")[0].split(".")[0] for k in fo.keys() - fn.keys()}
                added_all |= added
                status = "identical" if not differ and not removed else f"DIFFERENT ({len(differ)} values)"
                if differ or removed:
                    failed += 1
                print(f"{region:8} {sc:18} seed {seed}: {status}; {len(shared)} values compared"
                      + (f"; first: {differ[0]} {fo[differ[0]]} -> {fn[differ[0]]}" if differ else "")
                      + (f"; removed: {sorted(removed)}" if removed else ""))
    print(f"\n{args.old} -> {args.new}: {len(results) // 2 - failed} of {len(results) // 2} runs identical"
          + (f"; metrics added in {args.new}: {', '.join(sorted(added_all))}" if added_all else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
