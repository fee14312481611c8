"""Bad input gets one line naming the problem and exit code 2: no traceback, nothing written.

One case (or a few) per defect of the robustness issue: non-finite and oversized lever settings,
duplicate YAML keys, scenario files that are not UTF-8 or not files, seeds beyond 2^63 - 1, a
backwards seed range, oversized comparisons, bad --jobs; and the outputs that must be safe:
CSV cells that a spreadsheet would run as formulas, HTML that would run script, a comparison's
folder written whole or not at all, the weighted counts that crashed small LAs.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import numpy as np
import pytest
from rccsim.cli import main

ROOT = Path(__file__).resolve().parents[1]


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_refused(code: int, err: str, *words: str) -> None:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2, err
    assert len(lines) == 1, err
    assert lines[0].startswith("rccsim: error: "), err
    assert "Traceback" not in err
    for w in words:
        assert w in lines[0], (w, lines[0])


def files_under(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


# ---------------------------------------------------------------------------------------------
# scenario files
# ---------------------------------------------------------------------------------------------

BAD_SCENARIOS = {
    # non-finite numbers (defect 5): YAML's .inf and .nan
    "capital_inf": ("levers:\n  capital_homes: {capital_gbp: .inf}\n", "capital_homes.capital_gbp"),
    "hub_inf": ("levers:\n  fostering_hub: {budget_gbp_per_year: .inf}\n", "fostering_hub.budget_gbp_per_year"),
    "running_inf": ("levers:\n  rcc_running_cost_gbp_per_year: .inf\n", "rcc_running_cost_gbp_per_year"),
    "parameter_nan": ("parameters:\n  demand.entry_multiplier: .nan\n", "demand.entry_multiplier"),
    "parameter_inf": ("parameters:\n  carers.assessment_lag_days: [60, .inf]\n", "carers.assessment_lag_days"),
    # sizes beyond a plausible maximum (defect 5): 1e15 looped for minutes
    "capital_huge": ("levers:\n  capital_homes: {capital_gbp: 1.0e+15}\n", "capital_homes.capital_gbp"),
    "capital_many_homes": ("levers:\n  capital_homes: {capital_gbp: 1.0e+9, cost_per_home_gbp: 100000}\n", "capital_homes"),
    "block_beds": ("levers:\n  block_contracts: {beds: 1000000}\n", "block_contracts.beds"),
    "hub_enquiries": ("levers:\n  fostering_hub: {budget_gbp_per_year: 1.0e+9, cost_per_enquiry_gbp: 100}\n", "fostering_hub"),
    # duplicate keys (defect 8): the second block silently switched the lever off
    "duplicate_lever": ("levers:\n  capital_homes: {}\n  capital_homes: {capital_gbp: 0}\n", "given twice"),
    "duplicate_top": ("name: a\nname: b\n", "given twice"),
    # a name that would break a one-line message
    "name_newline": ('name: "two\\nlines"\n', "name"),
}


@pytest.mark.parametrize("case", sorted(BAD_SCENARIOS))
def test_bad_scenario_is_refused_with_one_line(case, tmp_path, capsys):
    text, words = BAD_SCENARIOS[case]
    if not text.startswith("name"):
        text = f"name: {case}\n" + text
    path = tmp_path / f"{case}.yaml"
    path.write_text(text)
    out = tmp_path / "out.json"
    code, stdout, err = run_cli(capsys, "run", "--scenario", path, "--years", "1", "--quiet", "--out", out)
    assert_refused(code, err, words)
    assert not out.exists() and stdout == ""


def test_scenario_not_utf8_is_refused(tmp_path, capsys):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: caf\xe9\ndescription: Windows-1252\n".encode("latin-1"))
    code, _, err = run_cli(capsys, "run", "--scenario", path, "--years", "1", "--quiet")
    assert_refused(code, err, "not UTF-8")


def test_scenario_that_is_a_folder_is_refused(tmp_path, capsys):
    path = tmp_path / "folder.yaml"
    path.mkdir()
    code, _, err = run_cli(capsys, "run", "--scenario", path, "--years", "1", "--quiet")
    assert_refused(code, err, "folder")


def test_scenario_that_cannot_be_read_is_refused(tmp_path, capsys):
    path = tmp_path / "dangling.yaml"
    path.symlink_to(tmp_path / "nowhere" / "x.yaml")
    code, _, err = run_cli(capsys, "run", "--scenario", path, "--years", "1", "--quiet")
    assert_refused(code, err, "dangling.yaml")


def test_the_same_checks_hold_for_compare(tmp_path, capsys):
    path = tmp_path / "dup.yaml"
    path.write_text("name: dup\nlevers:\n  block_contracts: {}\n  block_contracts: {beds: 0}\n")
    code, _, err = run_cli(capsys, "compare", "--scenarios", path, "--seeds", "2", "--years", "1", "--out", tmp_path / "cmp")
    assert_refused(code, err, "given twice")
    assert files_under(tmp_path) == ["dup.yaml"]


# ---------------------------------------------------------------------------------------------
# seeds, jobs and the size of a comparison (defects 6, 7, 11)
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", [str(2**63), "-1", "1180591620717411303424"])
def test_run_seed_out_of_range(seed, capsys):
    code, _, err = run_cli(capsys, "run", "--seed", seed, "--years", "1", "--quiet")
    assert_refused(code, err, "seed")


@pytest.mark.parametrize("seeds,words", [
    ("1-0", "backwards"),
    ("1180591620717411303424", "at most"),
    (str(2**63), "at most"),
    (f"1,{2**63}", "2^63"),
    ("100000", "at most 1,000"),
    ("1-100000", "at most 1,000"),
    ("0", "at least 1"),
    ("1,1", "twice"),
    ("a-b", "--seeds"),
])
def test_compare_seeds_refused(seeds, words, tmp_path, capsys):
    code, _, err = run_cli(capsys, "compare", "--seeds", seeds, "--years", "1", "--out", tmp_path / "cmp")
    assert_refused(code, err, words)
    assert files_under(tmp_path) == []


@pytest.mark.parametrize("jobs", ["-5", "100000"])
def test_compare_jobs_refused(jobs, tmp_path, capsys):
    code, _, err = run_cli(capsys, "compare", "--seeds", "2", "--years", "1", "--jobs", jobs, "--out", tmp_path / "cmp")
    assert_refused(code, err, "--jobs")
    assert files_under(tmp_path) == []


def test_compare_too_many_runs_refused(capsys):
    code, _, err = run_cli(capsys, "compare", "--scenarios", "single_customer,shared_placements,capital_homes,fostering_hub,block_contracts,forecast_led", "--seeds", "1000", "--years", "1")
    assert_refused(code, err, "runs")


def test_compare_out_that_is_a_file_or_holds_other_files(tmp_path, capsys):
    f = tmp_path / "a_file"
    f.write_text("mine")
    code, _, err = run_cli(capsys, "compare", "--seeds", "2", "--years", "1", "--out", f)
    assert_refused(code, err, "is a file")
    d = tmp_path / "folder"
    d.mkdir()
    (d / "notes.txt").write_text("mine")
    code, _, err = run_cli(capsys, "compare", "--seeds", "2", "--years", "1", "--out", d)
    assert_refused(code, err, "other files")
    assert (d / "notes.txt").read_text() == "mine" and f.read_text() == "mine"


# ---------------------------------------------------------------------------------------------
# outputs: CSV formulas, a folder written whole, JSON without infinities (defects 5, 9, 10)
# ---------------------------------------------------------------------------------------------

FORMULA = "=cmd|' /C calc'!A0"


@pytest.fixture(scope="module")
def formula_comparison(tmp_path_factory):
    """A one-year comparison of the City of London with a scenario named as a spreadsheet formula."""
    work = tmp_path_factory.mktemp("formula")
    scen = work / "formula.yaml"
    scen.write_text(f'name: "{FORMULA}"\ndescription: "+SUM(A1:A2)"\nlevers:\n  single_customer: {{}}\n')
    code = main(["compare", "--region", "E09000001", "--scenarios", str(scen), "--seeds", "1,2", "--years", "1",
                 "--jobs", "1", "--quiet", "--out", str(work / "cmp")])
    assert code == 0
    return work / "cmp"


def test_csv_cells_cannot_run_as_formulas(formula_comparison):
    import csv

    for name in ("runs.csv", "summary.csv"):
        with open(formula_comparison / name, newline="") as fh:
            cells = [c for row in csv.reader(fh) for c in row]
        assert FORMULA not in cells
        assert "'" + FORMULA in cells
        # numbers stay numbers (a negative difference is not a formula)
        risky = [c for c in cells if c[:1] in "=+-@" and not _is_number(c)]
        assert not risky, risky[:3]


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def test_compare_folder_is_whole_or_absent(formula_comparison, tmp_path, monkeypatch, capsys):
    from rccsim.studies import compare

    assert sorted(p.name for p in formula_comparison.iterdir()) == sorted(compare.OUT_FILES)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(compare, "figure_differences", interrupted)
    doc = json.loads((formula_comparison / "comparison.json").read_text())
    out = tmp_path / "cmp"
    with pytest.raises(KeyboardInterrupt):
        compare._write_outputs(out, [], {s: v for s, v in doc["scenarios"].items()}, list(doc["scenarios"]),
                               {s: [] for s in doc["scenarios"]}, doc)
    assert files_under(tmp_path) == []  # no folder, no temporary left behind
    # an earlier comparison in the folder survives an interrupted rewrite untouched
    before = {p.name: p.read_bytes() for p in formula_comparison.iterdir()}
    with pytest.raises(KeyboardInterrupt):
        compare._write_outputs(formula_comparison, [], {s: v for s, v in doc["scenarios"].items()}, list(doc["scenarios"]),
                               {s: [] for s in doc["scenarios"]}, doc)
    assert {p.name: p.read_bytes() for p in formula_comparison.iterdir()} == before
    assert [p.name for p in formula_comparison.parent.iterdir() if p.name.startswith(".")] == []


def test_interrupt_prints_one_line(monkeypatch, capsys):
    from rccsim.core import engine

    def interrupted(self):
        raise KeyboardInterrupt

    monkeypatch.setattr(engine.CareMarket, "run", interrupted)
    code, out, err = run_cli(capsys, "run", "--region", "E09000001", "--years", "1", "--quiet")
    assert code == 130 and err.strip() == "rccsim: interrupted; nothing written" and out == ""


def test_result_json_has_no_infinities():
    from rccsim.outputs.record import _round

    assert _round({"a": float("inf"), "b": [float("-inf"), float("nan"), 1.5]}) == {"a": None, "b": [None, None, 1.5]}


# ---------------------------------------------------------------------------------------------
# the weighted-count crash class (defect 2)
# ---------------------------------------------------------------------------------------------

def test_weighted_bincount_is_float_when_empty():
    from rccsim.base.tables import weighted_bincount

    empty = weighted_bincount(np.array([], dtype=np.int64), np.array([]), minlength=3)
    assert empty.dtype == np.float64 and empty.tolist() == [0.0, 0.0, 0.0]
    total = np.zeros(3)
    total += empty  # what failed: int64 from np.bincount on an empty selection
    assert weighted_bincount(np.array([2, 2]), np.array([True, False]), 3).tolist() == [0.0, 0.0, 1.0]


def test_no_weighted_np_bincount_outside_the_helper():
    """Every weighted count goes through tables.weighted_bincount (np.bincount gives int64 when empty)."""
    offenders = []
    for path in sorted((ROOT / "model").rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "bincount"
                    and (any(k.arg == "weights" for k in node.keywords) or len(node.args) > 1)
                    and path.name != "tables.py"):
                offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []


def test_city_of_london_runs_three_years(capsys):
    """The reported crash: a quarterly review finding none of the run's children in an independent home."""
    code, out, err = run_cli(capsys, "run", "--region", "E09000001", "--start", "2024", "--years", "3", "--seed", "1",
                             "--json", "--quiet")
    assert code == 0, err
    assert json.loads(out)["metrics"]["children_in_care_start"] > 0


# ---------------------------------------------------------------------------------------------
# the report of a workflow study: a user's scenario file, a hostile name (defects 3, 4)
# ---------------------------------------------------------------------------------------------

def test_report_escapes_a_hostile_scenario_read_from_its_file(tmp_path, monkeypatch, capsys):
    """A comparison of a scenario given as a YAML path, whose name and description carry markup:
    the report loads it from its file (not by name) and escapes everything it shows."""
    from rccsim.studies.plan import studies

    monkeypatch.chdir(tmp_path)
    hostile = "x<script>alert(1)</script>"
    scen = tmp_path / "my_test.yaml"
    scen.write_text(f'name: "{hostile}"\ndescription: "<img src=x onerror=alert(2)>"\n'
                    "# a source line with <b>markup</b>\nlevers:\n  single_customer: {}\n")
    plan = studies({"comparisons": [{"name": "hostile", "region": "E09000001", "scenarios": [str(scen)], "seeds": 2,
                                     "years": 1}], "sweeps": []})["hostile"]
    plan_path = tmp_path / "plan.json"
    plan_path.write_text(json.dumps(plan))
    url = f"sqlite:///{tmp_path / 'results' / 'db.sqlite'}"
    chunks = []
    for cid in plan["chunks"]:
        out = tmp_path / "results" / f"{cid}.jsonl"
        assert main(["batch", str(plan_path), "--chunk", cid, "--out", str(out), "--quiet"]) == 0
        chunks.append(str(out))
    assert main(["db", "load", "--url", url, *chunks]) == 0
    report = tmp_path / "report.html"
    assert main(["report", "--plan", str(plan_path), "--url", url, "--out", str(report)]) == 0, capsys.readouterr().err
    text = report.read_text()
    assert "<script>" not in text and "<img src=x" not in text and "<b>markup</b>" not in text
    assert "x&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "&lt;img src=x onerror=alert(2)&gt;" in text  # the description, read from the file
    assert "a source line with &lt;b&gt;markup&lt;/b&gt;" in text  # its comment lines too
    # the provenance line: the number of runs and when, not a printed table
    import re

    assert re.search(r"<b>Runs:</b> 4 as set, and as many again under drawn assumptions, run between \d{4}-\d\d-\d\dT[\d:]+\+00:00 and \d{4}-", text)
    assert "scenario_hash" not in text and "parameter_hash" not in text
