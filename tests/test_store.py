"""The results database and the chunk runner: each run stored once, resumable chunks, one writer."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import pytest

from model import batch, store
from model.errors import InputError
from model.plan import comparison_plan, sweep_plan


@pytest.fixture(scope="module")
def plan_and_chunk(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("chunk")
    plan = comparison_plan({"name": "unit", "region": "E08000009", "scenarios": ["single_customer"], "seeds": [5, 6],
                            "years": 1})
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
    real = batch.run_spec
    monkeypatch.setattr(batch, "run_spec", lambda spec: calls.append(spec["scenario"]) or real(spec))
    batch.run_chunk(path, "c000", new_out, quiet=True)
    assert calls == ["single_customer"]  # the finished baseline run was not run again
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
    cmd = [sys.executable, "-m", "model.cli", "db", "load", "--url", f"sqlite:///{db}", str(out), str(out)]
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
    assert len(set(keys(a))) == 4
    assert not set(keys(a)) & set(keys(c))


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
