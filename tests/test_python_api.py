"""The README's Python example runs as written, and its tables are what the manual says."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_example() -> str:
    text = README.read_text()
    section = text.split("\n## Python\n", 1)[1].split("\n## ", 1)[0]
    code = [line for line in section.splitlines() if line.startswith("    ")]
    return textwrap.dedent("\n".join(code))


def test_the_readme_python_example_runs():
    code = readme_example()
    assert "Simulation(" in code and "compare(" in code
    space: dict = {}
    exec(compile(code, "README.md", "exec"), space)  # noqa: S102 (the project's own README)
    result, diff = space["result"], space["diff"]
    assert isinstance(result.metrics, pd.DataFrame) and list(result.metrics.columns) == ["metric", "value"]
    metrics = result.metrics.set_index("metric").value
    assert metrics["children_in_care_start"] > 6000  # GM: DfE counts 6,232 at 31 March 2024
    years = result.by_year()
    assert list(years.year) == [1, 2, 3] and "cost_total_gbp" in years
    las = result.by_la()
    assert len(las) == 10 and {"la_code", "la_name", "share_over_20_miles"} <= set(las.columns)
    assert list(diff.columns) == ["scenario", "metric", "mean", "diff", "lo", "hi"]
    assert set(diff.scenario) == {"baseline", "capital_homes", "fostering_hub"}
    base = diff[diff.scenario == "baseline"]
    assert (base["diff"] == 0).all()  # the baseline against itself
    row = diff[(diff.scenario == "capital_homes") & (diff.metric == "cost_total_gbp")].iloc[0]
    assert row.lo <= row["diff"] <= row.hi and row.lo < row.hi  # five seeds: an interval, not a point
