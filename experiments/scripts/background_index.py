"""Write the England index of background demand (calibration/data/derived/background_index.csv).

A regional run stands in for other LAs' children with a background (rccsim/core/background.py) whose
demand, in each unit type (agency foster care, children's homes, supported accommodation) and
region, follows what an all-England baseline run gives: the children placed in those independent
places at the end of each run year, relative to the start, averaged over seeds. This script runs
those England baselines with the installed parameters, for the start years regional runs use
(2022: the held-out GM validation; 2024: the default), and writes the index with the parameter
hash it was made with. tests/test_background.py fails when the installed parameters change and the
index was not written again:

    python experiments/scripts/background_index.py            # about a minute on 2 cores

Only aggregate counts are written; no child-level data.
"""

from __future__ import annotations

import argparse
import datetime as dt
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from rccsim.base.codes import UnitType
from rccsim.base.paths import data_dir
from rccsim.base.version import code_version
from rccsim.core.background import INDEX_FILE
from rccsim.inputs.params import ParamSet

RUNS = {2022: 12, 2024: 10}  # start year: years (both to 2034)
MIN_CHILDREN = 20  # a group with fewer at the start takes its unit type's national index


def _counts(job: tuple[int, int, int]) -> np.ndarray:
    from rccsim.sim.simulation import Simulation

    start, years, seed = job
    m = Simulation(region="england", years=years, seed=seed, start_year=start).model
    rows = [m.background.occupied_by_group()]
    m.run()
    rows += [np.asarray(s["independent_by_group"], dtype=float) for s in m.recorder.snapshots]
    return np.array(rows)  # (years + 1, N_GROUPS)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="1,2")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    jobs = [(start, years, seed) for start, years in RUNS.items() for seed in seeds]
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(_counts, jobs))
    from rccsim.inputs.geography import load_geography

    regions = load_geography().las.region_name.astype("category").cat.categories
    lines = []
    for start, years in RUNS.items():
        counts = np.mean([r for (s, _, _), r in zip(jobs, results) if s == start], axis=0)
        for utype in (UnitType.FOSTER, UnitType.HOME, UnitType.SUPPORTED):
            cols = utype * 100 + np.arange(len(regions))
            national = counts[:, cols].sum(axis=1) / max(counts[0, cols].sum(), 1.0)
            for r, col in enumerate(cols):
                base = counts[0, col]
                idx = counts[:, col] / base if base >= MIN_CHILDREN else national
                for year in range(years + 1):
                    lines.append(f"{start},{year},{utype},{r},{regions[r]},{idx[year]:.4f},{counts[year, col]:.1f}")
    path = data_dir() / "derived" / INDEX_FILE
    header = [
        "# England index of background demand: children in independent places of each unit type and region,",
        "# all-England baseline runs, end of each run year over the start (mean of seeds); rccsim/core/background.py",
        f"# parameter_hash: {ParamSet.defaults().digest()}",
        f"# code_version: {code_version()}; seeds: {args.seeds}; written {dt.date.today().isoformat()}",
        "# by: python experiments/scripts/background_index.py",
        "start_year,year,unit_type,region_code,region,index,children",
    ]
    path.write_text("\n".join(header + lines) + "\n")
    print(f"wrote {path} ({len(lines)} rows)")


if __name__ == "__main__":
    main()
