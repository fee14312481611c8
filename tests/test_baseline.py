"""Regression: the small reference run gives the results recorded in tests/baseline.json.

A change meant to move results regenerates the file with ``python tests/make_baseline.py``.
"""

from __future__ import annotations

import json

import pytest
from make_baseline import PATH, reference


def test_results_match_the_recorded_baseline(small_run):
    _, result, _ = small_run
    expected = json.loads(PATH.read_text())
    got = json.loads(json.dumps(reference(result)))
    # every recorded metric is still there (a metric added since is not in the file until it is
    # regenerated on purpose; one removed or renamed fails here)
    assert set(expected["metrics"]) <= set(got["metrics"]), set(expected["metrics"]) - set(got["metrics"])
    for name, value in expected["metrics"].items():
        assert got["metrics"][name] == pytest.approx(value, rel=1e-9, abs=1e-12), name
    assert len(got["by_year"]) == len(expected["by_year"])
    for year_got, year_expected in zip(got["by_year"], expected["by_year"], strict=True):
        for name, value in year_expected.items():
            assert year_got[name] == pytest.approx(value, rel=1e-9, abs=1e-12), (year_expected["year"], name)
