"""Mean price paid over the local list price, by unit type, in independent provision of a run.

Background children (other LAs' children in a regional run, see rccsim/core/background.py) are not
simulated one by one, so what they pay a provider is the local list price times a ratio: the
parameter ``background.price_over_list_by_unit_type``. This script measures that ratio where every
child is simulated, in an all-England run: on each 1 April after the start, the prices of the
children placed in independent units of each type (their needs, the scarcity markups and the
negotiation all count) over the list prices of those units' pools; it prints the yearly ratios and
their mean over the run's years after the first.

    python experiments/scripts/price_over_list.py --region england --years 10 --seed 1

No child-level data is printed.
"""

from __future__ import annotations

import argparse

import numpy as np
from _yearly import run_with_yearly
from rccsim.base.codes import Sector, UnitType
from rccsim.sim.simulation import Simulation


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--region", default="england")
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    m = Simulation(region=args.region, years=args.years, seed=args.seed).model
    types = (UnitType.FOSTER, UnitType.HOME, UnitType.SUPPORTED)
    rows = []
    print("day\t" + "\t".join(UnitType.NAMES[t] for t in types))

    def snapshot() -> None:
        u, c = m.units, m.children
        placed = np.flatnonzero(c.in_care[: c.n] & (c.unit[: c.n] >= 0))
        unit = c.unit[placed]
        ratios = []
        for t in types:
            sel = (u.utype[unit] == t) & (u.sector[unit] != Sector.LA) & ~u.kinship[unit]
            listed = m.market.list_price[u.pool[unit[sel]]].sum()
            ratios.append(float(c.price[placed[sel]].sum() / listed) if listed > 0 else float("nan"))
        rows.append(ratios)
        print(f"{int(m.env.now)}\t" + "\t".join(f"{r:.3f}" for r in ratios), flush=True)

    run_with_yearly(m, snapshot)
    later = np.array(rows[1:])
    print("mean over years 1 on\t" + "\t".join(f"{r:.3f}" for r in np.nanmean(later, axis=0)))


if __name__ == "__main__":
    main()
