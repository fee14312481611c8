"""How far the published targets pin one parameter: the fit's targets at a grid of its values.

Every other parameter stays at its installed value (calibration/fitted.yaml). For each value the
script runs England from the published state of the fit's start year (the full fit's: 31 March 2022)
on the fit's seeds, and prints each chosen target's standardised error (simulated mean minus the
published figure, over the target's tolerance band: |z| <= 1 is inside the band) and the loss over
every fit target. The last lines give the values whose chosen targets all lie inside their bands,
and the values whose loss is within ``--slack`` of the best value's: the range the published
figures leave open.

    python experiments/scripts/profile_parameter.py --parameter market.competition_markup \\
        --values 0 0.05 0.1 0.2 0.3 --targets margin_homes_2023 high_cost_2023 price_growth_2024 --jobs 2

Prints aggregates only: no child-level data.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
from rccsim.base.errors import InputError
from rccsim.calibrate import fit as cal
from rccsim.inputs.params import ParamSet


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parameter", required=True)
    ap.add_argument("--values", type=float, nargs="+", required=True)
    ap.add_argument("--targets", nargs="+", default=[], help="target ids to show (default: every fit target)")
    ap.add_argument("--slack", type=float, default=0.10, help="loss within this share of the best value's counts as open")
    ap.add_argument("--jobs", type=int, default=1)
    args = ap.parse_args()
    spec = cal.FitSpec.load(None)
    base = ParamSet.defaults()
    if args.parameter not in base:
        raise InputError(f"unknown parameter '{args.parameter}'")
    fit_targets = [t for t in cal.load_targets() if t.role == "fit" and t.year > spec.start
                   and t.geography.lower() == spec.region.lower()]
    shown = [t for t in fit_targets if t.id in args.targets] if args.targets else fit_targets
    unknown = sorted(set(args.targets) - {t.id for t in fit_targets})
    if unknown:
        raise InputError(f"not fit targets after {spec.start} for {spec.region}: {', '.join(unknown)}")
    sets = [base.updated({args.parameter: v}) for v in args.values]
    sims = cal.simulate_many(fit_targets, sets, spec.seeds, spec.start, jobs=args.jobs)
    idx = [fit_targets.index(t) for t in shown]
    print(f"{args.parameter}: {spec.region} from {spec.start}, seeds {spec.seeds}; installed value {base[args.parameter]}")
    print("value\t" + "\t".join(f"z {t.id}" for t in shown) + "\tloss (all fit targets)")
    losses, inside = [], []
    for v, sim in zip(args.values, sims):
        z = cal.standardised_errors(sim, fit_targets)
        losses.append(cal.loss(sim, fit_targets))
        inside.append(bool(np.all(np.abs(z[idx]) <= 1.0)))
        print(f"{v:g}\t" + "\t".join(f"{z[i]:+.2f}" for i in idx) + f"\t{losses[-1]:.3f}")
    ok = [v for v, good in zip(args.values, inside) if good]
    best = min(losses)
    near = [v for v, loss in zip(args.values, losses) if loss <= best * (1.0 + args.slack)]
    print("inside every chosen band: " + (", ".join(f"{v:g}" for v in ok) if ok else "none"))
    print(f"loss within {args.slack:.0%} of the best ({best:.3f}): " + ", ".join(f"{v:g}" for v in near))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except InputError as e:
        print(f"profile_parameter: error: {e}", file=sys.stderr)
        sys.exit(2)
