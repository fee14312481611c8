"""Time reading an SSDA903 return of GM's 10 LAs over 5 years (written by the model).

    python benchmarks/read_ssda903.py [FOLDER]

Writes the return into FOLDER (default results/bench_ssda903) if it is not there, then reads it
and builds the population open on the last 31 March, printing rows, episodes and seconds.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

from rccsim.inputs.geography import load_geography
from rccsim.io import ssda903 as s9
from rccsim.sim.simulation import Simulation


def main(folder: Path) -> None:
    if not any(folder.glob("*episodes.csv")):
        model = Simulation(region="GM", years=5, seed=1).model
        model.run()
        s9.write(model, folder)
    rows = sum(sum(1 for _ in p.open()) - 1 for p in folder.glob("*episodes.csv"))
    geo = load_geography()
    t0 = time.perf_counter()
    ret = s9.read(folder, geo=geo)
    t1 = time.perf_counter()
    last = max(int(p.name.split("_")[1]) for p in folder.glob("ssda903_*_episodes.csv"))
    pop, _ = s9.population_at(ret, dt.date(last, 3, 31), geo=geo)
    t2 = time.perf_counter()
    print(f"{rows:,} episode rows in {len(list(folder.glob('*.csv')))} files; {len(ret.episodes):,} distinct episodes, "
          f"{len(ret.header):,} children; read and checked in {t1 - t0:.2f} s; "
          f"population on 31 March {last} ({len(pop):,} children) in {t2 - t1:.2f} s")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("results/bench_ssda903"))
