"""Calibration: targets are checked on reading, and the fit recovers parameters the model generated."""

from __future__ import annotations

import pytest
from rccsim.base.errors import InputError
from rccsim.calibrate import fit as cal
from rccsim.inputs.params import ParamSet

HEADER = "id,metric,year,geography,value,unit,kind,role,source\n"


def _targets(tmp_path, rows: str):
    path = tmp_path / "targets.csv"
    path.write_text(HEADER + rows)
    return path


def test_bundled_targets_all_have_sources_and_known_metrics():
    targets = cal.load_targets()
    assert len(targets) >= 30
    assert {t.role for t in targets} == {"fit", "validate", "backtest"}
    assert all(t.source and len(t.source) > 20 for t in targets)
    # a held-out figure is never also a fit target
    fit = {(t.metric, t.year, t.geography) for t in targets if t.role == "fit"}
    assert not fit & {(t.metric, t.year, t.geography) for t in targets if t.role == "validate"}


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("a,children_in_care_end,2024,England,83630,children,stock,fit,\n", "row 2 \\(a\\): target has no source"),
        ("a,children_in_care_end,2024,England,83630,children,stock,fit,   \n", "target has no source"),
        ("a,happiness,2024,England,1,x,share,fit,DfE\n", "unknown metric 'happiness'"),
        ("a,children_in_care_end,2024,England,83630,children,mood,fit,DfE\n", "unknown kind 'mood'"),
        ("a,children_in_care_end,2024,England,83630,children,stock,guess,DfE\n", "unknown role 'guess'"),
        ("a,children_in_care_end,2024,England,lots,children,stock,fit,DfE\n", "must be numbers"),
        ("a,children_in_care_end,2024,GM,1,c,stock,fit,DfE\nb,children_in_care_end,2024,GM,1,c,stock,validate,DfE\n",
         "row 3: duplicate target 'b'"),
    ],
)
def test_bad_targets_are_refused_with_file_and_row(tmp_path, row, message):
    with pytest.raises(InputError, match=message):
        cal.load_targets(_targets(tmp_path, row))


def test_missing_columns_are_named(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("id,metric,year,value\na,children_in_care_end,2024,1\n")
    with pytest.raises(InputError, match="missing column"):
        cal.load_targets(path)


def test_tolerances_follow_the_kind():
    stock = cal.Target("s", "children_in_care_end", 2024, "England", 1000.0, "children", "stock", "fit", "x")
    share = cal.Target("p", "share_over_20_miles", 2024, "England", 0.2, "fraction", "share", "fit", "x")
    assert stock.tolerance == pytest.approx(50.0)
    assert share.tolerance == pytest.approx(0.03)


def test_the_fit_recovers_a_parameter_from_data_the_model_generated():
    """Generate moments at a known entry multiplier, then fit from the default: the fit finds it."""
    region, start, seeds, truth = "E08000009", 2023, [4], 1.25
    base = ParamSet.registry()
    names = ["demand.entry_multiplier"]
    spec = cal.FitSpec(region=region, start=start, seeds=seeds, design_points=5, refine_rounds=2,
                       parameters={"demand.entry_multiplier": {"range": [0.8, 1.6]}})
    template = [
        cal.Target("entries", "entries_per_year", start + 1, region, 0.0, "children", "flow", "fit", "generated"),
        cal.Target("stock", "children_in_care_end", start + 1, region, 0.0, "children", "stock", "fit", "generated"),
    ]
    generated = cal.simulate(template, cal.apply(base, names, spec.parameters, [truth]), seeds, start).mean(axis=0)
    targets = [cal.Target(t.id, t.metric, t.year, t.geography, float(v), t.unit, t.kind, t.role, t.source)
               for t, v in zip(template, generated, strict=True)]
    result = cal.fit(targets, spec, base=base)
    assert abs(result.best_x[0] - truth) < 0.06, result.history
    assert result.best_loss < 0.1
    # and the default (1.0) is clearly worse: the targets do pin the parameter down
    at_default = cal.loss(cal.simulate(targets, base, seeds, start), targets)
    assert at_default > 5 * max(result.best_loss, 0.01)


def test_the_fit_does_not_depend_on_how_many_processes_run_it():
    """Design points spread over processes give the same losses, in the same order, as one process."""
    region, start = "E08000009", 2023
    spec = cal.FitSpec(region=region, start=start, seeds=[3], design_points=2, refine_rounds=0,
                       parameters={"demand.entry_multiplier": {"range": [0.8, 1.2]}})
    targets = [cal.Target("stock", "children_in_care_end", start + 1, region, 500.0, "children", "stock", "fit", "x")]
    one = cal.fit(targets, spec, base=ParamSet.registry(), jobs=1)
    two = cal.fit(targets, spec, base=ParamSet.registry(), jobs=2)
    assert [loss for _, loss in one.history] == [loss for _, loss in two.history]
    assert len({loss for _, loss in one.history}) == 2  # two different points, two different losses
    assert one.best_x.tolist() == two.best_x.tolist()


def test_a_partial_refit_keeps_the_installed_values_it_did_not_refit(tmp_path):
    # rccsim calibrate --from-installed: the written file holds every installed value, the refitted
    # ones replaced, and says which were refitted on which fit
    from types import SimpleNamespace

    import yaml

    installed = {"fitted_on": "2026-11-23", "code_version": "v1", "loss": 0.8,
                 "values": {"carers.leave_rate_per_year": 0.58, "demand.entry_multiplier": 1.07}}
    result = SimpleNamespace(names=["carers.leave_rate_per_year"], best_loss=0.5,
                             params={"carers.leave_rate_per_year": 0.45})
    spec = cal.FitSpec(region="england", start=2022, seeds=[1], design_points=2, refine_rounds=0,
                       parameters={"carers.leave_rate_per_year": {"range": [0.3, 0.6]}})
    path = tmp_path / "fitted.yaml"
    cal.write_fitted(result, [], spec, path, "v2", on=installed)
    doc = yaml.safe_load(path.read_text())
    assert doc["values"] == {"carers.leave_rate_per_year": 0.45, "demand.entry_multiplier": 1.07}
    assert doc["refitted"] == ["carers.leave_rate_per_year"]
    assert doc["refit_of"] == {"fitted_on": "2026-11-23", "code_version": "v1", "loss": 0.8}
    cal.write_fitted(result, [], spec, path, "v2")  # a fit of its own keeps only what it fitted
    assert yaml.safe_load(path.read_text())["values"] == {"carers.leave_rate_per_year": 0.45}


def test_the_ten_year_check_compares_each_indicator_with_its_last_published_value():
    from rccsim.calibrate.report import DECADE_METRICS, decade_targets

    targets = cal.load_targets()
    last, decade = decade_targets(targets)
    assert last == max(t.year for t in targets if t.role == "fit" and t.geography == "England")
    published = {}  # each metric's latest published value
    for t in sorted((t for t in targets if t.role == "fit" and t.geography == "England"), key=lambda t: t.year):
        published[t.metric] = t.value
    assert {t.metric for t in decade} == set(DECADE_METRICS) & set(published)
    assert {"children_homes_end", "provider_margin_home"} <= {t.metric for t in decade}
    assert {t.year - last for t in decade} == {1, 5, 10}
    for t in decade:
        assert t.role == "decade" and t.value == published[t.metric]
        assert t.source.startswith("no published figure")  # never passed off as a statistic


def test_an_installed_refit_keeps_each_values_own_provenance(tmp_path, monkeypatch):
    import shutil

    import yaml
    from rccsim.inputs import params as params_mod

    shutil.copy(params_mod._registry_path(), tmp_path / "parameters.yaml")
    doc = {"fitted_on": "2026-12-01", "method": "m", "region": "england", "start": 2022, "code_version": "v2",
           "values": {"carers.leave_rate_per_year": 0.45, "demand.entry_multiplier": 1.07},
           "refitted": ["carers.leave_rate_per_year"],
           "refit_of": {"fitted_on": "2026-11-23", "code_version": "v1", "loss": 0.8}}
    (tmp_path / "fitted.yaml").write_text(yaml.safe_dump(doc))
    monkeypatch.setattr(params_mod, "_registry_path", lambda: tmp_path / "parameters.yaml")
    p = ParamSet.defaults()
    assert p["carers.leave_rate_per_year"] == 0.45
    assert "2026-12-01" in p.specs["carers.leave_rate_per_year"].source and "(refit)" in p.specs["carers.leave_rate_per_year"].source
    assert "2026-11-23" in p.specs["demand.entry_multiplier"].source and "2026-12-01" not in p.specs["demand.entry_multiplier"].source


def test_the_ten_year_check_needs_englands_targets_and_a_refit_needs_a_fit(tmp_path, capsys):
    from rccsim.calibrate.report import decade_targets
    from rccsim.cli import main

    regional = [t for t in cal.load_targets() if t.geography != "England"]
    assert decade_targets(regional) == (0, [])  # no check, no crash after a fit
    for flag in ("--no-fit", "--sensitivity"):
        assert main(["calibrate", "--from-installed", flag, "--quick", "--out", str(tmp_path)]) == 2
        assert "--from-installed" in capsys.readouterr().err


def test_out_naming_a_file_is_refused_before_the_fit(tmp_path):
    """`rccsim calibrate --out FILE` (a file, not a folder) and `--out FILE/sub`: one line, exit
    code 2, no traceback, in a second or two (before any simulation), and the file untouched."""
    import subprocess
    import sys

    existing = tmp_path / "notes.txt"
    existing.write_text("mine\n")
    for out, expected in [(existing, f"--out {existing} is a file: give a folder to write into"),
                          (existing / "cal", f"--out {existing / 'cal'}: {existing} is a file, not a folder")]:
        run = subprocess.run([sys.executable, "-m", "rccsim", "calibrate", "--quick", "--no-fit", "--out", str(out)],
                             capture_output=True, text=True, timeout=120)
        assert run.returncode == 2, run.stderr[-2000:]
        assert "Traceback" not in run.stderr
        assert run.stderr.strip().splitlines() == [f"rccsim: error: {expected}"], run.stderr[-2000:]
    assert existing.read_text() == "mine\n" and sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_per_la_targets_judge_each_la_against_dfe(tmp_path):
    """The per-LA targets (rccsim.calibrate.by_la): read from the targets file, measured at the end
    of a run, and reported LA by LA by `rccsim calibrate` (by_la.csv, by_la.png)."""
    import pandas as pd
    from rccsim.calibrate import by_la
    from rccsim.cli import main

    targets = cal.load_targets()
    la = [t for t in targets if t.metric in by_la.LA_METRICS]
    assert {t.metric for t in la} == set(by_la.LA_METRICS)
    assert {t.metric for t in la if t.role == "fit"} == {"la_outside_rank_correlation", "la_outside_median_error"}
    assert {t.metric for t in la if t.role == "validate"} == {"la_hosted_rank_correlation", "la_hosted_median_error"}
    rank = next(t for t in la if t.metric == "la_outside_rank_correlation")
    assert rank.tolerance == pytest.approx(0.2) and rank.value == 1.0  # within at 0.8 or more
    # the summary: a perfect model, and one that has the LAs in reverse order
    dfe = by_la.dfe_outside_shares(2024)
    assert len(dfe) > 140 and dfe.dfe_share_out.between(0, 1).all()
    assert dfe.dfe_hosted.notna().sum() > 140 and dfe.dfe_hosted.dropna().between(0, 1).all()
    # Kent hosts many other LAs' children (1,165 of the 2,738 placed within its boundary in 2024)
    assert dfe.set_index("la_name").loc["Kent", "dfe_hosted"] == pytest.approx(1165 / 2738)
    exact = [{c: {"children_in_care_end": 200, "share_out_of_la": s, "share_over_20_miles": 0.1, "share_hosted_from_other_las": h}
              for c, s, h in zip(dfe.la_code, dfe.dfe_share_out, dfe.dfe_hosted)}]
    s = by_la.outside_summary(by_la.outside_table(exact, 2024))
    assert s["la_outside_rank_correlation"] == pytest.approx(1.0) and s["la_outside_median_error"] == pytest.approx(0.0)
    assert s["la_hosted_rank_correlation"] == pytest.approx(1.0) and s["la_hosted_median_error"] == pytest.approx(0.0)
    flipped = [{c: dict(v, share_out_of_la=1 - v["share_out_of_la"], share_hosted_from_other_las=1 - v["share_hosted_from_other_las"])
                for c, v in exact[0].items()}]
    s = by_la.outside_summary(by_la.outside_table(flipped, 2024))
    assert s["la_outside_rank_correlation"] == pytest.approx(-1.0) and s["la_hosted_rank_correlation"] == pytest.approx(-1.0)
    # measured at the end of a run only
    with pytest.raises(InputError, match="end of a run"):
        early = cal.Target("r", "la_outside_rank_correlation", 2023, "England", 1.0, "rank", "la_rank", "fit", "x")
        cal.simulate([early, next(t for t in targets if t.id == "cla_2024")], ParamSet.defaults(), [1], 2022)
    # the report: every LA with 100+ children, the model against DfE, and the summary in fit.md
    out = tmp_path / "cal"
    assert main(["calibrate", "--quick", "--no-fit", "--quiet", "--out", str(out)]) == 0
    table = pd.read_csv(out / "by_la.csv")
    assert len(table) >= 140 and {"la_code", "dfe_share_out", "sim_share_out", "error_pts", "kind"} <= set(table.columns)
    assert (out / "by_la.png").stat().st_size > 10_000
    assert "rank correlation" in (out / "fit.md").read_text() and "other LAs'" in (out / "fit.md").read_text()
    fit = pd.read_csv(out / "fit.csv").set_index("id")
    # one year of England from 2023: London's boroughs place more children outside than the counties,
    # as DfE's do, so the ranks agree well (a model with one national share would score near 0)
    assert fit.loc["la_outside_rank_2024", "simulated"] > 0.6
    assert fit.loc["la_outside_error_2024", "simulated"] < 0.1
    means = table.groupby("kind").sim_share_out.mean()
    assert means["London"] > means["county"] + 0.15
