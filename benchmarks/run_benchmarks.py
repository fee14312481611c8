"""Speed and memory of whole runs: wall time (build and simulation) and peak memory, per case.

Each case runs in its own process so that its peak resident memory is its own.

    python benchmarks/run_benchmarks.py                  # GM, SE, England and GM inside England, 10 years, seed 1, 3 repeats
    python benchmarks/run_benchmarks.py --cases GM:10 england:10 --repeat 1

Writes the records to benchmarks/results/latest.json, from which ``rccsim docs`` makes the
manual's performance page (docs/performance.md), and times ``rccsim --help``.
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
from rccsim import Simulation
t1 = time.perf_counter()
sim = Simulation(region=sys.argv[1], years=int(sys.argv[2]), seed=int(sys.argv[3]), verbose=False)
model = sim.model
t2 = time.perf_counter()
result = sim.run().record
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


def startup_seconds(repeat: int) -> float:
    """Median wall time of ``rccsim --help`` in a fresh process."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "rccsim", "--help"], capture_output=True, check=True)
        times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2]


def main() -> None:
    import datetime as dt
    from pathlib import Path

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", default=["GM:10", "SE:10", "england:10", "GM in england:10"],
                        help="REGION:YEARS")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print records as JSON lines")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "latest.json",
                        help="write the records here for rccsim docs (default benchmarks/results/latest.json)")
    args = parser.parse_args()
    machine = f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs"
    print(f"# {machine}", flush=True)
    print(f"{'case':<18}{'build s':>9}{'run s':>9}{'wall s':>9}{'peak MB':>9}{'children':>10}", flush=True)
    records = []
    for case in args.cases:
        region, _, years = case.partition(":")
        for _ in range(args.repeat):
            r = run_case(region, int(years or 10), args.seed)
            r["case"] = case
            records.append(r)
            if args.json:
                print(json.dumps(r), flush=True)
            else:
                print(
                    f"{case:<18}{r['build_s']:>9.1f}{r['run_s']:>9.1f}{r['wall_s']:>9.1f}"
                    f"{r['peak_rss_mb']:>9.0f}{r['children']:>10,}",
                    flush=True,
                )
    startup = startup_seconds(args.repeat)
    print(f"# rccsim --help: {startup:.2f} s (median of {args.repeat})")
    print(f"# {records[-1]['code_version']}")
    doc = {"date": dt.date.today().isoformat(), "code_version": records[-1]["code_version"], "machine": machine,
           "records": records, "startup": {"rccsim --help, wall s (median)": round(startup, 3)}}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"# wrote {args.out}")


if __name__ == "__main__":
    main()
