"""Fit each LA's weight on its own foster carers living inside its boundary.

    python calibration/scripts/fit_la_carers.py [--rounds 5] [--jobs 2]

Where each LA's foster carers live is not published. The gravity rule of
``rccsim.core.carers.home_las`` (children, cheaper housing, distance to a neighbour's edge) has a
few parameters for all of England, and gives every LA much the same picture: it placed too many of
a large county's children outside it and too few of an inner London borough's or a small
unitary's. This script gives each LA a weight on its own carers living inside it, fitted to DfE's
share of the LA's children placed outside the LA (``la_cla_on_31_march_by_characteristics``,
cla_group "Locality of placement", LAs with 100+ children), and writes
``calibration/data/derived/la_carer_inside.csv``.

Each round runs England for one year from 31 March 2021 and from 31 March 2023 (seed 1, the
installed parameters) and compares each LA's share placed outside at the end with DfE's for 2022
and 2024: the year between (2023, from a 2022 start) is left for ``experiments/scripts/la_check.py``
to check. The weight moves by the gap in log-odds (a child placed with the LA's own carers is one
of several kinds of placement, so the step is damped) and is kept within [1/50, 50]. An LA with
fewer than 100 children keeps 1. A run starts from weights of 1 (``--warm`` starts from the
weights in the file, to refine them after a small change). The runs read the file, so each round
writes it; a fit that stops early puts the installed weights back.

Re-run it after a change to where carers, homes or supported accommodation are, then regenerate
the regression baseline and the England index (see ``calibration/README.md``).
"""

from __future__ import annotations

import argparse
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

OUT_NAME = "la_carer_inside.csv"  # in the data folder the model reads (rccsim.base.paths.data_dir)
STARTS = (2021, 2023)  # one-year runs, compared with DfE a year on (2022 and 2024)
STEP = 0.8  # damping of the log-odds step
LIMIT = np.log(50.0)


def one(start: int):
    from rccsim import Simulation
    from rccsim.calibrate.by_la import outside_table

    r = Simulation(region="england", years=1, seed=1, start_year=start).run()
    return outside_table([r.record.metrics["by_la"]], start + 1)


def logit(p):
    p = np.clip(np.asarray(p, dtype=float), 0.02, 0.98)
    return np.log(p / (1 - p))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--warm", action="store_true", help="start from the weights in the file, not from 1")
    args = ap.parse_args()
    from rccsim.base.paths import data_dir
    from rccsim.inputs.geography import load_geography

    out = data_dir() / "derived" / OUT_NAME
    geo = load_geography()
    codes = geo.las.la_code.to_numpy(str)
    log_w = np.log(geo.carer_inside.copy()) if args.warm else np.zeros(geo.n)
    installed = out.read_bytes() if out.exists() else None
    try:
        for k in range(args.rounds):
            _write(out, codes, geo, log_w)
            log_w = _round(k, args, geo, codes, log_w)
    except BaseException:
        # a fit that did not finish leaves the installed weights as they were
        if installed is None:
            out.unlink(missing_ok=True)
        else:
            out.write_bytes(installed)
        raise
    _write(out, codes, geo, log_w)
    print(f"wrote {out}: weights from {np.exp(log_w).min():.3g} to {np.exp(log_w).max():.3g} "
          f"(median {np.exp(np.median(log_w)):.3g}), {args.rounds} rounds from {'the installed weights' if args.warm else '1'}")


def _write(out, codes, geo, log_w) -> None:
    pd.DataFrame({"la_code": codes, "la_name": geo.las.la_name, "inside_weight": np.round(np.exp(log_w), 4)}).to_csv(out, index=False)


def _round(k, args, geo, codes, log_w):
    """One round: run, compare each LA with DfE, move its weight by the gap in log-odds."""
    # fresh processes (spawned, not forked from this one's cached geography) read the file
    with ProcessPoolExecutor(args.jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        tables = list(pool.map(one, STARTS))
    from rccsim.calibrate.by_la import outside_summary

    gap = np.zeros(len(codes))
    seen = np.zeros(len(codes))
    for t in tables:
        at = t.la_code.map(geo.code_to_index).to_numpy(np.int64)
        np.add.at(gap, at, logit(t.sim_share_out) - logit(t.dfe_share_out))
        np.add.at(seen, at, 1.0)
    sums = [outside_summary(t) for t in tables]
    print(f"round {k + 1}: median absolute error "
          + " and ".join(f"{100 * m['la_outside_median_error']:.1f}" for m in sums) + " points, rank correlation "
          + " and ".join(f"{m['la_outside_rank_correlation']:.2f}" for m in sums)
          + f" (DfE {STARTS[0] + 1} and {STARTS[1] + 1})", flush=True)
    # too many outside: more of the LA's carers live inside it
    return np.clip(log_w + STEP * np.where(seen > 0, gap / np.maximum(seen, 1), 0.0), -LIMIT, LIMIT)


if __name__ == "__main__":
    main()
