"""Time the experiment workflow: wall time, runs stored and runs per hour.

    python benchmarks/time_workflow.py                                    # the default report (GM, all scenarios)
    python benchmarks/time_workflow.py --configfile experiments/sweeps/gm_sobol.yaml   # the 1,024-run sweep
    python benchmarks/time_workflow.py --configfile tests/workflow/tiny.yaml          # seconds

Runs ``snakemake --cores N`` with the given configuration in a fresh scratch folder (so nothing
already finished is reused), then reads the runs from the results database it wrote. Prints one
line per study and the totals.
"""

from __future__ import annotations

import argparse
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--configfile", type=Path, default=ROOT / "experiments" / "config.yaml")
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--keep", type=Path, help="scratch folder to use and keep (default: a temporary one, removed)")
    args = ap.parse_args()
    config = args.configfile.resolve()
    with tempfile.TemporaryDirectory(prefix="rccsim-wf-") as tmp:
        work = args.keep.resolve() if args.keep else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(work), "--configfile", str(config),
               "--cores", str(args.cores), "--quiet", "progress"]
        print(f"snakemake --cores {args.cores} --configfile {config.relative_to(ROOT) if config.is_relative_to(ROOT) else config}"
              f" in {work}", flush=True)
        t0 = time.perf_counter()
        out = subprocess.run(cmd, cwd=ROOT)
        wall = time.perf_counter() - t0
        if out.returncode != 0:
            print(f"the workflow failed (exit {out.returncode}) after {wall:.0f}s", file=sys.stderr)
            return 1
        con = sqlite3.connect(work / "results" / "rccsim.sqlite")
        rows = con.execute("SELECT study, COUNT(*), AVG(wall_seconds) FROM runs GROUP BY study ORDER BY study").fetchall()
        con.close()
        total = sum(n for _, n, _ in rows)
        for study, n, secs in rows:
            print(f"  {study}: {n} runs, {secs:.1f} s per run")
        print(f"wall {wall / 60:.1f} min ({wall:.0f} s) for {total} runs: {total / wall * 3600:,.0f} runs per hour "
              f"on {args.cores} cores (report and analysis included)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
