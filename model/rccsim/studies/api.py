"""Comparisons for notebooks: ``rccsim.compare`` returns a table of differences from baseline.

    from rccsim import compare
    table = compare(region="GM", scenarios=["capital_homes", "fostering_hub"], seeds=5, years=3)

Every scenario runs on the same seeds as the baseline (common random numbers), through the same
run harness as ``rccsim compare``; each row is one scenario and headline metric: its mean over
seeds, and its paired difference from baseline with a 95% t interval over seeds.
"""

from __future__ import annotations

import pandas as pd

from rccsim.base.errors import InputError, check_seed
from rccsim.sim.scenario import load_scenario
from rccsim.studies.compare import parse_seeds, run_all, summarise


def compare(region: str = "GM", scenarios=("single_customer",), seeds=20, years: int = 10, start_year: int = 2024,
            jobs: int = 1) -> pd.DataFrame:
    """Scenarios against the baseline: columns scenario, metric, mean, diff, lo, hi.

    Args:
        region: as for :class:`rccsim.Simulation`.
        scenarios: bundled names or YAML paths (the baseline is added).
        seeds: a count N (seeds 1..N) or a list of seeds.
        years, start_year: the horizon and the published state to start from.
        jobs: processes to run in parallel.
    """

    scenarios = [scenarios] if isinstance(scenarios, str) else list(scenarios)
    names = [load_scenario(s).name for s in scenarios]
    if "baseline" not in names:
        scenarios, names = ["baseline", *scenarios], ["baseline", *names]
    if len(set(names)) != len(names):
        raise InputError(f"a scenario is named twice: {', '.join(names)}")
    if isinstance(seeds, int | str):
        seed_list = parse_seeds(str(seeds))
    else:
        seed_list = [check_seed(s, "seeds") for s in seeds]
        if not seed_list or len(set(seed_list)) != len(seed_list):
            raise InputError(f"seeds must be distinct, and at least one: {seed_list}")
    runs = run_all(region, scenarios, seed_list, years, start_year, jobs)
    summary = summarise(runs, names, seed_list)
    rows = [{"scenario": s, "metric": k, **v} for s in names for k, v in summary[s]["metrics"].items()]
    return pd.DataFrame(rows, columns=["scenario", "metric", "mean", "diff", "lo", "hi"])
