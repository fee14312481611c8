"""rccsim compare: common seeds, paired differences, the documented JSON, clear refusals."""

from __future__ import annotations

import json

from rccsim.cli import main

ONE_LA = "E08000009"  # Wigan


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_compare_json_has_means_differences_and_intervals(capsys, tmp_path):
    zero = tmp_path / "zero_capital.yaml"
    zero.write_text("name: zero_capital\nlevers:\n  capital_homes: {capital_gbp: 0}\n")
    code, out, _ = _run(capsys, "compare", "--region", ONE_LA, "--scenarios", f"{zero},shared_placements",
                        "--seeds", "2", "--years", "1", "--jobs", "1", "--json", "--quiet", "--out", str(tmp_path / "cmp"))
    assert code == 0
    doc = json.loads(out)
    assert doc["region"] == ONE_LA and doc["seeds"] == [1, 2]
    assert set(doc["scenarios"]) == {"baseline", "zero_capital", "shared_placements"}
    for s in doc["scenarios"].values():
        for v in s["metrics"].values():
            assert set(v) >= {"mean", "diff", "lo", "hi"}
            assert v["lo"] <= v["diff"] <= v["hi"]
    # a lever at zero size is the baseline, seed by seed: no difference at all
    for v in doc["scenarios"]["zero_capital"]["metrics"].values():
        assert v["diff"] == 0 and v["lo"] == 0 and v["hi"] == 0
    for name in ("runs.csv", "summary.csv", "differences.png", "explanations.md", "comparison.json"):
        assert (tmp_path / "cmp" / name).stat().st_size > 0


def test_compare_refuses_bad_input_in_one_line(capsys, tmp_path):
    for argv, message in (
        (["--scenarios", "baseline,nonsense"], "unknown scenario 'nonsense'"),
        (["--seeds", "lots"], "--seeds must be"),
        (["--seeds", "1,1"], "twice"),
        (["--region", "Atlantis"], "Atlantis"),
        (["--scenarios", "capital_homes,capital_homes"], "twice"),
    ):
        code, _, err = _run(capsys, "compare", "--years", "1", "--quiet", "--out", str(tmp_path / "x"), *argv)
        assert code == 2, argv
        assert message in err and len(err.strip().splitlines()) == 1, (argv, err)
        assert not (tmp_path / "x").exists()


def test_rcc_homes_counterfactual_is_the_baseline_placement_of_the_same_child_on_that_day():
    # synthetic records: child 0 was in a placement 30 miles away from day 0 to 100 and 5 miles
    # away from day 100 in the baseline; child 1 left care in the baseline before day 50
    import numpy as np
    from rccsim.base.codes import Kind
    from rccsim.studies.harness import counterfactual

    base = {"child": np.array([1, 0, 0], dtype=np.int32), "start": np.array([0, 100, 0], dtype=np.int32),
            "end": np.array([40, 9999, 100], dtype=np.int32), "distance": np.array([3.0, 5.0, 30.0], dtype=np.float32),
            "kind": np.array([Kind.FOSTER_LA, Kind.FOSTER_LA, Kind.HOME_IND], dtype=np.int8)}
    rcc = {"child": np.array([0, 0, 1], dtype=np.int32), "start": np.array([60, 100, 50], dtype=np.int32)}
    cf = counterfactual(base, rcc)
    assert cf["placements"] == 3 and cf["matched"] == 2
    assert cf["mean_distance_miles"] == 17.5  # day 60: the 30-mile home; day 100: the 5-mile carer
    assert cf["share_over_20_miles"] == 0.5 and cf["share_independent_homes"] == 0.5
    assert cf["share_residential"] == 0.5 and cf["share_fostering"] == 0.5
    # the fostered one: a standard-need child (no need recorded counts as standard) whose foster
    # placement (from day 100) had not ended a year later
    assert (cf["fostered"], cf["fostered_above_standard_need"], cf["fostered_ending_within_1y"]) == (1, 0, 0)
    base["need"] = np.array([0, 1, 2], dtype=np.int8)  # child 0 complex when fostered from day 100
    base["end"][1] = 400
    cf = counterfactual(base, rcc)
    assert (cf["fostered"], cf["fostered_above_standard_need"], cf["fostered_ending_within_1y"]) == (1, 1, 1)
    # a run ending within a year of the RCC placement cannot tell whether the foster placement would end
    cf = counterfactual(base, {**rcc, "horizon": 300})
    assert (cf["fostered_with_a_year_to_go"], cf["fostered_ending_within_1y"]) == (0, 0)
    assert counterfactual(base, None) is None  # no placement in the RCC's homes


def test_the_harness_matches_a_seeds_scenarios_against_its_baseline_only():
    from rccsim.sim.scenario import Scenario
    from rccsim.studies.harness import RunSpec, run_specs

    cheaper = Scenario(name="cheaper", parameters={"prices.ind_home_gbp": 4000.0},
                       levers={"block_contracts": {"beds": 12}})
    specs = [RunSpec("E08000009", s, 1, seed) for seed in (1, 2) for s in ("baseline", "block_contracts")]
    specs.append(RunSpec("E08000009", cheaper, 1, 1))  # other parameters: another start state
    specs.append(RunSpec("E08000009", "block_contracts", 1, 3))  # no baseline of seed 3 to match
    runs = run_specs(specs, jobs=1)
    metrics = [r.result.metrics for r in runs]
    # a seed's block beds may take no child in a year (the panel admits only those an RCC bed
    # serves better): its counterfactual is then empty, and at least one seed's is not
    assert any(metrics[i]["placements_in_rcc_homes"] > 0 for i in (1, 3))
    for i in (1, 3):
        if metrics[i]["placements_in_rcc_homes"] == 0:
            assert "rcc_counterfactual" not in metrics[i]
            continue
        cf = metrics[i]["rcc_counterfactual"]
        assert cf["placements"] == metrics[i]["placements_in_rcc_homes"] > 0
        assert 0 < cf["matched"] <= cf["placements"]
    assert "rcc_counterfactual" not in metrics[0] and "rcc_counterfactual" not in metrics[4]
    assert "rcc_counterfactual" not in metrics[5]


def test_compare_json_gives_the_interval_under_drawn_assumptions_beside_the_seed_only_one(capsys, tmp_path):
    code, out, _ = _run(capsys, "compare", "--region", ONE_LA, "--scenarios", "single_customer", "--seeds", "2",
                        "--years", "1", "--jobs", "1", "--json", "--quiet")
    assert code == 0
    doc = json.loads(out)
    m = doc["scenarios"]["single_customer"]["metrics"]["cost_total_gbp"]
    assert set(m) >= {"diff", "lo", "hi", "diff_drawn", "lo_drawn", "hi_drawn"}
    assert m["lo_drawn"] <= m["diff_drawn"] <= m["hi_drawn"]
    assert m["diff_drawn"] != m["diff"]  # other runs: the drawn assumptions changed the answer
    draws = doc["assumptions"]["draws"]
    assert set(draws) == {"1", "2"} and draws["1"] != draws["2"]
    for name, value in draws["1"].items():
        lo, hi = doc["assumptions"]["ranges"][name]["range"]
        assert lo <= value <= hi
    assert "Across what we do not know" in doc["scenarios"]["single_customer"]["explanation"][-1]
    # --seed-only: the installed parameters only, half the runs, the same seed-only answer
    code, out, _ = _run(capsys, "compare", "--region", ONE_LA, "--scenarios", "single_customer", "--seeds", "2",
                        "--years", "1", "--jobs", "1", "--json", "--quiet", "--seed-only")
    only = json.loads(out)
    assert "assumptions" not in only
    assert only["scenarios"]["single_customer"]["metrics"]["cost_total_gbp"]["diff"] == m["diff"]
    assert "lo_drawn" not in only["scenarios"]["single_customer"]["metrics"]["cost_total_gbp"]


def test_drawn_assumptions_are_the_seeds_own_and_reach_only_the_levers_in_use(tmp_path):
    import pytest
    from rccsim.base.errors import InputError
    from rccsim.sim.scenario import load_scenario
    from rccsim.studies import uncertainty

    items = uncertainty.load_uncertainty()
    a, b = uncertainty.draw(items, 1), uncertainty.draw(items, 2)
    assert a == uncertainty.draw(items, 1) and a != b
    base, hub = load_scenario("baseline"), load_scenario("fostering_hub")
    drawn = uncertainty.apply(hub, a)
    assert drawn.parameters["market.own_provision_bonus_gbp"] == a["market.own_provision_bonus_gbp"]
    assert drawn.levers.fostering_hub.cost_per_enquiry_gbp == a["levers.fostering_hub.cost_per_enquiry_gbp"]
    assert drawn.levers.capital_homes is None  # a lever the scenario does not use stays off
    assert uncertainty.apply(base, a).levers == base.levers
    # a parameter the scenario sets itself is its policy, not an assumption to draw
    own = hub.model_copy(update={"parameters": {"market.own_provision_bonus_gbp": 1234.0}})
    assert uncertainty.apply(own, a).parameters["market.own_provision_bonus_gbp"] == 1234.0
    assert "levers.capital_homes.cost_per_home_gbp" not in uncertainty.used(items, hub)
    bad = tmp_path / "u.yaml"
    for text, message in (("market.nonsense: {range: [0, 1]}\n", "not a parameter"),
                          ("levers.capital_homes.colour: {range: [0, 1]}\n", "not a lever's setting"),
                          ("market.competition_markup: {range: [0.3, 0.1]}\n", "not a range"),
                          ("market.competition_markup: {range: [0, 50]}\n", "bounds")):
        bad.write_text(text)
        with pytest.raises(InputError, match=message):
            uncertainty.load_uncertainty(bad)


def test_the_assumption_that_drives_a_result_is_named():
    # synthetic runs: the option's cost difference is twice one assumption's drawn value plus noise
    # from another; that assumption comes first, with a rank correlation near one
    import numpy as np
    from rccsim.studies.uncertainty import summarise_drawn

    rng = np.random.default_rng(0)
    seeds = list(range(1, 21))
    draws = {s: {"a": float(rng.uniform()), "b": float(rng.uniform())} for s in seeds}
    runs = []
    for s in seeds:
        runs.append({"scenario": "baseline", "seed": s, "metrics": {"x": 10.0}})
        runs.append({"scenario": "opt", "seed": s, "metrics": {"x": 10.0 + 2 * draws[s]["b"] + 0.1 * rng.normal()}})
    out = summarise_drawn(runs, ["baseline", "opt"], seeds, ["x"], draws)
    top = out["opt"]["x"]["drivers"][0]
    assert top["name"] == "b" and top["rho"] > 0.9
    assert out["opt"]["x"]["lo"] < out["opt"]["x"]["diff"] < out["opt"]["x"]["hi"]
    assert out["baseline"]["x"]["drivers"] == []


def test_the_lever_results_page_shows_both_intervals_from_a_saved_comparison(tmp_path, capsys):
    import pytest
    from rccsim.base.errors import InputError
    from rccsim.report.docs import lever_results_page
    from rccsim.sim.scenario import load_scenario

    code, out, _ = _run(capsys, "compare", "--region", ONE_LA, "--scenarios", "single_customer", "--seeds", "2",
                        "--years", "1", "--jobs", "1", "--json", "--quiet")
    assert code == 0
    (tmp_path / "Wigan.json").write_text(out)
    page = lever_results_page(tmp_path)
    row = next(line for line in page.splitlines() if line.startswith("| single_customer |"))
    assert row.count("drawn:") == 5  # every metric, both intervals
    assert "### single_customer" in page and "Across what we do not know" in page
    # a comparison run with settings the bundled scenario no longer has says so
    doc = json.loads(out)
    assert doc["scenarios"]["single_customer"]["scenario_hash"] == load_scenario("single_customer").digest()
    doc["scenarios"]["single_customer"]["scenario_hash"] = "0123456789ab"
    (tmp_path / "Wigan.json").write_text(json.dumps(doc))
    stale = next(line for line in lever_results_page(tmp_path).splitlines() if line.startswith("| single_customer"))
    assert "run with earlier settings of `single_customer`: scenario 0123456789ab" in stale
    # and one whose baseline ran with other installed parameters warns that the model has changed
    assert "earlier installed parameters" not in lever_results_page(tmp_path)
    doc["scenarios"]["baseline"]["parameter_hash"] = "ba5e00000000"
    (tmp_path / "Wigan.json").write_text(json.dumps(doc))
    assert "**Run with earlier installed parameters** (parameters ba5e00000000" in lever_results_page(tmp_path)
    with pytest.raises(InputError, match="no comparisons"):
        lever_results_page(tmp_path / "empty")


def test_a_dashboard_study_can_say_which_results_rest_on_assumptions():
    """Asked to (the dashboard's tick box), a study runs each seed again under drawn assumptions: its
    summary holds the drawn ranges beside the seed-only intervals, its levels and intervals come from
    the runs as set alone, and the headline table and the explanation show the drawn range."""
    from rccsim.report import tables
    from rccsim.sim.scenario import load_scenario
    from rccsim.studies.study import StudyRequest, run_study

    scen = [load_scenario("baseline"), load_scenario("single_customer")]
    plain = run_study(StudyRequest(region="E08000009", scenarios=scen, seeds=[1, 2], years=1), processes=2)
    req = StudyRequest(region="E08000009", scenarios=scen, seeds=[1, 2], years=1, uncertainty=True)
    assert req.total_runs == 8
    res = run_study(req, processes=2)
    assert len(res.records) == 4 and res.meta["drawn"] and not plain.meta["drawn"]
    m, p = res.summary["single_customer"]["metrics"]["cost_total_gbp"], plain.summary["single_customer"]["metrics"]["cost_total_gbp"]
    assert (m["diff"], m["lo"], m["hi"]) == (p["diff"], p["lo"], p["hi"])  # the seed-only interval: the plain runs'
    assert m["lo_drawn"] < m["hi_drawn"] and (m["lo_drawn"], m["hi_drawn"]) != (m["lo"], m["hi"])
    assert "lo_drawn" not in p
    assert res.explanations["single_customer"][-1].startswith("Across what we do not know")
    rows = tables.headline_rows(res.summary, ["baseline", "single_customer"], {})
    assert "drawn: " in rows[0]["single_customer"]
