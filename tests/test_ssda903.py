"""SSDA903: what the model writes reads back as the same children; bad files are refused clearly."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rccsim.base.codes import Kind
from rccsim.base.errors import InputError
from rccsim.io import ssda903 as s9


@pytest.fixture(scope="module")
def written(small_run, tmp_path_factory):
    model, _, _ = small_run
    folder = tmp_path_factory.mktemp("ssda903")
    s9.write(model, folder)
    return model, folder


def _truth(model, day: int) -> pd.DataFrame:
    """The model's own children open on ``day``, from its placement log."""
    c, log = model.children, model.recorder.placements
    n = log.n
    child = log.child[:n].astype(np.int64)
    open_rows = np.flatnonzero((log.start[:n] <= day) & (log.end[:n] > day))
    ch = child[open_rows]
    order = np.lexsort((log.start[:n], child))
    first_row = np.zeros(c.n, dtype=np.int64) - 1
    seen = set()
    for r in order.tolist():
        if child[r] not in seen:
            seen.add(child[r])
            first_row[child[r]] = r
    moved = np.zeros(c.n, dtype=int)
    window = (log.start[:n] > day - 365) & (log.start[:n] <= day)
    for r in np.flatnonzero(window).tolist():
        if first_row[child[r]] != r:
            moved[child[r]] += 1
    kind = log.kind[:n][open_rows].astype(np.int64)
    # what SSDA903 can say: kinship/LA/agency foster, LA/independent home etc. (unregistered
    # settings are written as children's homes run by private providers)
    kind = np.where(kind == Kind.UNREGISTERED, Kind.HOME_IND, kind)
    return pd.DataFrame({
        "la": c.la[ch].astype(np.int64),
        "kind": kind,
        "age": np.round((day - c.dob[ch]) / 365.25, 4),
        "moves_last_year": moved[ch],
        "years_in_placement": np.round((day - log.start[:n][open_rows]) / 365.25, 4),
        "distance_miles": np.round(log.distance[:n][open_rows], 3),
    })


def _key(frame: pd.DataFrame) -> list[tuple]:
    cols = ["la", "kind", "age", "moves_last_year", "years_in_placement", "distance_miles"]
    f = frame[cols].copy()
    f["age"] = f["age"].round(4)
    f["years_in_placement"] = f["years_in_placement"].round(4)
    f["distance_miles"] = f["distance_miles"].round(3)
    return sorted(map(tuple, f.itertuples(index=False)))


def test_a_written_return_reads_back_as_the_same_children(written):
    model, folder = written
    ret = s9.read(folder)
    assert not ret.dropped
    day = 365 + 100
    got, warnings = s9.population_at(ret, model.start_date + dt.timedelta(days=day), geo=model.geo)
    assert not warnings  # every postcode written is one the model knows
    want = _truth(model, day)
    assert len(got) == len(want) > 1000
    assert _key(got) == _key(want)


def test_the_start_population_reads_back_from_the_written_return(written):
    # the children in care on 31 March before the run, as the model built them
    model, folder = written
    got, _ = s9.population_at(s9.read(folder), model.start_date - dt.timedelta(days=1), geo=model.geo)
    want = _truth(model, -1)
    assert len(got) == len(want)
    assert len(got) == int(model.children.initial[: model.children.n].sum())
    assert _key(got) == _key(want)


def test_nothing_that_identifies_a_child_is_in_the_population(written):
    model, folder = written
    got, _ = s9.population_at(s9.read(folder), model.start_date + dt.timedelta(days=400), geo=model.geo)
    assert not {"CHILD", "DOB", "HOME_POST", "PL_POST"} & set(got.columns)
    text = got.to_csv()
    episodes = pd.read_csv(sorted(folder.glob("*episodes.csv"))[0], dtype=str)
    for value in episodes["CHILD"].head(50).tolist() + episodes["HOME_POST"].head(50).tolist():
        assert value not in text


def test_dfe_and_iso_dates_and_retired_codes_are_read(written, tmp_path):
    model, folder = written
    for path in folder.glob("ssda903_*.csv"):
        year, part = path.stem.split("_")[1:]
        shutil.copy(path, tmp_path / f"{year}-{part.capitalize()}.csv")  # the names the tools use
    for path in tmp_path.glob("*-Episodes.csv"):
        ep = pd.read_csv(path, dtype=str, keep_default_na=False)
        ep["DECOM"] = pd.to_datetime(ep["DECOM"], format="%d/%m/%Y").dt.strftime("%Y-%m-%d")
        ep.loc[ep["PLACE"] == "K3", "PLACE"] = "H5"  # retired: semi-independent living -> supported
        ep.to_csv(path, index=False)
    day = model.start_date + dt.timedelta(days=465)
    a, _ = s9.population_at(s9.read(folder), day, geo=model.geo)
    b, _ = s9.population_at(s9.read(tmp_path), day, geo=model.geo)
    assert _key(a) == _key(b)
    assert (b["kind"] == Kind.SUPPORTED).sum() > 0


def _bad(tmp_path: Path, written, edit_episodes=None, edit_header=None, raw_episodes: bytes | None = None):
    _, folder = written
    first = sorted(folder.glob("ssda903_*_header.csv"))[0].name.split("_")[1]
    head = pd.read_csv(folder / f"ssda903_{first}_header.csv", dtype=str, keep_default_na=False)
    ep = pd.read_csv(folder / f"ssda903_{first}_episodes.csv", dtype=str, keep_default_na=False)
    if edit_header:
        head = edit_header(head)
    if edit_episodes:
        ep = edit_episodes(ep)
    head.to_csv(tmp_path / "header.csv", index=False)
    if raw_episodes is not None:
        (tmp_path / "episodes.csv").write_bytes(raw_episodes)
    else:
        ep.to_csv(tmp_path / "episodes.csv", index=False)
    return tmp_path


def _set(col, value, row=4):
    def edit(frame):
        frame.loc[row, col] = value
        return frame
    return edit


@pytest.mark.parametrize(
    ("kind", "edit", "message"),
    [
        ("episodes", lambda f: f.drop(columns=["PLACE"]), "episodes.csv: missing column(s) PLACE"),
        ("episodes", _set("PLACE", "Q9"), "episodes.csv row 6, column PLACE: unknown placement type ('Q9')"),
        ("episodes", _set("PLACE_PROVIDER", "PR9"), "row 6, column PLACE_PROVIDER: unknown placement provider"),
        ("episodes", _set("REC", "E99"), "row 6, column REC: unknown reason episode ceased"),
        ("episodes", _set("LS", "ZZ"), "row 6, column LS: unknown legal status"),
        ("episodes", _set("RNE", "Q"), "row 6, column RNE: unknown reason for new episode"),
        ("episodes", _set("DECOM", "31/02/2023"), "row 6, column DECOM: not a date"),
        ("episodes", _set("DEC", "01/01/1990"), "row 6, column DEC: episode ceased before it commenced"),
        ("episodes", _set("DECOM", "01/01/1950"), "row 6, column DECOM: episode starts before the child was born"),
        ("header", lambda f: pd.concat([f, f.iloc[[3]]], ignore_index=True), "header.csv row"),
        ("header", _set("SEX", "7"), "header.csv row 6, column SEX: unknown code"),
        ("episodes", _set("CHILD", "NOBODY"), "row 6, column CHILD: child not in any Header file"),
    ],
)
def test_bad_files_are_refused_naming_file_row_and_column(written, tmp_path, kind, edit, message):
    folder = _bad(tmp_path, written, **({"edit_episodes": edit} if kind == "episodes" else {"edit_header": edit}))
    with pytest.raises(InputError) as err:
        s9.read(folder)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_overlapping_episodes_are_refused_and_dropped_when_lenient(written, tmp_path):
    def overlap(ep):
        # a child's second episode starts before its first one ended
        dup = ep[ep["CHILD"].duplicated(keep=False)].index[:2]
        ep.loc[dup[1], "DECOM"] = ep.loc[dup[0], "DECOM"]
        ep.loc[dup[1], "DECOM"] = (pd.to_datetime(ep.loc[dup[0], "DECOM"], format="%d/%m/%Y")
                                   + pd.Timedelta(days=1)).strftime("%d/%m/%Y")
        return ep
    folder = _bad(tmp_path, written, edit_episodes=overlap)
    with pytest.raises(InputError, match="overlaps the child's previous episode"):
        s9.read(folder)
    ret = s9.read(folder, lenient=True)
    assert ret.dropped == {"episode overlaps the previous one": 1}


def test_empty_wrong_encoding_and_missing_files(written, tmp_path):
    with pytest.raises(InputError, match="episodes.csv: the file is empty"):
        s9.read(_bad(tmp_path, written, raw_episodes=b""))
    with pytest.raises(InputError, match="NUL bytes"):
        s9.read(_bad(tmp_path, written, raw_episodes="CHILD,DECOM\n1,2\n".encode("utf-16")))
    empty = tmp_path / "none"
    empty.mkdir()
    with pytest.raises(InputError, match="no Header file"):
        s9.read(empty)


def test_lenient_reading_drops_and_counts_bad_rows(written, tmp_path):
    folder = _bad(tmp_path, written, edit_episodes=_set("PLACE", "Q9", row=10))
    ret = s9.read(folder, lenient=True)
    assert ret.dropped == {"unknown placement type": 1}


def _samples() -> Path | None:
    """The synthetic returns of cs-demand-model (MIT): installed, or unpacked where
    CS_DEMAND_MODEL_SAMPLES points (.ci/run does that: the package pins pandas < 2, so it is
    never installed into the project's environment)."""
    import os

    where = os.environ.get("CS_DEMAND_MODEL_SAMPLES")
    if where and (Path(where) / "combined").is_dir():
        return Path(where) / "combined"
    try:
        import cs_demand_model_samples
    except ImportError:
        return None
    return Path(cs_demand_model_samples.__file__).parent / "combined"


def test_the_shipped_synthetic_returns_are_read(tmp_path):
    src = _samples()
    if src is None:
        pytest.skip("cs-demand-model samples not available (set CS_DEMAND_MODEL_SAMPLES)")
    for year in (2020, 2021):
        for part in ("header", "episodes"):
            shutil.copy(src / f"{year}-{part}.csv", tmp_path / f"{year}-{part}.csv")
    ret = s9.read(tmp_path, la="E08000003", lenient=True)
    pop, warnings = s9.population_at(ret, dt.date(2021, 3, 31))
    assert len(pop) > 50
    assert pop["kind"].isin(range(10)).all()
    assert warnings and "not in the ONS directory" in warnings[0]


def test_run_starts_las_from_their_return_and_results_hold_no_child_data(written, capsys, tmp_path):
    import json

    from rccsim.cli import main

    model, folder = written
    n_return = int(model.children.initial[: model.children.n].sum())
    out = tmp_path / "run.json"
    again = tmp_path / "again"
    code = main(["run", "--region", "E08000003,E08000006,E08000009", "--years", "1", "--seed", "9", "--quiet", "--json",
                 "--ssda903", str(folder), "--out", str(out), "--write-ssda903", str(again)])
    text, _ = capsys.readouterr()
    assert code == 0
    result = json.loads(text)
    assert result["metrics"]["children_in_care_start"] == n_return
    # nothing that identifies a child leaves in the results: no pseudonym, date of birth or postcode
    episodes = pd.concat([pd.read_csv(p, dtype=str) for p in folder.glob("*episodes.csv")])
    header = pd.concat([pd.read_csv(p, dtype=str) for p in folder.glob("*header.csv")])
    saved = out.read_text()
    for value in set(episodes["CHILD"].head(200)) | set(episodes["HOME_POST"].head(200)) | set(header["DOB"].head(200)):
        assert value not in saved
    assert (again / "ssda903_2025_episodes.csv").is_file()


def test_run_refuses_a_broken_return_in_one_line_and_writes_nothing(written, capsys, tmp_path):
    from rccsim.cli import main

    folder = _bad(tmp_path / "in", written, edit_episodes=_set("DEC", "01/01/1990")) if (tmp_path / "in").mkdir() is None else None
    out = tmp_path / "run.json"
    code = main(["run", "--region", "E08000003,E08000006,E08000009", "--years", "1", "--quiet",
                 "--ssda903", str(folder), "--out", str(out)])
    _, err = capsys.readouterr()
    assert code == 2
    assert "episodes.csv row 6, column DEC: episode ceased before it commenced" in err
    assert len(err.strip().splitlines()) == 1
    assert not out.exists()
    code = main(["run", "--region", "E08000006", "--years", "1", "--quiet", "--ssda903", str(written[1])])
    _, err = capsys.readouterr()
    assert code == 2 and "not in the region" in err


def test_estimated_rates_recover_the_model_that_wrote_the_return(tmp_path):
    """Parameter recovery: a return written by a run with 30% more starts and every exit hazard
    1.5 times the defaults gives back those starts and multipliers near 1.5."""
    import yaml
    from rccsim.core.children import EXIT_ROUTES, hazard_table
    from rccsim.inputs.params import ParamSet
    from rccsim.sim.scenario import load_scenario
    from rccsim.sim.simulation import Simulation

    base = ParamSet.defaults()
    published = 0.0
    overrides = {"demand.entry_multiplier": 1.3 * base["demand.entry_multiplier"]}
    for route in EXIT_ROUTES:
        overrides[f"exits.rate.{route}"] = [1.5 * x for x in base[f"exits.rate.{route}"]]
    scen = tmp_path / "faster.yaml"
    scen.write_text(yaml.safe_dump({"name": "faster", "parameters": overrides}))
    model = Simulation(region="E08000003", years=3, seed=4, scenario=load_scenario(scen)).model
    model.run()
    published = float(model.geo.las.set_index("la_code").loc["E08000003", "starts_2024"])
    s9.write(model, tmp_path / "ret")
    ret = s9.read(tmp_path / "ret")
    table = hazard_table(type("M", (), {"p": base})())  # the national (default) hazards
    rates = s9.estimate_rates(ret, dt.date(2027, 3, 31), table)
    (la,) = rates.starts_per_year
    generating = published * 1.3 * base["demand.entry_multiplier"]
    assert abs(rates.starts_per_year[la] / generating - 1) < 0.08, (rates.starts_per_year[la], generating)
    m = rates.exit_multiplier[la]
    # under-16 bands: the hazards the run used over the national ones (1.5), within sampling noise
    assert np.all((m[:4] > 1.2) & (m[:4] < 1.85)), m
    # 16-17: unaccompanied children leave to families less often in the model, which the return
    # does not show; the multiplier absorbs it (lower), but it still moves with the hazards
    assert 0.8 < m[4] < 1.85, m
    summary = rates.summary["E08000003"]
    assert summary["window"] == "02/04/2024-31/03/2027" or summary["window"].endswith("31/03/2027")
    assert set(summary) == {"window", "starts_per_year", "ceases_before_18", "expected_ceases", "exit_multiplier_by_age_band"}


def test_estimate_rates_on_the_command_line(tmp_path, written):
    import json
    import subprocess
    import sys

    from rccsim.sim.simulation import Simulation

    # a return of Trafford's years 2021-22 to 2023-24, then a run from 31 March 2024 on its rates
    model = Simulation(region="E08000009", years=3, seed=2, start_year=2021).model
    model.run()
    s9.write(model, tmp_path / "ret")
    cmd = [sys.executable, "-m", "rccsim", "run", "--region", "E08000009", "--ssda903", str(tmp_path / "ret"),
           "--estimate-rates", "--start", "2024", "--years", "1", "--json"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    est = doc["rates_from_ssda903"]["E08000009"]
    assert est["window"] == "02/04/2021-31/03/2024" or est["window"].endswith("31/03/2024")
    assert est["starts_per_year"] > 50 and "starts a year" in out.stderr
    # a return that begins at the start date cannot tell its LAs' rates: one line, exit 2
    _, folder = written
    early = subprocess.run([sys.executable, "-m", "rccsim", "run", "--region", "E08000003,E08000006,E08000009",
                            "--ssda903", str(folder), "--estimate-rates", "--years", "1"], capture_output=True, text=True)
    assert early.returncode == 2 and early.stderr.count("\n") == 1 and "--estimate-rates" in early.stderr
    bad = subprocess.run([sys.executable, "-m", "rccsim", "run", "--estimate-rates"], capture_output=True, text=True)
    assert bad.returncode == 2 and "go with --ssda903" in bad.stderr


# Rules the written return knowingly does not meet (README, "SSDA903 returns"): no UPNs (209), no
# Ofsted URNs (218), and home and placement, or two placements, at the same sampled postcode (392d,
# 435). Any other failing rule is a defect of the writer or the model.
KNOWINGLY_UNMET = {"209", "218", "392d", "435"}


def test_dfes_validation_rules_pass_on_a_written_return(tmp_path):
    """Runs csc-validator-be-903 in its own virtual environment (SSDA903_VALIDATOR_PYTHON, which
    .ci/run builds) on two collection years written by a Trafford run."""
    import json
    import os
    import subprocess

    from rccsim.sim.simulation import Simulation

    python = os.environ.get("SSDA903_VALIDATOR_PYTHON")
    if not python:
        pytest.skip("SSDA903_VALIDATOR_PYTHON not set (.ci/run builds the validator's environment)")
    model = Simulation(region="E08000009", years=2, seed=5).model
    model.run()
    s9.write(model, tmp_path)
    runner = Path(__file__).parent / "validator" / "run_903_rules.py"
    out = subprocess.run([python, str(runner), str(tmp_path), "2026", "E08000009"], capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    report = json.loads(out.stdout)
    assert report["ruleset"] == "lac2025_26" and report["rules_run"] > 100
    unexpected = {k: v for k, v in report["failed"].items() if k not in KNOWINGLY_UNMET}
    assert not unexpected, unexpected
