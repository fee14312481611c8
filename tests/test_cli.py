"""The command line: output shape, atomic --out, and one-line errors with exit code 2 on bad input."""

from __future__ import annotations

import json

import pytest
from rccsim.cli import main
from rccsim.outputs.metrics import HEADLINE

ONE_LA = "E08000009"  # Trafford


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_output_holds_the_headline_metrics_and_provenance(capsys, tmp_path):
    out_file = tmp_path / "sub" / "run.json"
    code, out, _ = _run(capsys, "run", "--region", ONE_LA, "--years", "2", "--seed", "5", "--json", "--quiet", "--out", str(out_file))
    assert code == 0
    record = json.loads(out)
    for key in ("seed", "scenario", "region", "parameter_hash", "code_version", "start_year", "years"):
        assert key in record
    assert record["seed"] == 5 and record["years"] == 2 and record["scenario"] == "baseline"
    metrics = record["metrics"]
    for name in HEADLINE:
        assert name in metrics, name
        assert all(name in year for year in metrics["by_year"]), name
    assert len(metrics["by_year"]) == 2
    assert set(metrics["by_la"]) == {ONE_LA}
    # --out holds exactly what was printed
    assert json.loads(out_file.read_text()) == record


def test_summary_table_is_the_default(capsys):
    code, out, err = _run(capsys, "run", "--region", ONE_LA, "--years", "1")
    assert code == 0
    assert "Children in care (start / end)" in out
    assert "year 1/1" in err  # progress on stderr


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["run", "--region", "Atlantis"], "unknown region"),
        (["run", "--region", "E08000003,E99999999"], "E99999999"),
        (["run", "--scenario", "no_such_scenario"], "unknown scenario 'no_such_scenario'"),
        (["run", "--years", "-1"], "--years must be a whole number from 1 to 50"),
        (["run", "--years", "0"], "--years must be a whole number from 1 to 50"),
        (["run", "--years", "ten"], "not a whole number"),
        (["run", "--seed", "-3"], "--seed must be a whole number from 0 to"),
        (["run", "--start", "1999"], "1999"),
        (["run", "--frobnicate"], "unrecognized arguments"),
        (["fly"], "invalid choice"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(capsys, tmp_path, argv, expected):
    out_file = tmp_path / "never.json"
    extra = ["--out", str(out_file)] if argv[0] == "run" else []
    code, out, err = _run(capsys, *argv, *extra)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("rccsim: error:")
    assert expected in lines[0]
    assert "Traceback" not in err
    assert not out_file.exists()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: x\nparameters:\n  market.no_such_parameter: 1\n", "unknown parameter"),
        ("name: x\nparameters:\n  market.circulation: -4\n", "market.circulation"),
        ("name: x\nparameters:\n  carers.assessment_lag_days: 120\n", "list of 2 numbers"),
        ("name: x\ncolour: blue\n", "unknown scenario key 'colour'"),
        ("name: x\nlevers:\n  teleport: true\n", "levers.teleport"),
        ("name: x\nparameters: [unclosed\n", "not valid YAML"),
        ("- just\n- a list\n", "must be a YAML mapping"),
    ],
)
def test_bad_scenario_files_exit_2_with_one_line(capsys, tmp_path, text, expected):
    scenario = _write(tmp_path, "bad.yaml", text)
    out_file = tmp_path / "out" / "never.json"
    code, out, err = _run(capsys, "run", "--region", ONE_LA, "--scenario", scenario, "--years", "1", "--out", str(out_file))
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert expected in lines[0]
    assert not out_file.exists() and not (tmp_path / "out").exists()
    assert out == ""


def test_missing_scenario_file_is_named(capsys, tmp_path):
    code, _, err = _run(capsys, "run", "--scenario", str(tmp_path / "gone.yaml"))
    assert code == 2
    assert "gone.yaml" in err and len(err.strip().splitlines()) == 1


def test_calibrate_refuses_a_target_without_source(capsys, tmp_path):
    bad = _write(tmp_path, "targets.csv", "id,metric,year,geography,value,unit,kind,role,source\n"
                 "cla,children_in_care_end,2024,England,83630,children,stock,fit,\n")
    out_dir = tmp_path / "report"
    code, out, err = _run(capsys, "calibrate", "--quick", "--targets", bad, "--out", str(out_dir))
    assert code == 2
    assert "target has no source" in err and len(err.strip().splitlines()) == 1
    assert not out_dir.exists()


def test_calibrate_names_a_region_without_fit_targets(capsys, tmp_path):
    out_dir = tmp_path / "report"
    code, out, err = _run(capsys, "calibrate", "--quick", "--region", "GM", "--out", str(out_dir))
    assert code == 2
    assert "no fit targets for region 'GM'" in err and "SE" in err and len(err.strip().splitlines()) == 1
    assert not out_dir.exists()
    code, out, err = _run(capsys, "calibrate", "--quick", "--region", "Atlantis", "--out", str(out_dir))
    assert code == 2 and "Atlantis" in err and len(err.strip().splitlines()) == 1
    assert not out_dir.exists()


def test_quick_calibration_runs_end_to_end_and_leaves_the_installed_fit_alone(capsys, tmp_path):
    """`rccsim calibrate --quick` (CI, first use): fits, writes its report and a parameter file in
    --out, and changes the defaults only with --install."""
    import csv

    from rccsim.base.paths import data_dir

    installed = data_dir().parent / "fitted.yaml"
    before = installed.read_bytes()
    out_dir = tmp_path / "cal"
    code, _, err = _run(capsys, "calibrate", "--quick", "--jobs", "2", "--out", str(out_dir))
    assert code == 0, err
    for name in ("fit.csv", "fit.md", "fit.png", "fitted.yaml"):
        assert (out_dir / name).is_file(), name
    rows = list(csv.DictReader((out_dir / "fit.csv").open()))
    fitted = [r for r in rows if r["role"] == "fit"]
    assert fitted and all(r["simulated"] not in ("", "nan") for r in fitted)
    report = (out_dir / "fit.md").read_text()
    assert "targets within tolerance" in report and "quick mode" in report
    assert installed.read_bytes() == before


def test_a_range_with_its_ends_reversed_is_refused_before_the_run(capsys, tmp_path):
    sc = _write(tmp_path, "rev.yaml", "name: rev\nparameters:\n  carers.assessment_lag_days: [150, 60]\n")
    code, out, err = _run(capsys, "run", "--region", ONE_LA, "--years", "1", "--scenario", sc)
    assert code == 2 and out == ""
    assert "carers.assessment_lag_days" in err and "low end first" in err and len(err.strip().splitlines()) == 1


def test_out_naming_a_folder_is_refused_before_the_run(capsys, tmp_path):
    code, out, err = _run(capsys, "run", "--region", ONE_LA, "--years", "1", "--out", str(tmp_path))
    assert code == 2 and out == ""
    assert "is a folder" in err and len(err.strip().splitlines()) == 1


def test_a_quick_fit_is_never_installed(capsys, tmp_path):
    from rccsim.base.paths import data_dir

    installed = data_dir().parent / "fitted.yaml"
    before = installed.read_bytes()
    code, _, err = _run(capsys, "calibrate", "--quick", "--install", "--out", str(tmp_path / "cal"))
    assert code == 2 and "--install with --quick" in err and len(err.strip().splitlines()) == 1
    assert installed.read_bytes() == before and not (tmp_path / "cal").exists()


def test_las_can_be_named_as_an_analyst_would_type_them():
    from rccsim.inputs.geography import load_geography

    geo = load_geography()
    bristol = geo.resolve_region("E06000023").la_index.tolist()
    assert geo.resolve_region("Bristol, City of").la_index.tolist() == bristol  # the full name has a comma
    assert geo.resolve_region("Bristol").la_index.tolist() == bristol
    assert geo.resolve_region("St Helens").la_index.tolist() == geo.resolve_region("St. Helens").la_index.tolist()
    assert geo.resolve_region("Greater Manchester").la_index.tolist() == geo.resolve_region("GM").la_index.tolist()
    assert len(geo.resolve_region("Bristol, Manchester").la_index) == 2


def test_docs_writes_into_an_existing_folder(tmp_path):
    """rccsim docs --out takes a folder, there already or not (it was refused once it existed)."""
    from rccsim.cli import main

    out = tmp_path / "docs"
    out.mkdir()
    assert main(["docs", "--out", str(out)]) == 0
    assert (out / "lever_results.md").is_file()
