"""Where children are placed, LA by LA: the model against DfE's LA tables. Issue 20's check, printed.

    python experiments/scripts/la_check.py                      # England from 31 March 2023, 1 year, seeds 1-2
    python experiments/scripts/la_check.py --start 2022 --seeds 1 --csv la_check.csv

Runs England from 31 March ``--start`` for one year and compares, for each LA with 100 or more
children in care at the end, the share of its children placed outside its boundary at 31 March of
the next year with DfE's (``la_cla_on_31_march_by_characteristics``, cla_group "Locality of
placement": children placed outside the LA boundary over all placed, counts rounded by DfE to the
nearest 10). Prints the rank correlation, the median absolute error in points, the LAs furthest
off, and the same by kind of LA (London, metropolitan, unitary, county), so that an England
average made of errors in opposite directions shows. Then, by placement type, England's share of
children placed over 20 miles from home at 31 March (DfE's national distance table: over 20 miles
of those whose distance is known) and the median duration of placements that ended in the year
(DfE's durations table), where DfE publishes that year (2020-2023).
"""

from __future__ import annotations

import argparse
from concurrent.futures import ProcessPoolExecutor

import pandas as pd

# the model's placement groups and DfE's names for them (national distance and durations tables)
DFE_TYPES = {
    "fostering": "Foster placements",
    "residential": "Secure homes and children's homes",
    "supported": "Independent and semi-independent living arrangements/ supported accommodation",
}


# DfE's duration bands under a year (its 2023 medians disagree with its own 2023 bands, so both are shown)
UNDER_1Y = ("1 to 7 days", "From 8 days to under 1 month", "From 1 month to under 3 months",
            "From 3 months to under 6 months", "From 6 months to under 1 year")


def dfe_by_type(year: int) -> pd.DataFrame | None:
    """DfE's national share over 20 miles and median duration of placements ending, by type."""
    from rccsim.base.paths import data_dir

    dfe = data_dir() / "published" / "dfe"
    dist = pd.read_csv(dfe / "national_cla_on_31_march_by_placement_distance_and_placement_locality_2020_2023.csv", dtype=str)
    dur = pd.read_csv(dfe / "national_duration_of_placements_by_type_ceasing_during_the_year_2020_2023.csv", dtype=str)
    dist, dur = dist[dist.time_period == str(year)], dur[dur.time_period == str(year)]
    if dist.empty:
        return None
    rows = []
    for group, name in DFE_TYPES.items():
        d = dist[dist.cla_group == name].set_index("characteristic").number.astype(float)
        t = dur[dur.placement_group == name].set_index("placement_duration").number
        med = pd.to_numeric(t.get("Median duration (days)"), errors="coerce")
        under = sum(float(t[b]) for b in UNDER_1Y) / float(t["All placements"]) if len(t) else float("nan")
        rows.append({"group": group, "dfe_over_20": d["2. Over 20 miles"] / (d["1. 20 miles or less"] + d["2. Over 20 miles"]),
                     "dfe_median_days": float(med) if med is not None else float("nan"), "dfe_under_1y": under})
    return pd.DataFrame(rows)


def one(job):
    start, seed, overrides = job
    from rccsim import Simulation
    from rccsim.inputs.params import ParamSet

    params = ParamSet.defaults().updated(overrides) if overrides else None
    r = Simulation(region="england", years=1, seed=seed, start_year=start, params=params).run()
    last = r.record.by_year[-1]
    types = pd.DataFrame([{"group": g, "sim_over_20": v["share_over_20_miles"], "sim_median_days": v["median_duration_days"],
                           "sim_under_1y": last.get(f"share_ending_under_1y_{g}", float("nan"))}
                          for g, v in r.record.metrics["by_placement_type"].items()])
    return r.record.metrics["by_la"], types


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--start", type=int, default=2023, help="start year (31 March); compared with DfE a year on")
    ap.add_argument("--seeds", default="1,2")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--csv", help="write the LA table here")
    ap.add_argument("--png", help="draw the model against DfE for every LA here (a scatter, by kind of LA)")
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                    help="a parameter for this check only, e.g. carers.home_distance_scale_miles=12")
    args = ap.parse_args()
    from rccsim.calibrate.by_la import outside_summary, outside_table, scatter

    seeds = [int(s) for s in args.seeds.split(",")]
    overrides = {k: float(v) for k, v in (a.split("=", 1) for a in args.set)}
    with ProcessPoolExecutor(args.jobs) as pool:
        runs = list(pool.map(one, [(args.start, s, overrides) for s in seeds]))
    types = pd.concat([r[1] for r in runs]).groupby("group", as_index=False).mean()
    t = outside_table([r[0] for r in runs], args.start + 1)
    summary = outside_summary(t)
    rho = summary["la_outside_rank_correlation"]
    print(f"England from 31 March {args.start}, 1 year, seeds {seeds}{f', {overrides}' if overrides else ''}: {len(t)} LAs with 100+ children (DfE {args.start + 1})")
    print(f"share placed outside the LA: rank correlation {rho:.2f} (target >= 0.8), "
          f"median absolute error {t.error_pts.abs().median():.1f} points (target <= 5)")
    print(f"of the children placed within each LA's boundary, the share who are other LAs': rank correlation "
          f"{summary['la_hosted_rank_correlation']:.2f}, median absolute error {t.hosted_error_pts.abs().median():.1f} points")
    stock = (t.sim_children / t.total - 1).abs()
    worst = t.loc[stock.sort_values(ascending=False).index[:3]]
    print(f"children in care at 31 March: median absolute error {stock.median():.1%} of DfE's count (furthest: "
          + ", ".join(f"{r.la_name} {r.sim_children:.0f} against {r.total:.0f}" for r in worst.itertuples()) + ")")
    print("\nby kind of LA: DfE mean, model mean, mean error (points)")
    for kind, g in t.groupby("kind"):
        print(f"  {kind:<13} {len(g):>3} LAs  DfE {g.dfe_share_out.mean():6.1%}  model {g.sim_share_out.mean():6.1%}  "
              f"error {g.error_pts.mean():+5.1f}   hosted: DfE {g.dfe_hosted.mean():6.1%}  model {g.sim_hosted.mean():6.1%}")
    print("\nfurthest off:")
    for r in t.reindex(t.error_pts.abs().sort_values(ascending=False).index).head(12).itertuples():
        print(f"  {r.la_name:<32} DfE {r.dfe_share_out:6.1%}  model {r.sim_share_out:6.1%}  ({r.error_pts:+.0f})  "
              f"over 20 miles {r.sim_over_20:6.1%}")
    ref = dfe_by_type(args.start + 1)
    if ref is None:
        print("\nby placement type: DfE's national distance and durations tables stop at 2023 (start from 2022 or before)")
    else:
        print(f"\nby placement type, England at 31 March {args.start + 1}: over 20 miles (DfE, of those with a known distance) "
              f"and median days of placements ending in the year, and the share of them that lasted under a year")
        for r in ref.merge(types, on="group").itertuples():
            print(f"  {r.group:<12} over 20 miles DfE {r.dfe_over_20:6.1%}  model {r.sim_over_20:6.1%}  ({100 * (r.sim_over_20 - r.dfe_over_20):+.1f} pts)"
                  f"   median days DfE {r.dfe_median_days:4.0f}  model {r.sim_median_days:4.0f}  ({r.sim_median_days / r.dfe_median_days - 1:+.0%})"
                  f"   ending under a year DfE {r.dfe_under_1y:6.1%}  model {r.sim_under_1y:6.1%}")
    if args.csv:
        t.to_csv(args.csv, index=False)
        print(f"\nwrote {args.csv}")
    if args.png:
        scatter(t, args.png, f"rccsim, England from 31 March {args.start}, 1 year, seeds {args.seeds}; "
                             "DfE la_cla_on_31_march_by_characteristics")
        print(f"wrote {args.png}")


if __name__ == "__main__":
    main()
