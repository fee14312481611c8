"""How much less does the single customer pay for children's homes, by bargaining power?

    python experiments/scripts/single_customer_price.py --region "GM in england" --years 3 --seed 1 --powers 0,0.2,0.5

Runs the baseline and the ``single_customer`` lever at each bargaining power on one seed, and prints
the mean weekly price of the placements in independent children's homes that the region's children
started during the run, and the run's total cost. Bargaining power 0 is the merging of the buyers
alone (no bidding between members: ``market.competition_markup`` no longer applies among them);
above 0 the RCC also negotiates part of the margin where providers have spare places. The
published evidence on joint commissioning bounds the price cut, not the bargaining power itself
(calibration/uncertainty.yaml, levers.single_customer.bargaining_power).
"""

from __future__ import annotations

import argparse

from rccsim.base.codes import Kind
from rccsim.levers import Levers, SingleCustomerSettings
from rccsim.sim.scenario import Scenario
from rccsim.sim.simulation import Simulation


def run(region: str, years: int, seed: int, power: float | None) -> tuple[float, int, float]:
    scenario = "baseline" if power is None else Scenario(
        name="single_customer", levers=Levers(single_customer=SingleCustomerSettings(bargaining_power=power)))
    sim = Simulation(region=region, years=years, seed=seed, scenario=scenario, verbose=False)
    record = sim.run().record
    model = sim.model
    log = model.recorder.placements
    n = log.n
    mine = model.world.reported[model.children.la[log.child[:n]]]
    started = mine & ~log.initial[:n] & (log.kind[:n] == Kind.HOME_IND)
    return float(log.price[:n][started].mean()), int(started.sum()), float(record.metrics["cost_total_gbp"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--region", default="GM in england")
    ap.add_argument("--years", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--powers", default="0,0.2,0.5", help="bargaining powers to try, comma-separated")
    args = ap.parse_args()
    price0, n0, cost0 = run(args.region, args.years, args.seed, None)
    print(f"{args.region}, seed {args.seed}, {args.years} years: independent homes' placements started by the region's children")
    print(f"  baseline: mean GBP {price0:,.0f} a week over {n0:,} placements; cost GBP {cost0 / 1e6:,.0f}m")
    for power in (float(x) for x in args.powers.split(",")):
        price, n, cost = run(args.region, args.years, args.seed, power)
        print(f"  bargaining power {power:g}: mean GBP {price:,.0f} a week ({price / price0 - 1:+.1%}) over {n:,} "
              f"placements; cost GBP {cost / 1e6:,.0f}m ({(cost - cost0) / 1e6:+,.0f}m)")


if __name__ == "__main__":
    main()
