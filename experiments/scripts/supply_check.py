"""Does the children's homes market neither boom nor empty? Issue 19's checks, printed.

    python experiments/scripts/supply_check.py                 # England and GM from 2024, 10 years, seeds 1-3
    python experiments/scripts/supply_check.py --years 5 --seeds 1 --regions GM

For each region and seed, year by year: children's homes against the band of +/-15% around the
trend of Ofsted's net growth 2017-2023 (homes rebuilt from the 2023 provider list and the joiners
and leavers tables, as the model counts them), the providers' margin against 12-30%, the growth
of the weekly price of independent homes against the NAO's real trend (7.3% a year, 2019-20 to
2023-24) +/- 3 points, children in emergency or unregistered settings and placements at GBP 10k+
a week, and the workforce's vacancy rate, turnover and agency share.
"""

from __future__ import annotations

import argparse
from concurrent.futures import ProcessPoolExecutor

import numpy as np

NAO_GROWTH = (318_400 / 239_800) ** 0.25 - 1  # NAO (Sept 2025), real, a year, 2019-20 to 2023-24


def trend() -> tuple[float, float]:
    """Least-squares line through the homes the model counts at 31 March 2017-2023 (Ofsted)."""
    from rccsim.inputs.published import homes_at

    years = np.arange(2017, 2024)
    homes = np.array([len(homes_at(int(y))) for y in years], dtype=float)
    slope, intercept = np.polyfit(years, homes, 1)
    return float(slope), float(intercept)


def one(job):
    region, seed, years, start = job
    from rccsim import Simulation

    r = Simulation(region=region, years=years, seed=seed, start_year=start).run()
    return region, seed, r.by_year(), r.record.metrics["children_homes_end"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--regions", default="england,GM")
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--start", type=int, default=2024)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    from rccsim.inputs.published import homes_at

    slope, intercept = trend()
    print(f"Ofsted's net growth 2017-2023: {slope:+.0f} homes a year (least squares over the homes the model counts)")
    jobs = [(r, int(s), args.years, args.start) for r in args.regions.split(",") for s in args.seeds.split(",")]
    with ProcessPoolExecutor(args.jobs) as pool:
        results = list(pool.map(one, jobs))
    start_homes = len(homes_at(args.start))
    for region, seed, y, _ in results:
        print(f"\n{region}, seed {seed}, from 31 March {args.start}")
        base = y.children_homes_end.iloc[0] if region.lower() != "england" else start_homes
        share = 1.0 if region.lower() == "england" else None
        out_homes = out_margin = out_price = 0
        for row in y.itertuples():
            yr = args.start + int(row.year)
            if region.lower() == "england":
                line = start_homes + slope * (yr - args.start)
                lo, hi = 0.85 * line, 1.15 * line
            else:  # a region: its start count grown at England's trend rate
                line = base * (1 + slope / start_homes) ** (int(row.year) - 1) if share is None else base
                lo, hi = 0.85 * line, 1.15 * line
            h_ok = lo <= row.children_homes_end <= hi
            m_ok = 0.12 <= row.provider_margin_home <= 0.30
            p_ok = abs(row.price_home_ind_growth - NAO_GROWTH) <= 0.03
            out_homes += not h_ok
            out_margin += not m_ok
            out_price += not p_ok
            print(f"  {yr}: homes {row.children_homes_end:>5,} (band {lo:,.0f}-{hi:,.0f}){'' if h_ok else ' OUT'}; "
                  f"opened {row.homes_opened}, closed {row.homes_closed}; margin {row.provider_margin_home:.1%}{'' if m_ok else ' OUT'}; "
                  f"price GBP {row.price_home_ind_gbp_week:,.0f} ({row.price_home_ind_growth:+.1%}){'' if p_ok else ' OUT'}; "
                  f"unregistered 4w+ {row.children_unregistered_4w_in_year:,}, 10k+ {row.placements_10k_plus_in_year:,}; "
                  f"vacancies {row.workforce_vacancy_rate:.1%}, turnover {row.workforce_turnover:.0%}, "
                  f"agency {row.workforce_agency_share:.1%}, managers' vacancies {row.manager_vacancy_rate:.1%}")
        print(f"  years out of band: homes {out_homes}, margin {out_margin}, price growth {out_price} (of {len(y)})")


if __name__ == "__main__":
    main()
