"""Does a regional run treat the region's children as an all-England run does?

A regional run simulates only the region's children; other LAs' children are a background
(rccsim/core/background.py). This script runs the region alone and all of England on the same seeds and
prints, at the end of each run, the same figures for the region's children and the region's homes,
side by side, and their means over seeds. Where the background stands in well for the rest of
England, the two columns agree within the spread between seeds.

    python experiments/scripts/background_check.py --region GM --seeds 1,2,3 --years 10

An all-England 10-year run takes about half a minute a seed. No child-level data is printed.
"""

from __future__ import annotations

import argparse

import numpy as np
from rccsim.base.codes import Kind, UnitType
from rccsim.core.engine import CareMarket
from rccsim.sim.simulation import Simulation

FIGURES = ("children", "share_residential", "share_ifa", "share_out_of_la", "share_over_20_miles",
           "mean_distance_miles", "mean_weekly_price_home_gbp", "homes_in_region", "own_in_region_homes",
           "others_in_region_homes", "homes_england", "unregistered_4w_a_year")


def figures(m: CareMarket, inside: np.ndarray) -> dict:
    """End-of-run figures for the children of LAs ``inside`` and the homes located there."""
    c, u = m.children, m.units
    n = c.n
    ids = np.flatnonzero(c.in_care[:n] & inside[c.la[:n]])
    placed = ids[c.unit[ids] >= 0]
    kind = c.kind[ids]
    home = ids[kind == Kind.HOME_IND]
    un = u.n
    homes = u.open[:un] & (u.utype[:un] == UnitType.HOME)
    here = homes & inside[np.maximum(u.la[:un], 0)]
    unit = c.unit[placed]
    own_here = int((homes[unit] & here[unit]).sum())
    return {
        "children": len(ids),
        "share_residential": float(np.isin(kind, (Kind.HOME_LA, Kind.HOME_IND)).mean()),
        "share_ifa": float((kind == Kind.FOSTER_IFA).mean()),
        "share_out_of_la": float((u.la[unit] != c.la[placed]).mean()),
        "share_over_20_miles": float((c.distance[placed] > 20.0).mean()),
        "mean_distance_miles": float(c.distance[placed].mean()),
        "mean_weekly_price_home_gbp": float(c.price[home].mean()) if len(home) else float("nan"),
        "homes_in_region": int(here.sum()),
        "own_in_region_homes": own_here,
        "others_in_region_homes": int(u.occupied[:un][here].sum() + u.bg_occupied[:un][here].sum()) - own_here,
        "homes_england": int(homes.sum()),
        "unregistered_4w_a_year": unregistered_4w_a_year(m, inside),
    }


def unregistered_4w_a_year(m: CareMarket, inside: np.ndarray) -> float:
    """Children of LAs ``inside`` with four weeks or more in emergency or unregistered settings in a
    run year, the mean over the run's years (the run's children_unregistered_4w, for these LAs)."""
    c, log = m.children, m.recorder.placements
    k = log.n
    child = log.child[:k].astype(np.int64)
    start = log.start[:k].astype(np.int64)
    end = np.minimum(log.end[:k].astype(np.int64), m.horizon)
    unreg = inside[c.la[child]] & (log.kind[:k] == Kind.UNREGISTERED)
    counts = []
    for y0, y1 in zip(m.year_bounds[:-1], m.year_bounds[1:]):
        days = np.maximum(np.minimum(end, y1) - np.maximum(start, y0), 0)
        sel = unreg & (days > 0)
        counts.append(int((np.bincount(child[sel], days[sel], minlength=c.n) >= 28).sum()))
    return float(np.mean(counts))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--region", default="GM")
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--years", type=int, default=10)
    args = ap.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    out = {"region": [], "england": []}
    for seed in seeds:
        for run in ("region", "england"):
            m = Simulation(region=args.region if run == "region" else "england", years=args.years, seed=seed).model
            inside = np.zeros(m.geo.n, dtype=bool)
            inside[m.geo.resolve_region(args.region).la_index] = True
            m.run()
            out[run].append(figures(m, inside))
            print(f"seed {seed} {run} run done", flush=True)
    print(f"\n{args.region}'s children and homes after {args.years} years: {args.region} run vs all-England run")
    print(f"{'figure':28s}" + "".join(f"{'seed ' + str(s):>22s}" for s in seeds) + f"{'mean':>22s}")
    for f in FIGURES:
        cells = [(out["region"][i][f], out["england"][i][f]) for i in range(len(seeds))]
        cells.append((np.mean([a for a, _ in cells]), np.mean([b for _, b in cells])))
        fmt = (lambda v: f"{v:.3f}") if f.startswith("share") else (lambda v: f"{v:,.0f}")
        print(f"{f:28s}" + "".join(f"{fmt(a) + ' / ' + fmt(b):>22s}" for a, b in cells))


if __name__ == "__main__":
    main()
