"""Who gets an RCC bed, and where were they in the baseline? A closer look than compare's line.

    python experiments/scripts/who_benefits.py --region "GM in england" --scenario block_contracts --seed 1 --years 10

Runs the baseline and the scenario on one seed from the same start state and, for every placement
made in a bed the RCC held, looks up where the same child was on that day in the baseline. Prints
counts (never a child) by the child's need level (0 standard, 1 complex, 2 highest; when it took
the bed), by whether it was the child's first RCC bed, and by the baseline's placement group;
and, for those fostered in the baseline, how that foster placement went on (it ended within a year,
and how: a breakdown or a planned move).
"""

from __future__ import annotations

import argparse
from collections import Counter

import numpy as np
from rccsim.base.codes import GROUP_OF_KIND, REASON_CODES, Kind
from rccsim.sim.simulation import StartState


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--region", default="GM in england")
    ap.add_argument("--scenario", default="block_contracts")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--years", type=int, default=10)
    args = ap.parse_args()
    # both runs from one start state, copied (as compare runs them)
    state = StartState(args.region, args.years, args.seed, 2024)
    models = {name: state.run(name).model for name in ("baseline", args.scenario)}
    base, lever = models["baseline"], models[args.scenario]
    bl, ll = base.recorder.placements, lever.recorder.placements
    bn, ln = bl.n, ll.n
    rcc = np.flatnonzero(~ll.initial[:ln] & ll.regional[:ln] & (ll.start[:ln] < lever.horizon))
    child, start = ll.child[rcc].astype(np.int64), ll.start[rcc].astype(np.int64)
    order = np.lexsort((bl.start[:bn], bl.child[:bn]))
    bc, bs = bl.child[:bn][order].astype(np.int64), bl.start[:bn][order].astype(np.int64)
    i = np.searchsorted(bc * 1_000_000 + bs, child * 1_000_000 + start, side="right") - 1
    ok = (i >= 0) & (bc[np.maximum(i, 0)] == child) & (bl.end[:bn][order][np.maximum(i, 0)] > start)
    row = order[np.maximum(i, 0)]
    first = np.ones(len(rcc), dtype=bool)
    seen = set()
    for k in np.argsort(start, kind="stable").tolist():
        first[k] = int(child[k]) not in seen
        seen.add(int(child[k]))
    need = ll.need[rcc]
    group = np.array([GROUP_OF_KIND[int(k)] if o else "none" for k, o in zip(bl.kind[row], ok)])
    age = (start - lever.children.dob[child]) / 365.25
    print(f"{args.scenario} in {args.region}, seed {args.seed}: {len(rcc)} placements in RCC beds, "
          f"{len(set(child.tolist()))} children, {int(first.sum())} first beds")
    for label, sel in (("all", np.ones(len(rcc), bool)), ("first beds", first), ("later beds", ~first)):
        print(f"  {label}: baseline group {dict(Counter(group[sel].tolist()))}")
    for lev in range(3):
        sel = need == lev
        print(f"  need {lev}: {int(sel.sum())} placements, aged {np.mean(age[sel]) if sel.any() else 0:.1f} on average; "
              f"baseline group {dict(Counter(group[sel].tolist()))}")
    fost = ok & (group == "fostering")
    if fost.any():
        r = row[fost]
        ended = bl.end[r].astype(np.int64)
        within = (ended - start[fost]) < 365
        reasons = Counter(REASON_CODES[int(x)] if x >= 0 else ("left care" if x == -2 else "open")
                          for x in bl.end_reason[r][within])
        kinds = Counter(Kind.NAMES[int(k)] for k in bl.kind[r])
        print(f"  fostered in the baseline: {int(fost.sum())} ({kinds}); their foster placement ended within a year "
              f"in {int(within.sum())}: {dict(reasons)}")


if __name__ == "__main__":
    main()
