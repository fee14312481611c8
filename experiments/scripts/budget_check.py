"""How many LAs overspend their placement budgets, and by how much, against what councils report.

    python experiments/scripts/budget_check.py --region england --start 2022 --years 3 --seed 1

Runs the baseline and prints, for each run year: the share of the run's LAs whose placement spend
came in over budget (rccsim/core/budgets.py), the spend-weighted overspend over all of them, and the
quartiles of the LAs' overspends. Published, for comparison (none of them is a fit target):

- 91% of councils overspent on children's social care in 2017-18, GBP 872m in all (NAO, via the
  Public Accounts Committee, 2019);
- 30 of 36 county councils (83%) overspent in 2021-22 (County Councils Network);
- councils' placement spend: GBP 4.7bn against GBP 4.1bn budgeted in 2022-23 (+15%), GBP 5.4bn
  projected against GBP 4.7bn in 2023-24 (+15%) (LGA high-cost placements survey, Nov 2023;
  published_figures.csv).

Those are cash figures for all of children's social care or all placement spend; the model's are
in constant prices for placements. Only aggregates are printed.
"""

from __future__ import annotations

import argparse

import numpy as np
from rccsim.sim.simulation import Simulation


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--region", default="england")
    ap.add_argument("--start", type=int, default=2022)
    ap.add_argument("--years", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    sim = Simulation(region=a.region, years=a.years, seed=a.seed, start_year=a.start)
    sim.run()
    model = sim.model
    b = model.budgets
    las = model.region.reported
    print(f"{a.region} from {a.start}, seed {a.seed}: {len(las)} LAs")
    print(f"{'year to 31 March':<18}{'LAs over budget':>17}{'overspend, all':>16}{'LA quartiles':>28}")
    for k in range(model.years):
        budget, spent = b.budget[k][las], b.spent[k][las]
        ok = budget > 0
        over = spent[ok] / budget[ok] - 1.0
        q = np.percentile(over, [25, 50, 75])
        print(f"{a.start + k + 1:<18}{(over > 0).mean():>17.0%}{spent[ok].sum() / budget[ok].sum() - 1:>+16.1%}"
              f"{q[0]:>+10.1%}{q[1]:>+9.1%}{q[2]:>+9.1%}")


if __name__ == "__main__":
    main()
