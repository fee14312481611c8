"""Write the England index of background demand (calibration/data/derived/background_index.csv).

A regional run stands in for other LAs' children with a background (rccsim/core/background.py) whose
demand, in each unit type (agency foster care, children's homes, supported accommodation), need level and
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
from rccsim.base.tables import weighted_bincount
from rccsim.base.version import code_version
from rccsim.core.background import INDEX_FILE, OWN_INDEX_FILE, START_FILE, outsiders_by_unit_type
from rccsim.inputs.params import ParamSet

RUNS = {2022: 12, 2024: 10}  # start year: years (both to 2034)
MIN_CHILDREN = 20  # a group with fewer at the start takes its unit type's national index


def named_regions() -> list[str]:
    """The regions whose own LAs' background gets an index of its own: the pathfinders, their
    members and the English regions (labels as ``Geography.resolve_region`` gives them)."""
    from rccsim.inputs.geography import PATHFINDERS, load_geography

    geo = load_geography()
    return [*PATHFINDERS, *(f"{k} members" for k in PATHFINDERS), *geo.region_names]


def _counts(job: tuple[int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    from rccsim.sim.simulation import Simulation

    start, years, seed = job
    m = Simulation(region="england", years=years, seed=seed, start_year=start).model
    masks = []
    for name in named_regions():
        mask = np.zeros(m.geo.n, dtype=bool)
        mask[m.geo.resolve_region(name).la_index] = True
        masks.append(mask)

    def outsiders():
        return np.array([outsiders_by_unit_type(m, mask) for mask in masks])  # (regions, 2, 9)

    u, bg = m.units, m.background

    def cells_now() -> np.ndarray:
        """By unit type * 3 + need level of the independent units: places available, places taken,
        the prices paid and their pools' list prices per place taken. Places held back for a child
        who can live only alone count as available and taken (a background child stands for each),
        and the child's price, which pays for them, is spread over them."""
        ids = bg._eligible()
        cell = bg.cell(ids)
        held = u.solo_held[ids].astype(float)
        out = [weighted_bincount(cell, (u.places[ids] - u.unavailable[ids]).astype(float) + held, 9),
               weighted_bincount(cell, u.occupied[ids].astype(float) + held, 9)]
        c = m.children
        placed = np.flatnonzero(c.in_care[: c.n] & (c.unit[: c.n] >= 0))
        unit = c.unit[placed]
        eligible = np.zeros(u.n, dtype=bool)
        eligible[ids] = True
        sel = eligible[unit]
        cells = bg.cell(unit[sel])
        out.append(weighted_bincount(cells, c.price[placed[sel]], 9))
        out.append(weighted_bincount(cells, m.market.list_price[u.pool[unit[sel]]] * (1 + u.solo_held[unit[sel]]), 9))
        return np.array(out)

    def supply_now() -> np.ndarray:
        """Registered places of the providers' homes and supported accommodation, by group."""
        return bg.supply_by_group()

    rows, own, market, supply = [bg.occupied_by_group()], [outsiders()], [cells_now()], [supply_now()]
    snapshot = m.recorder.snapshot

    def snapshot_and_count(*a, **k):
        snapshot(*a, **k)
        own.append(outsiders())
        market.append(cells_now())
        supply.append(supply_now())

    m.recorder.snapshot = snapshot_and_count
    m.run()
    rows += [np.asarray(s["independent_by_group"], dtype=float) for s in m.recorder.snapshots]
    # (years + 1, N_GROUPS), (years + 1, regions, 2, 9), (years + 1, 4, 9), (years + 1, N_GROUPS)
    return np.array(rows), np.array(own), np.array(market), np.array(supply)


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
    lines, own_lines, start_lines = [], [], []
    names = named_regions()
    cells = [(utype, need) for utype in (UnitType.FOSTER, UnitType.HOME, UnitType.SUPPORTED) for need in range(3)]
    for start, years in RUNS.items():
        mine = [r for (s, _, _), r in zip(jobs, results) if s == start]
        occ = np.sum([r[2] for r in mine], axis=0)  # (years + 1, 4, 9), summed over seeds
        own = np.mean([r[1] for r in mine], axis=0)
        counts = np.mean([r[0] for r in mine], axis=0)
        supply = np.mean([r[3] for r in mine], axis=0)
        for utype, need in cells:
            c = utype * 3 + need
            if occ[0, 0, c] > 0:
                for year in range(years + 1):
                    o = occ[year, :, c]
                    start_lines.append(f"{start},{year},{utype},{need},{o[1] / max(o[0], 1.0):.4f},{o[0] / len(mine):.1f},"
                                       f"{o[2] / o[3] if o[3] > 0 else 1.0:.4f}")
            for r, name in enumerate(names):
                col, places = own[:, r, 0, c], own[:, r, 1, c]
                for year in range(years + 1):
                    share = col[year] / places[year] if places[year] > 0 else 0.0
                    own_lines.append(f'{start},{year},"{name}",{utype},{need},{share:.4f},{col[year]:.1f},'
                                     f'{places[year]:.1f}')
            cols = c * 100 + np.arange(len(regions))
            national = counts[:, cols].sum(axis=1) / max(counts[0, cols].sum(), 1.0)
            national_places = supply[:, cols].sum(axis=1) / max(supply[0, cols].sum(), 1.0)
            for r, col in enumerate(cols):
                base = counts[0, col]
                idx = counts[:, col] / base if base >= MIN_CHILDREN else national
                pidx = supply[:, col] / supply[0, col] if supply[0, col] >= MIN_CHILDREN else national_places
                for year in range(years + 1):
                    lines.append(f"{start},{year},{utype},{need},{r},{regions[r]},{idx[year]:.4f},{counts[year, col]:.1f},"
                                 f"{pidx[year]:.4f},{supply[year, col]:.1f}")
    provenance = [
        f"# parameter_hash: {ParamSet.defaults().digest()}",
        f"# code_version: {code_version()}; seeds: {args.seeds}; written {dt.date.today().isoformat()}",
        "# by: python experiments/scripts/background_index.py",
    ]
    _write(INDEX_FILE, [
        "# England index of background demand: children in independent places of each unit type, need level and region,",
        "# all-England baseline runs, end of each run year over the start (mean of seeds); and the registered places",
        "# of the providers' homes and supported accommodation in the group, and their index (the supply a regional",
        "# run's background replays); rccsim/core/background.py",
    ], provenance, "start_year,year,unit_type,need,region_code,region,index,children,places_index,places", lines)
    _write(OWN_INDEX_FILE, [
        "# Other LAs' demand for a named region's independent places: children of LAs outside the region placed",
        "# in independent places located in it, per available place there (share), all-England baseline runs, at",
        "# the start and each run year end (mean of seeds), by unit type and need level; rccsim/core/background.py",
    ], provenance, "start_year,year,run_region,unit_type,need,share,children,places", own_lines)
    _write(START_FILE, [
        "# England's independent places in all-England baseline runs at the start and each run year end, by unit type",
        "# and highest need level of the unit: occupancy (children placed over places available; a regional run's",
        "# background is seeded at year 0's), places, and the price the children there paid over their pool's list",
        "# price (their needs, scarcity markups and negotiation): what a background child pays on the day",
        "# (rccsim/core/background.py, rccsim/core/providers.py unit_income)",
    ], provenance, "start_year,year,unit_type,need,occupancy,places,price_over_list", start_lines)


def _write(name: str, about: list[str], provenance: list[str], columns: str, lines: list[str]) -> None:
    """A derived file: what it holds, how it was made (the tests read its parameter hash), its rows."""
    path = data_dir() / "derived" / name
    path.write_text("\n".join([*about, *provenance, columns, *lines]) + "\n")
    print(f"wrote {path} ({len(lines)} rows)")

if __name__ == "__main__":
    main()
