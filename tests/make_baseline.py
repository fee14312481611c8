"""Write tests/baseline.json: the headline metrics of a small reference run.

The regression test (tests/test_baseline.py) compares every run of the test suite with this file, so
an unintended change in any result fails. When a change to the model is meant to move results,
regenerate the file deliberately and say so in the commit:

    python tests/make_baseline.py
"""

from __future__ import annotations

import json
from pathlib import Path

REGION = "E08000003,E08000006,E08000009"  # Manchester, Salford, Trafford
YEARS = 2
SEED = 3
PATH = Path(__file__).with_name("baseline.json")


def reference(result) -> dict:
    """What the regression test pins: every scalar metric, overall and per year."""
    metrics = result.to_dict()["metrics"]
    scalars = {k: v for k, v in metrics.items() if isinstance(v, int | float)}
    by_year = [{k: v for k, v in year.items() if isinstance(v, int | float)} for year in metrics["by_year"]]
    return {"region": REGION, "years": YEARS, "seed": SEED, "metrics": scalars, "by_year": by_year}


def main() -> None:
    from rccsim.sim.simulation import Simulation

    result = Simulation(region=REGION, years=YEARS, seed=SEED, verbose=False).run().record
    PATH.write_text(json.dumps(reference(result), indent=1, sort_keys=True) + "\n")
    print(f"wrote {PATH}")


if __name__ == "__main__":
    main()
