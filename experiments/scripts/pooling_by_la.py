"""Who a pooled budget helps, member by member: each LA's overspend, the pressure on its choices,
its cost and its children's distance from home, with and without the pool.

    python experiments/scripts/pooling_by_la.py --region GM --years 10 --seeds 1-5

Runs the baseline and ``pooled_budget`` (members judge their overspend by the pot's) on the same
seeds and prints, for each member LA, averaged over seeds: its own forecast overspend (share of its
budget, the average of the monthly forecasts over the run), the pressure its choices acted under
(beyond what reserves absorb; in the pool, the pot's), its spend over the run, and the share of its
children placed more than 20 miles from home at the end (rccsim/core/budgets.py). Only aggregates
by LA are printed.
"""

from __future__ import annotations

import argparse
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from rccsim.sim.scenario import load_scenario
from rccsim.sim.simulation import Simulation


def one(args) -> dict:
    region, years, seed, scenario = args
    sim = Simulation(region=region, years=years, seed=seed, scenario=load_scenario(scenario), verbose=False)
    rec = sim.run().record
    model = sim.model
    b = model.budgets
    out = {}
    for i in model.rcc.member_index:
        code = str(model.geo.las.la_code.iloc[i])
        v = rec.metrics["by_la"][code]
        out[code] = {"name": str(model.geo.las.la_name.iloc[i]), "overspend": v["budget_overspend_mean"],
                     "pressure": v["budget_pressure_mean"], "spend": float(b.spent[:, i].sum()),
                     "over20": v["share_over_20_miles"]}
    return out


def seeds_of(text: str) -> list[int]:
    if "-" in text:
        a, b = text.split("-")
        return list(range(int(a), int(b) + 1))
    return [int(s) for s in text.split(",")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--region", default="GM")
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--seeds", default="1-5")
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    seeds = seeds_of(a.seeds)
    jobs = [(a.region, a.years, s, sc) for s in seeds for sc in ("baseline", "pooled_budget")]
    with ProcessPoolExecutor(a.jobs) as ex:
        res = list(ex.map(one, jobs))
    base = res[0::2]
    pool = res[1::2]
    codes = list(base[0])
    print(f"{a.region}, {a.years} years, seeds {a.seeds}: means over seeds (pooled - baseline in brackets)")
    print(f"{'LA':<28}{'own overspend':>22}{'pressure':>20}{'spend GBPm':>22}{'over 20 mi':>20}")
    for code in codes:
        def m(runs, k, c=code):
            return float(np.mean([r[c][k] for r in runs]))
        print(f"{base[0][code]['name'][:27]:<28}"
              f"{m(base, 'overspend'):>+10.1%} ({m(pool, 'overspend') - m(base, 'overspend'):>+6.1%}) "
              f"{m(base, 'pressure'):>9.1%} ({m(pool, 'pressure') - m(base, 'pressure'):>+6.1%}) "
              f"{m(base, 'spend') / 1e6:>10,.0f} ({(m(pool, 'spend') - m(base, 'spend')) / 1e6:>+7.1f}) "
              f"{m(base, 'over20'):>9.1%} ({m(pool, 'over20') - m(base, 'over20'):>+6.1%})")


if __name__ == "__main__":
    main()
