"""Speed and memory of whole runs: wall time (build and simulation) and peak memory, per case.

Each case runs in its own process so that its peak resident memory is its own.

    python benchmarks/run_benchmarks.py                  # GM, SE and England, 10 years, seed 1
    python benchmarks/run_benchmarks.py --cases GM:10 england:10 --repeat 3

Targets (issue 2): England 10 years under 60 s and 2 GB on a 2-core machine; a region in a few seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
from model import Simulation
t1 = time.perf_counter()
model = Simulation(region=sys.argv[1], years=int(sys.argv[2]), seed=int(sys.argv[3]), verbose=False)
t2 = time.perf_counter()
result = model.run()
t3 = time.perf_counter()
m = result.to_dict()["metrics"]
print(json.dumps({"import_s": t1 - t0, "build_s": t2 - t1, "run_s": t3 - t2,
                  "children": int(model.children.n), "stock_end": m["children_in_care_end"],
                  "code_version": result.to_dict()["code_version"]}))
"""


def run_case(region: str, years: int, seed: int) -> dict:
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, region, str(years), str(seed)], stdout=subprocess.PIPE, text=True
    )
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"benchmark case {region}:{years} failed with exit code {proc.returncode}")
    record = json.loads(out)
    record.update(region=region, years=years, seed=seed, wall_s=wall, peak_rss_mb=usage.ru_maxrss / 1024)
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", default=["GM:10", "SE:10", "england:10"], help="REGION:YEARS")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print records as JSON lines")
    args = parser.parse_args()
    print(f"# {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs", flush=True)
    print(f"{'case':<14}{'build s':>9}{'run s':>9}{'wall s':>9}{'peak MB':>9}{'children':>10}", flush=True)
    for case in args.cases:
        region, _, years = case.partition(":")
        for _ in range(args.repeat):
            r = run_case(region, int(years or 10), args.seed)
            if args.json:
                print(json.dumps(r), flush=True)
            else:
                print(
                    f"{case:<14}{r['build_s']:>9.1f}{r['run_s']:>9.1f}{r['wall_s']:>9.1f}"
                    f"{r['peak_rss_mb']:>9.0f}{r['children']:>10,}",
                    flush=True,
                )
    print(f"# {r['code_version']}")


if __name__ == "__main__":
    main()
