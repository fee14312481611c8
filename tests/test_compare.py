"""rccsim compare: common seeds, paired differences, the documented JSON, clear refusals."""

from __future__ import annotations

import json

from model.cli import main

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
        (["--seeds", "1,1"], "distinct"),
        (["--region", "Atlantis"], "Atlantis"),
        (["--scenarios", "capital_homes,capital_homes"], "twice"),
    ):
        code, _, err = _run(capsys, "compare", "--years", "1", "--quiet", "--out", str(tmp_path / "x"), *argv)
        assert code == 2, argv
        assert message in err and len(err.strip().splitlines()) == 1, (argv, err)
        assert not (tmp_path / "x").exists()
