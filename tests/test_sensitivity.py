"""The sensitivity screen measures effects in target tolerances per whole parameter range."""

from __future__ import annotations

import numpy as np
from rccsim.calibrate import fit as cal
from rccsim.calibrate import sensitivity as sa
from rccsim.inputs.params import ParamSet


def test_morris_effects_are_in_tolerances_over_the_whole_range(monkeypatch, tmp_path):
    targets = [
        cal.Target("starts", "entries_per_year", 2024, "England", 1000.0, "children", "flow", "fit", "test"),
        cal.Target("far", "share_over_20_miles", 2024, "England", 0.2, "fraction", "share", "fit", "test"),
    ]
    spec = cal.FitSpec(region="england", start=2023, seeds=[1], design_points=1, refine_rounds=0, parameters={
        "demand.entry_multiplier": {"range": [0.9, 1.1]},
        "market.distance_weight_gbp_per_mile": {"range": [5.0, 50.0]},
    })

    def fake_simulate(ts, params, seeds, start, region=None):
        # starts move by 3 tolerances (3 x 50 children) across the entry multiplier's range and not
        # at all with the distance weight; the share over 20 miles is moved by neither
        x = (params["demand.entry_multiplier"] - 0.9) / 0.2
        return np.array([[1000.0 + 150.0 * x, 0.2]])

    monkeypatch.setattr(cal, "simulate", fake_simulate)
    names, mu_star, sigma = sa.morris(targets, spec, ParamSet.registry(), trajectories=4)
    assert names == ["demand.entry_multiplier", "market.distance_weight_gbp_per_mile"]
    assert np.allclose(mu_star[0], [3.0, 0.0])
    assert np.allclose(mu_star[1], [0.0, 0.0])
    text = sa.report(names, targets, mu_star, sigma, tmp_path, ["# test"])
    assert "market.distance_weight_gbp_per_mile | **none: not pinned down" in text
    assert "demand.entry_multiplier | starts (3.0)" in text
    assert "Targets no fitted parameter moves by a tolerance: far" in text
    assert (tmp_path / "sensitivity.png").stat().st_size > 0
    assert (tmp_path / "sensitivity.csv").read_text().count("\n") == 5
