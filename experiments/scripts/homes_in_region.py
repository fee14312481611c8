"""Children's homes located in one region, year by year, in a run of that region or of a wider one.

A diagnostic for the regional runs' background (rccsim/core/background.py): it shows whether the homes in
a region hold up the same way when only the region's children are simulated as when all of England
is. It prints, on each 1 April of the run, the open homes in the region (all and independent), their
places, the places filled by simulated children, by the region's own children and by background
children, the region's children in children's homes anywhere, and the open homes, their places and
their background children in all of England.

    python experiments/scripts/homes_in_region.py --run GM --homes-in GM --years 10 --seed 1
    python experiments/scripts/homes_in_region.py --run england --homes-in GM --years 10 --seed 1

No child-level data is printed.
"""

from __future__ import annotations

import argparse

import numpy as np
from _yearly import run_with_yearly
from rccsim.base.codes import UnitType
from rccsim.sim.simulation import Simulation


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", default="GM", help="region simulated (default GM)")
    ap.add_argument("--homes-in", default="GM", help="region whose homes are counted (default GM)")
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    m = Simulation(region=args.run, years=args.years, seed=args.seed).model
    inside = np.zeros(m.geo.n, dtype=bool)
    inside[m.geo.resolve_region(args.homes_in).la_index] = True
    print("day\thomes\tindependent\tplaces\tfilled_simulated\tfilled_own\tfilled_background\t"
          "own_in_homes\thomes_england\tplaces_england\tfilled_background_england")

    def snapshot() -> None:
        u = m.units
        n = u.n
        homes = (u.utype[:n] == UnitType.HOME) & u.open[:n]
        here = homes & inside[np.maximum(u.la[:n], 0)]
        c = m.children
        placed = np.flatnonzero(c.in_care[: c.n] & (c.unit[: c.n] >= 0))
        own = placed[inside[c.la[placed]]]
        own_home = own[homes[c.unit[own]]]
        print(f"{int(m.env.now)}\t{int(here.sum())}\t{int((here & (u.owner_la[:n] < 0)).sum())}\t"
              f"{int(u.places[:n][here].sum())}\t{int(u.occupied[:n][here].sum())}\t"
              f"{int(here[c.unit[own_home]].sum())}\t{int(u.bg_occupied[:n][here].sum())}\t"
              f"{len(own_home)}\t{int(homes.sum())}\t{int(u.places[:n][homes].sum())}\t"
              f"{int(u.bg_occupied[:n][homes].sum())}", flush=True)

    run_with_yearly(m, snapshot)
    snapshot()


if __name__ == "__main__":
    main()
