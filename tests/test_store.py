"""The results database and the chunk runner: each run stored once, resumable chunks, one writer."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys

import pytest
from rccsim.base.errors import InputError
from rccsim.io import store
from rccsim.studies import batch
from rccsim.studies.plan import comparison_plan, sweep_plan


@pytest.fixture(scope="module")
def plan_and_chunk(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("chunk")
    plan = comparison_plan({"name": "unit", "region": "E08000009", "scenarios": ["single_customer"], "seeds": [5, 6],
                            "years": 1, "uncertainty": False})  # the drawn runs are tested in test_workflow.py
    path = tmp / "plan.json"
    path.write_text(json.dumps(plan))
    out = tmp / "c000.jsonl"
    batch.run_chunk(path, "c000", out, quiet=True)
    return tmp, path, out


def count(url_path) -> int:
    con = sqlite3.connect(url_path)
    try:
        return con.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
    finally:
        con.close()


def test_a_chunk_holds_its_plans_runs_in_order(plan_and_chunk):
    _, path, out = plan_and_chunk
    plan = json.loads(path.read_text())
    recs = store.read_chunk(out)
    assert [r["run_key"] for r in recs] == [s["run_key"] for s in plan["chunks"]["c000"]]
    assert {r["scenario"] for r in recs} == {"baseline", "single_customer"}
    assert all(r["seed"] == 5 and r["years"] == 1 for r in recs)
    assert not out.with_name(out.name + ".partial").exists()


def test_a_resumed_chunk_reuses_finished_runs(plan_and_chunk, tmp_path, monkeypatch):
    _, path, out = plan_and_chunk
    first, second = store.read_chunk(out)
    new_out = tmp_path / "c000.jsonl"
    # a killed attempt: one whole run, then a torn line
    new_out.with_name(new_out.name + ".partial").write_text(json.dumps(first) + "\n" + json.dumps(second)[:50])
    calls = []
    real = batch.record_of
    monkeypatch.setattr(batch, "record_of", lambda spec, run: calls.append(spec["scenario"]) or real(spec, run))
    batch.run_chunk(path, "c000", new_out, quiet=True)
    # the finished baseline run is not recorded again (it is run again, unrecorded, so that the
    # other scenario learns where its RCC's children were in it)
    assert calls == ["single_customer"]
    again = store.read_chunk(new_out)
    assert again[0] == first
    assert again[1]["metrics"] == second["metrics"]  # same seed, same result


def test_loading_twice_stores_each_run_once_and_new_code_replaces(plan_and_chunk, tmp_path):
    _, _, out = plan_and_chunk
    db = tmp_path / "r.sqlite"
    url = f"sqlite:///{db}"
    assert store.load_chunks(url, [out]) == {"chunks": 1, "added": 2, "already_loaded": 0}
    assert store.load_chunks(url, [out, out]) == {"chunks": 2, "added": 0, "already_loaded": 4}
    assert count(db) == 2
    recs = store.read_chunk(out)
    recs[0]["code_version"] = "rccsim 9.9.9+gother"
    moved = tmp_path / "moved.jsonl"
    moved.write_text("\n".join(json.dumps(r) for r in recs) + "\n")
    assert store.load_chunks(url, [moved])["added"] == 1
    con = sqlite3.connect(db)
    assert con.execute("SELECT COUNT(*), COUNT(DISTINCT run_key) FROM runs").fetchone() == (2, 2)
    (n_metrics,) = con.execute("SELECT COUNT(*) FROM metrics").fetchone()
    con.close()
    assert n_metrics == sum(len(store._rows(r)[1]) for r in recs)  # the replaced run's metrics went with it


def test_concurrent_loaders_never_duplicate(plan_and_chunk, tmp_path):
    _, _, out = plan_and_chunk
    db = tmp_path / "c.sqlite"
    cmd = [sys.executable, "-m", "rccsim", "db", "load", "--url", f"sqlite:///{db}", str(out), str(out)]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    results = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), results
    assert count(db) == 2


def test_a_damaged_chunk_file_is_refused_whole(tmp_path, plan_and_chunk):
    _, _, out = plan_and_chunk
    bad = tmp_path / "bad.jsonl"
    bad.write_text(out.read_text() + "{not json\n")
    url = f"sqlite:///{tmp_path}/d.sqlite"
    with pytest.raises(InputError, match=r"bad.jsonl, line 3: not a JSON record"):
        store.load_chunks(url, [bad])
    assert not (tmp_path / "d.sqlite").exists()  # refused before the database was created


def test_bad_database_url_is_one_clear_error():
    with pytest.raises(InputError, match="not an SQLAlchemy URL"):
        store.connect("not a url")


def test_run_keys_identify_what_defines_a_run():
    a = comparison_plan({"name": "k", "region": "GM", "scenarios": ["single_customer"], "seeds": 2, "years": 3})
    b = comparison_plan({"name": "k", "region": "GM", "scenarios": ["single_customer"], "seeds": 2, "years": 3})
    c = comparison_plan({"name": "k", "region": "GM", "scenarios": ["single_customer"], "seeds": 2, "years": 4})
    keys = lambda p: [s["run_key"] for ch in p["chunks"].values() for s in ch]  # noqa: E731
    assert keys(a) == keys(b)
    assert len(set(keys(a))) == 8  # 2 scenarios x 2 seeds, as set and under each seed's drawn assumptions
    assert not set(keys(a)) & set(keys(c))


def test_drawn_assumption_runs_leave_the_plain_runs_as_they_were():
    """uncertainty: false plans the plain runs alone, with the same keys and chunks as the drawn plan's plain runs;
    each seed's drawn runs share one draw, which differs between seeds."""
    study = {"name": "k", "region": "GM", "scenarios": ["single_customer"], "seeds": 3, "years": 3}
    drawn, plain = comparison_plan(study), comparison_plan({**study, "uncertainty": False})
    specs = lambda p: [s for ch in p["chunks"].values() for s in ch]  # noqa: E731
    assert drawn["uncertainty"] is True and plain["uncertainty"] is False
    assert not any("draw" in s for s in specs(plain)) and len(specs(plain)) == 6
    # the plain runs' chunks are the same whether or not the assumptions are drawn (their files and
    # so their workflow jobs do not change when the drawn runs do), and the drawn runs have chunks of their own
    assert {c: ch for c, ch in drawn["chunks"].items() if c.startswith("c")} == plain["chunks"]
    assert all(("draw" in s) == s["chunk"].startswith("d") for s in specs(drawn))
    draws = {s["seed"]: [] for s in specs(drawn)}
    for s in specs(drawn):
        if "draw" in s:
            draws[s["seed"]].append(s["draw"])
    assert all(len(d) == 2 and d[0] == d[1] and d[0] for d in draws.values())  # one draw per seed, shared by scenarios
    assert draws[1] != draws[2]
    assert all(len(ch) == 2 and len({s["seed"] for s in ch}) == 1 for ch in drawn["chunks"].values())
    with pytest.raises(InputError, match="uncertainty must be true or false"):
        comparison_plan({**study, "uncertainty": "yes"})


def test_sweep_designs():
    lhs = sweep_plan({"name": "s", "design": "lhs", "samples": 10, "parameters": {"demand.entry_multiplier": [0.9, 1.1]},
                      "seeds": [1, 2], "runs_per_chunk": 4})
    specs = [s for ch in lhs["chunks"].values() for s in ch]
    assert len(specs) == 20 and len(lhs["chunks"]) == 5
    vals = sorted({s["parameters"]["demand.entry_multiplier"] for s in specs})
    assert len(vals) == 10 and 0.9 <= vals[0] and vals[-1] <= 1.1
    # one point per tenth of the range: a Latin hypercube
    assert sorted(int((v - 0.9) / 0.02) for v in vals) == list(range(10))
    sob = sweep_plan({"name": "s", "design": "sobol", "samples": 8,
                      "parameters": {"demand.entry_multiplier": None, "stability.teen_multiplier": None}})
    assert sum(len(c) for c in sob["chunks"].values()) == 8 * (2 + 2)
    with pytest.raises(InputError, match="power of 2"):
        sweep_plan({"name": "s", "design": "sobol", "samples": 10, "parameters": {"demand.entry_multiplier": None}})
    with pytest.raises(InputError, match="leaves its bounds"):
        sweep_plan({"name": "s", "parameters": {"demand.entry_multiplier": [-1, 2]}})
    with pytest.raises(InputError, match="not a single number"):
        sweep_plan({"name": "s", "parameters": {"entries.age_shares": None}})


def test_postgresql_store_when_a_server_is_given(plan_and_chunk):
    """Set RCCSIM_TEST_POSTGRES_URL (e.g. postgresql+psycopg://user:pw@localhost/db, driver installed)
    to run the loader against a real PostgreSQL server; skipped otherwise."""
    import os

    url = os.environ.get("RCCSIM_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("RCCSIM_TEST_POSTGRES_URL not set")
    from sqlalchemy import text

    _, _, out = plan_and_chunk
    engine = store.connect(url)
    keys = [r["run_key"] for r in store.read_chunk(out)]
    with engine.begin() as conn:  # start clean for these runs
        conn.execute(text("DELETE FROM runs WHERE run_key = ANY(:k)"), {"k": keys})
    first = store.load_chunks(url, [out])
    again = store.load_chunks(url, [out])
    with engine.connect() as conn:
        n = conn.execute(text("SELECT COUNT(*) FROM runs WHERE run_key = ANY(:k)"), {"k": keys}).scalar()
    engine.dispose()
    assert first["added"] == 2 and again["added"] == 0 and n == 2


def test_a_chunk_of_plain_and_drawn_runs_gives_each_option_its_own_variants_counterfactual(tmp_path):
    """Runs given together (rccsim batch --specs) as set and under drawn assumptions: the plain option
    learns where its RCC's children were in the plain baseline, the drawn one in the drawn."""
    plan = comparison_plan({"name": "cf", "region": "E08000009,E08000003", "scenarios": ["capital_homes"], "seeds": 2,
                            "years": 2})
    specs = [{k: v for k, v in s.items() if k != "chunk"} for s in plan["chunks"]["c000"] + plan["chunks"]["d000"]]
    drawn = {s["run_key"] for s in specs if "draw" in s}
    out = tmp_path / "x.jsonl"
    batch.run_chunk(None, "x", out, quiet=True, specs=specs)
    recs = {(r["scenario"], r["run_key"] in drawn): r["metrics"] for r in store.read_chunk(out)}
    assert len(recs) == 4 and recs[("capital_homes", False)]["placements_in_rcc_homes"] > 0
    assert "rcc_counterfactual" in recs[("capital_homes", False)]
    assert "rcc_counterfactual" in recs[("capital_homes", True)]


def test_comparison_plans_name_scenarios_and_need_two_seeds(tmp_path):
    scen = tmp_path / "my_option.yaml"
    scen.write_text("name: faster_approvals\nparameters:\n  carers.assessment_lag_days: [60, 150]\n")
    plan = comparison_plan({"name": "p", "region": "GM", "scenarios": [str(scen)], "seeds": 2, "years": 1})
    assert plan["scenarios"] == ["baseline", "faster_approvals"]
    spec = next(s for ch in plan["chunks"].values() for s in ch if s["scenario"] == "faster_approvals")
    assert spec["scenario_file"] == str(scen)
    with pytest.raises(InputError, match="at least 2 seeds"):
        comparison_plan({"name": "p", "region": "GM", "scenarios": ["single_customer"], "seeds": 1})
    twin = tmp_path / "twin.yaml"
    twin.write_text("name: faster_approvals\n")
    with pytest.raises(InputError, match="share a name"):
        comparison_plan({"name": "p", "region": "GM", "scenarios": [str(scen), str(twin)], "seeds": 2})


# --- bad input: exit code 2, one line, no traceback, nothing written (issue 17) -------------------

def _cli(*argv, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rccsim", *map(str, argv)], capture_output=True, text=True,
                          timeout=300, cwd=cwd)


def _refused(out: subprocess.CompletedProcess, *expected: str) -> None:
    assert out.returncode == 2, out.stderr[-2000:]
    assert "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("rccsim: error: "), out.stderr[-2000:]
    for text in expected:
        assert text in lines[0], lines[0]


def _one_run() -> dict:
    plan = comparison_plan({"name": "u", "region": "E08000009", "scenarios": ["single_customer"], "seeds": 2, "years": 1})
    return dict(plan["chunks"]["c000"][0])


@pytest.mark.parametrize(("plan", "expected"), [
    ({"study": "x"}, "has no chunks"),
    ({"study": "x", "chunks": ["c000"]}, "has no chunks"),
    ({"study": "x", "chunks": {}}, "has no chunks"),
    ({"chunks": {"c000": []}}, "names no study"),
    ([1, 2], "is not a plan"),
    ({"study": "x", "chunks": {"c000": 3}}, "chunk c000: the runs must be a list"),
    ({"study": "x", "chunks": {"c000": []}}, "chunk c000: no runs"),
    ({"study": "x", "chunks": {"c000": [{"run_key": "a"}]}}, "run 1 (a): lacks 'study'"),
])
def test_batch_refuses_a_plan_without_chunks_or_runs(tmp_path, plan, expected):
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    out = tmp_path / "out" / "c000.jsonl"
    _refused(_cli("batch", path, "--chunk", "c000", "--out", out), expected)
    assert not (tmp_path / "out").exists()  # no folder, no chunk file, no partial file


BAD_RUNS = [
    (lambda s: s.pop("region"), "lacks 'region'"),
    (lambda s: s.pop("seed"), "lacks 'seed'"),
    (lambda s: s.pop("years"), "lacks 'years'"),
    (lambda s: s.pop("start_year"), "lacks 'start_year'"),
    (lambda s: s.pop("kind"), "'kind' must be compare or sweep"),
    (lambda s: s.update(seed="1"), "'seed' must be a whole number from 0 to 9223372036854775807, got '1'"),
    (lambda s: s.update(seed=2**63), "'seed' must be a whole number from 0 to 9223372036854775807"),
    (lambda s: s.update(seed=-1), "'seed' must be a whole number"),
    (lambda s: s.update(years=1.5), "'years' must be a whole number from 1 to 50"),
    (lambda s: s.update(years=0), "'years' must be a whole number from 1 to 50"),
    (lambda s: s.update(region=7), "'region' must be text"),
    (lambda s: s.update(parameters=[1]), "'parameters' must be an object"),
    (lambda s: s.update(kind="sweep", sample=None), "'sample' (a sweep's design point)"),
    (lambda s: s.update(region="Narnia"), "unknown region or LA 'Narnia'"),
    (lambda s: s.update(start_year=1999), "start year 1999 is outside"),
    (lambda s: s.update(scenario_file="no_such_scenario"), "unknown scenario 'no_such_scenario'"),
    (lambda s: s.update(parameters={"market.no_such": 1}), "unknown parameter 'market.no_such'"),
    (lambda s: s.update(parameters={"demand.entry_multiplier": -5}), "demand.entry_multiplier=-5 is impossible"),
]


@pytest.mark.parametrize(("change", "expected"), BAD_RUNS)
def test_batch_refuses_runs_lacking_fields_or_of_the_wrong_type(tmp_path, capsys, change, expected):
    """Every run of a chunk is checked before the first one runs: nothing is run or written."""
    from rccsim.cli import main

    good, bad = _one_run(), _one_run()
    change(bad)
    bad["run_key"] = "b" * 16
    out = tmp_path / "out" / "c000.jsonl"
    code = main(["batch", "--specs", batch.encode_specs([good, bad]), "--chunk", "c000", "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("rccsim: error: --specs, run 2"), err
    assert expected in lines[0], lines[0]
    assert not (tmp_path / "out").exists()


def test_batch_refuses_bad_specs_end_to_end(tmp_path):
    """The same as a process: one line, exit code 2, no traceback."""
    spec = _one_run()
    del spec["region"], spec["seed"]
    out = tmp_path / "out" / "c000.jsonl"
    _refused(_cli("batch", "--specs", batch.encode_specs([spec]), "--out", out), "--specs, run 1", "lacks 'region'")
    _refused(_cli("batch", "--specs", batch.encode_specs([]), "--out", out), "--specs: no runs")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("specs", "expected"), [
    ("not-base64!", "--specs is not a chunk's runs"),
    (batch.encode_specs({"run_key": "a"}), "--specs: the runs must be a list"),
    (batch.encode_specs([7]), "--specs, run 1: is a JSON int, not an object"),
])
def test_batch_refuses_specs_that_are_not_runs(tmp_path, capsys, specs, expected):
    from rccsim.cli import main

    out = tmp_path / "out" / "c000.jsonl"
    assert main(["batch", "--specs", specs, "--out", str(out)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"rccsim: error: {expected}"), lines
    assert not (tmp_path / "out").exists()


def test_batch_refuses_a_run_given_twice(tmp_path, capsys):
    from rccsim.cli import main

    run = _one_run()
    out = tmp_path / "out" / "c000.jsonl"
    assert main(["batch", "--specs", batch.encode_specs([run, run]), "--out", str(out)]) == 2
    assert f"run key {run['run_key']} appears twice" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("url", ["sqlite:///no/such/dir/x.sqlite", "sqlite:///{tmp}/no/such/dir/x.sqlite"])
def test_db_load_refuses_a_folder_that_does_not_exist(plan_and_chunk, tmp_path, url):
    _, _, chunk = plan_and_chunk
    _refused(_cli("db", "load", "--url", url.format(tmp=tmp_path), chunk, cwd=tmp_path),
             "the folder", "no/such/dir does not exist")
    assert list(tmp_path.iterdir()) == []  # no folder, no database, no lock file


def test_db_load_creates_its_folder_only_under_results(plan_and_chunk, tmp_path):
    _, _, chunk = plan_and_chunk
    out = _cli("db", "load", "--url", "sqlite:///results/new/r.sqlite", chunk, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert count(tmp_path / "results" / "new" / "r.sqlite") == 2


def _write_chunk(path, records) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


@pytest.mark.parametrize(("damage", "expected"), [
    (lambda recs: "not json at all\n", "line 1: not a JSON record"),
    (lambda recs: "[1, 2]\n", "line 1: not a run record"),
    (lambda recs: json.dumps({"run_key": "a"}) + "\n", "line 1: field 'study' is missing"),
    (lambda recs: "", "holds no runs"),
    (lambda recs: json.dumps(recs[0]) + "\n" + json.dumps({**recs[1], "metrics": None}) + "\n",
     "line 2: field 'metrics' is missing or not an object"),
    (lambda recs: json.dumps({**recs[0], "seed": 2**63}) + "\n", "field 'seed' must be a whole number from 0 to 9223372036854775807"),
    (lambda recs: json.dumps({**recs[0], "years": "1"}) + "\n", "field 'years' must be a whole number"),
    (lambda recs: json.dumps({**recs[0], "metrics": {**recs[0]["metrics"], "by_year": [{"x": 1}]}}) + "\n",
     "'metrics.by_year'"),
    (lambda recs: json.dumps({**recs[0], "metrics": {**recs[0]["metrics"], "by_la": {"E08000009": {"m": "high"}}}}) + "\n",
     "metric 'm' of LA E08000009 must be a number"),
])
def test_db_load_checks_every_chunk_before_creating_the_database(plan_and_chunk, tmp_path, damage, expected):
    """A damaged chunk after a good one: refused in one line, and no database file is created."""
    _, _, chunk = plan_and_chunk
    bad = tmp_path / "bad.jsonl"
    bad.write_text(damage(store.read_chunk(chunk)))
    db = tmp_path / "r.sqlite"
    _refused(_cli("db", "load", "--url", f"sqlite:///{db}", chunk, bad), f"chunk file {bad}", expected)
    assert not db.exists() and not db.with_name("r.sqlite.lock").exists()


def test_a_refused_load_leaves_an_existing_database_as_it_was(plan_and_chunk, tmp_path):
    """Seeds above 2**63-1 used to be stored chunk by chunk until SQLite overflowed, half the runs in."""
    _, _, chunk = plan_and_chunk
    db = tmp_path / "r.sqlite"
    url = f"sqlite:///{db}"
    recs = store.read_chunk(chunk)
    first = tmp_path / "first.jsonl"
    _write_chunk(first, [{**r, "run_key": r["run_key"][:12] + "0000"} for r in recs])
    assert store.load_chunks(url, [first])["added"] == 2
    before = db.read_bytes()
    big = tmp_path / "big.jsonl"
    _write_chunk(big, [{**recs[0], "seed": 9223372036854775808}])
    _refused(_cli("db", "load", "--url", url, chunk, big), "big.jsonl, line 1", "'seed'")
    assert count(db) == 2 and db.read_bytes() == before


def test_a_load_that_fails_half_way_stores_none_of_its_runs(plan_and_chunk, tmp_path, monkeypatch):
    """One transaction for all the chunk files of a load: the database refusing the third run
    (here, a simulated overflow) leaves the two runs before it unstored."""
    _, _, chunk = plan_and_chunk
    recs = store.read_chunk(chunk)
    second = tmp_path / "second.jsonl"
    _write_chunk(second, [{**r, "run_key": r["run_key"][:12] + "1111"} for r in recs])
    db = tmp_path / "r.sqlite"
    real, calls = store._store, []

    def failing(session, rec, chunk):
        calls.append(rec["run_key"])
        if len(calls) == 3:
            raise OverflowError("Python int too large to convert to SQLite INTEGER")
        return real(session, rec, chunk)

    monkeypatch.setattr(store, "_store", failing)
    with pytest.raises(InputError, match=r"database refused chunk .*second.jsonl, so none of the 2 chunk files was stored"):
        store.load_chunks(f"sqlite:///{db}", [chunk, second])
    assert len(calls) == 3 and count(db) == 0
    monkeypatch.setattr(store, "_store", real)
    assert store.load_chunks(f"sqlite:///{db}", [chunk, second])["added"] == 4


def test_db_load_without_chunk_files_is_refused(tmp_path):
    _refused(_cli("db", "load", "--url", f"sqlite:///{tmp_path}/r.sqlite"), "needs chunk files")
    assert list(tmp_path.iterdir()) == []


def test_db_load_out_is_checked_before_loading(plan_and_chunk, tmp_path):
    _, _, chunk = plan_and_chunk
    (tmp_path / "afile").write_text("x")
    _refused(_cli("db", "load", "--url", f"sqlite:///{tmp_path}/r.sqlite", "--out", tmp_path / "afile" / "s.json", chunk),
             "afile is a file, not a folder")
    _refused(_cli("db", "load", "--url", f"sqlite:///{tmp_path}/r.sqlite", "--out", tmp_path, chunk), "is a folder")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


def test_check_url_names_the_url_and_what_failed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("not a database")
    cases = [
        ("sqlite:///no/such/dir/x.sqlite", "the folder no/such/dir does not exist"),
        ("sqlite:///afile/x.sqlite", "afile is a file, not a folder"),
        ("sqlite:///afile", "afile is not an SQLite database"),
        (f"sqlite:///{tmp_path}", "is a folder, not a database file"),
        ("sqlite://", "names no file"),
        ("sqlite:///:memory:", "names no file"),
        ("not a url", "is not an SQLAlchemy URL"),
        ("nosuchdialect://u@h/x", "cannot be used"),
    ]
    for url, expected in cases:
        with pytest.raises(InputError, match=re.escape(expected)) as info:
            store.check_url(url)
        assert f"database URL '{url}'" in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(InputError, match=re.escape("database URL 'post gres://u:***@h/x' is not an SQLAlchemy URL")):
        store.check_url("post gres://u:secret@h/x")  # a password is hidden even in a URL that does not parse
    # inside results/: the workflow and the loader create the folder, and a check creates nothing
    store.check_url("sqlite:///results/rccsim.sqlite")
    store.check_url("sqlite:///results/sub/rccsim.sqlite")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


def test_an_unreachable_server_or_a_missing_driver_is_named_with_the_url():
    """A server URL is checked by connecting (a few seconds at most): whether or not psycopg is
    installed, the error names the URL, hides the password and says what failed."""
    url = "postgresql+psycopg://nobody:secret@127.0.0.1:1/x"
    with pytest.raises(InputError) as info:
        store.check_url(url)
    text = str(info.value)
    assert text.startswith("database URL 'postgresql+psycopg://nobody:***@127.0.0.1:1/x'"), text
    assert "secret" not in text and "\n" not in text
    assert "cannot connect" in text or "driver, the Python module psycopg, is not installed" in text


@pytest.mark.parametrize(("study", "expected"), [
    ({"years": 0}, "years must be a whole number from 1 to 50, got 0"),
    ({"years": 1000}, "years must be a whole number from 1 to 50, got 1000"),
    ({"years": "3"}, "years must be a whole number from 1 to 50, got '3'"),
    ({"start": 2019}, "start year 2019 is outside"),
    ({"seeds": 0}, "seeds must be a positive count"),
    ({"seeds": -2}, "seeds must be a positive count"),
    ({"seeds": 10**12}, "seeds must be a positive count (at most 1,000,000)"),
    ({"seeds": [1, 2**63]}, "seeds must be whole numbers from 0 to 2**63-1"),
    ({"seeds": [1, "2"]}, "seeds must be whole numbers from 0 to 2**63-1"),
    ({"seeds": [1, True]}, "seeds must be whole numbers"),
    ({"seeds": [1, 1]}, "seeds must be distinct"),
    ({"seeds": "10"}, "seeds must be a positive count or a list of seeds"),
    ({"region": "Narnia"}, "comparison 'p': unknown region or LA 'Narnia'"),
    ({"scenarios": "single_customer"}, "scenarios must be 'all' or a list"),
    ({"name": "../x"}, "name must be letters, digits"),
    ({"runs_per_chunk": 0}, "runs_per_chunk must be a whole number of at least 1"),
])
def test_comparison_plans_check_what_a_run_would_stop_on(study, expected):
    """A plan is checked whole when it is made (the Snakefile makes it when it starts), so no
    chunk job fails on it after others have run."""
    with pytest.raises(InputError) as info:
        comparison_plan({"name": "p", "region": "E08000009", "scenarios": ["single_customer"], "seeds": 2, "years": 1,
                         **study})
    assert expected in str(info.value)


def test_sweep_plans_check_their_ranges_and_design():
    base = {"name": "s", "region": "E08000009", "samples": 4, "years": 1, "parameters": {"demand.entry_multiplier": None}}
    for change, expected in [
        ({"parameters": {"demand.entry_multiplier": [0.9]}}, "must be [low, high], two finite numbers"),
        ({"parameters": {"demand.entry_multiplier": ["a", "b"]}}, "must be [low, high], two finite numbers"),
        ({"parameters": {"demand.entry_multiplier": [0.9, float("inf")]}}, "two finite numbers"),
        ({"parameters": {"demand.entry_multiplier": [1.0, 1.0]}}, "low < high"),
        ({"parameters": {}}, "names no parameters"),
        ({"design": "grid"}, "design must be one of lhs, sobol"),
        ({"design_seed": -1}, "design_seed must be a whole number from 0"),
        ({"samples": 1}, "samples must be a whole number of at least 2"),
        ({"seeds": [2**63]}, "seeds must be whole numbers from 0 to 2**63-1"),
        ({"region": "Atlantis"}, "sweep 's': unknown region or LA 'Atlantis'"),
        ({"scenario": ""}, "scenario must be a scenario name or YAML path"),
    ]:
        with pytest.raises(InputError) as info:
            sweep_plan({**base, **change})
        assert expected in str(info.value), (change, str(info.value))


def test_plan_and_database_agree_on_the_largest_seed():
    from rccsim.studies import plan

    assert plan.MAX_SEED == store.MAX_SEED == 2**63 - 1
    assert isinstance(store.Run.__table__.c.seed.type, store.BigInteger)  # PostgreSQL's integer stops at 2**31-1
