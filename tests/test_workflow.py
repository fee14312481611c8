"""The experiment workflow: Snakefile lint, a tiny configuration end to end, each run stored once
after a kill and a resume, the report's numbers against the database, bad configurations."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "workflow" / "tiny.yaml"


def snakemake(workdir: Path, *args: str, timeout: int = 600, **kw) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(workdir), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT, **kw)


def db_runs(workdir: Path) -> list[tuple]:
    con = sqlite3.connect(workdir / "results" / "rccsim.sqlite")
    try:
        return con.execute("SELECT study, run_key FROM runs").fetchall()
    finally:
        con.close()


def plan_keys(workdir: Path, study: str, drawn: bool | None = None) -> set[str]:
    """The study's planned run keys; `drawn` picks the assumption-drawn runs (True) or the plain ones (False)."""
    plan = json.loads((workdir / "results" / "studies" / study / "plan.json").read_text())
    return {s["run_key"] for chunk in plan["chunks"].values() for s in chunk
            if drawn is None or ("draw" in s) == drawn}


def test_snakefile_lint_is_clean():
    out = subprocess.run([sys.executable, "-m", "snakemake", "--lint"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "in a good condition" in out.stdout + out.stderr


@pytest.fixture(scope="module")
def tiny_workflow(tmp_path_factory):
    """The tiny configuration (one LA, two scenarios x two seeds, a 6-point sweep), run once."""
    work = tmp_path_factory.mktemp("wf")
    out = snakemake(work, "--configfile", str(TINY), "--cores", "2")
    assert out.returncode == 0, out.stderr[-3000:]
    return work


def test_tiny_workflow_builds_report_database_and_sensitivity(tiny_workflow):
    work = tiny_workflow
    report = work / "results" / "report.html"
    assert report.exists() and report.stat().st_size > 50_000
    text = report.read_text()
    assert text.count("data:image/png;base64,") >= 5  # figures embedded: self-contained
    assert "Provenance" in text and "Run keys" in text
    assert text.index("Findings") < text.index("Headline results") < text.index("Appendix D: model parameters")
    # the assumption-drawn runs reach the board: a drawn range under each difference, and the paragraph reading them
    assert "Which results rest on assumptions" in text and text.count("drawn: ") >= 6
    pdf = work / "results" / "studies" / "tiny_compare" / "report.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    runs = db_runs(work)
    keys = [k for _, k in runs]
    assert len(keys) == len(set(keys))  # each run once
    for study in ("tiny_compare", "tiny_sweep"):
        assert {k for s, k in runs if s == study} == plan_keys(work, study)
    indices = (work / "results" / "studies" / "tiny_sweep" / "sensitivity" / "indices.csv").read_text().splitlines()
    assert len(indices) == 1 + 6 * 2  # six metrics x two parameters (Spearman for a Latin hypercube)
    assert (work / "results" / "studies" / "tiny_sweep" / "sensitivity" / "partial_dependence.png").exists()


def test_progress_counts_finished_runs(tiny_workflow):
    out = subprocess.run([sys.executable, "-m", "rccsim", "progress", "--results", str(tiny_workflow / "results")],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0
    # two scenarios x two seeds, each run once as set and once with the assumptions drawn
    assert "tiny_compare (compare, E08000009): 8/8 runs (100%); in the database" in out.stdout
    assert "tiny_sweep (sweep, E08000009): 6/6 runs (100%); in the database" in out.stdout


def test_report_headline_numbers_are_the_databases(tiny_workflow):
    """Recompute a headline cell straight from SQLite and find it in the report."""
    work = tiny_workflow
    con = sqlite3.connect(work / "results" / "rccsim.sqlite")
    rows = con.execute(
        "SELECT r.scenario, r.seed, r.run_key, m.value FROM runs r JOIN metrics m ON m.run_id = r.id "
        "WHERE r.study = 'tiny_compare' AND m.year = 0 AND m.name = 'cost_per_child_week_gbp'").fetchall()
    con.close()
    plain = plan_keys(work, "tiny_compare", drawn=False)
    assert len(plain) == 4 and len(rows) == 8  # the drawn runs are stored too, but the headline is the plain runs'
    rows = [(s, seed, v) for s, seed, key, v in rows if key in plain]
    from scipy import stats

    by = {(s, seed): v for s, seed, v in rows}
    base = np.mean([v for (s, _), v in by.items() if s == "baseline"])
    d = np.array([by[("single_customer", seed)] - by[("baseline", seed)] for seed in (1, 2)])
    half = stats.t.ppf(0.975, 1) * d.std(ddof=1) / np.sqrt(2)
    text = (work / "results" / "report.html").read_text()
    assert f"<td class='num'>£{base:,.0f}" in text
    from rccsim.report.tables import difference  # the board's format: '+£8.4 [+£5.4, +£11.4]'

    cell = difference({"diff": d.mean(), "lo": d.mean() - half, "hi": d.mean() + half}, "gbp")
    assert cell in text, cell


def test_report_sufficiency_table_is_the_databases(tiny_workflow):
    """The report's sufficiency table: the baseline's children in independent homes at the end, as
    the database holds them (mean over the plain runs' seeds)."""
    work = tiny_workflow
    con = sqlite3.connect(work / "results" / "rccsim.sqlite")
    rows = con.execute(
        "SELECT r.run_key, m.year, m.value FROM runs r JOIN metrics m ON m.run_id = r.id WHERE r.study = 'tiny_compare' "
        "AND r.scenario = 'baseline' AND m.name = 'sufficiency.home_ind.children'").fetchall()
    con.close()
    plain = plan_keys(work, "tiny_compare", drawn=False)
    last = max(y for _, y, _ in rows)
    values = [v for key, y, v in rows if key in plain and y == last]
    assert len(values) == 2
    mean = round(float(np.mean(values)))
    text = (work / "results" / "report.html").read_text()
    assert "Sufficiency at the end of the run" in text
    shown = "&lt;5" if 0 < mean < 5 else f"{mean:,}"
    assert f"<th class='row'>Independent children&#39;s homes</th><td class='num'>{shown}</td>" in text


def test_report_carries_no_child_level_data(tiny_workflow):
    text = (work := tiny_workflow / "results" / "report.html").read_text()
    full_postcode = re.compile(r"\b[A-Z]{1,2}[0-9][0-9A-Z]? ?[0-9][A-Z]{2}\b")
    assert not full_postcode.search(re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", text)), work
    con = sqlite3.connect(tiny_workflow / "results" / "rccsim.sqlite")
    cols = {r[1] for t in ("runs", "metrics", "la_metrics") for r in con.execute(f"PRAGMA table_info({t})")}
    con.close()
    assert not cols & {"child_id", "dob", "postcode", "child", "date_of_birth"}


@pytest.mark.parametrize("how", ["interrupt", "kill"])
def test_killed_sweep_resumes_and_stores_each_run_once(tmp_path, how):
    """Stop the workflow part-way (Ctrl-C, or a hard kill of every process), run it again: it
    finishes and the database holds each run of the plan exactly once."""
    cfg = yaml.safe_load(TINY.read_text())
    cfg["comparisons"] = []
    cfg["sweeps"][0].update(samples=12, runs_per_chunk=2, years=2)  # 6 chunks of 2 runs
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(cfg))
    work = tmp_path / "wf"
    work.mkdir()
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(work), "--configfile", str(config),
           "--cores", "1"]
    # Ctrl-C's signal as a terminal delivers it: a shell that starts a job in the background makes
    # it ignore SIGINT, which its children would inherit, so the workflow gets the default back
    said = tmp_path / "said.txt"
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=said.open("w"), stderr=subprocess.STDOUT, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    chunks = work / "results" / "studies" / "tiny_sweep" / "chunks"
    deadline = time.time() + 240
    while time.time() < deadline and len(list(chunks.glob("*.jsonl"))) < 1:
        time.sleep(0.2)
    # stop while a later chunk is running: at least one of its runs finished (partial file) if possible
    def partial_has_runs() -> bool:
        for p in chunks.glob("*.partial"):
            try:
                if p.stat().st_size:
                    return True
            except FileNotFoundError:  # that chunk just finished
                pass
        return False

    t0 = time.time()
    while time.time() - t0 < 15 and not partial_has_runs():
        time.sleep(0.05)
    assert proc.poll() is None, "the workflow finished before it could be stopped"
    os.killpg(proc.pid, signal.SIGINT if how == "interrupt" else signal.SIGKILL)
    proc.wait(timeout=60)
    if how == "interrupt":  # one line of what to do; the chunk's runs are a file, not a blob on the screen
        text = said.read_text()
        assert "rccsim workflow: stopped before the end" in text
        assert "--specs " not in text and not re.search(r"[A-Za-z0-9_=-]{200}", text)
    partial_runs = sum(len(p.read_text().splitlines()) for p in chunks.glob("*.partial"))
    finished_before = len(list(chunks.glob("*.jsonl")))
    assert finished_before < 6
    if how == "kill":  # a hard kill leaves Snakemake's lock behind: the README says to unlock
        assert snakemake(work, "--configfile", str(config), "--unlock").returncode == 0
    out = snakemake(work, "--configfile", str(config), "--cores", "2")
    assert out.returncode == 0, out.stderr[-3000:]
    runs = db_runs(work)
    keys = [k for _, k in runs]
    assert len(keys) == len(set(keys)) == 12
    assert set(keys) == plan_keys(work, "tiny_sweep")
    if partial_runs:  # runs finished inside the stopped chunk were taken over, not run again
        logs = " ".join(p.read_text() for p in (work / "results" / "logs" / "tiny_sweep" / "chunks").glob("*.log"))
        assert "already finished by an earlier attempt" in logs
    # loading every chunk again adds nothing
    again = subprocess.run([sys.executable, "-m", "rccsim", "db", "load", "--url",
                            f"sqlite:///{work}/results/rccsim.sqlite", *map(str, sorted(chunks.glob("*.jsonl")))],
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and "0 runs added, 12 already there" in again.stderr
    assert len(db_runs(work)) == 12


def test_bad_workflow_configuration_is_refused_clearly(tmp_path):
    cfg = yaml.safe_load(TINY.read_text())
    cfg["sweeps"][0]["parameters"] = {"market.no_such_parameter": [0, 1]}
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(cfg))
    out = snakemake(tmp_path, "--configfile", str(bad), "-n")
    assert out.returncode != 0
    assert "unknown parameter 'market.no_such_parameter'" in out.stderr + out.stdout
    cfg = yaml.safe_load(TINY.read_text())
    cfg["comparisons"][0]["seeds"] = -3
    bad.write_text(yaml.safe_dump(cfg))
    out = snakemake(tmp_path, "--configfile", str(bad), "-n")
    assert out.returncode != 0
    assert "seeds" in out.stderr + out.stdout


def test_report_of_an_unfinished_study_is_refused(tmp_path):
    from rccsim.studies.plan import comparison_plan

    plan = comparison_plan({"name": "nothing_run", "region": "E08000009", "scenarios": ["single_customer"], "seeds": 2, "years": 1})
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    url = f"sqlite:///{tmp_path}/empty.sqlite"
    from rccsim.io import store

    store.connect(url)
    out = subprocess.run([sys.executable, "-m", "rccsim", "report", "--url", url, "--plan", str(path), "--out",
                          str(tmp_path / "r.html")], capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0
    assert "holds 0 of the 8 runs of study 'nothing_run'" in out.stderr
    assert not (tmp_path / "r.html").exists()


@pytest.mark.parametrize("profile", ["local", "slurm"])
def test_workflow_profiles_dry_run(tmp_path, profile):
    """The local and SLURM profiles parse and plan every job (a dry run: nothing is submitted)."""
    args = ["--workflow-profile", str(ROOT / "experiments" / "profiles" / profile), "--configfile", str(TINY), "-n"]
    if profile == "slurm":
        pytest.importorskip("snakemake_executor_plugin_slurm")
        args = ["--executor", "slurm", *args]
    out = snakemake(tmp_path, *args)
    assert out.returncode == 0, out.stderr[-3000:]
    text = out.stdout + out.stderr
    # the comparison's 2 seeds as set and drawn (4 chunks) and the sweep's 3
    assert re.search(r"chunk\s+7\b", text) and re.search(r"specs\s+7\b", text) and re.search(r"total\s+22\b", text)
    if profile == "slurm":
        assert "slurm_partition=standard" in text


def test_adding_seeds_runs_only_the_new_chunks(tmp_path):
    """A finished comparison given one more seed runs that seed's chunk alone and stores 4 more runs (2 as set, 2 drawn)."""
    cfg = yaml.safe_load(TINY.read_text())
    cfg["sweeps"] = []
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(cfg))
    work = tmp_path / "wf"
    assert snakemake(work, "--configfile", str(config), "--cores", "2").returncode == 0
    first = {p.name: p.stat().st_mtime_ns for p in (work / "results" / "studies" / "tiny_compare" / "chunks").glob("*.jsonl")}
    assert len(first) == 4 and len(db_runs(work)) == 8  # c000, c001 as set; d000, d001 drawn
    cfg["comparisons"][0]["seeds"] = 3
    config.write_text(yaml.safe_dump(cfg))
    out = snakemake(work, "--configfile", str(config), "--cores", "2")
    assert out.returncode == 0, out.stderr[-3000:]
    assert re.search(r"chunk\s+2\b", out.stdout + out.stderr)  # two chunk jobs: the new seed's, as set and drawn
    after = {p.name: p.stat().st_mtime_ns for p in (work / "results" / "studies" / "tiny_compare" / "chunks").glob("*.jsonl")}
    assert len(after) == 6 and all(after[k] == v for k, v in first.items())
    assert len(db_runs(work)) == 12


# --- bad configurations and database URLs: refused when the workflow starts, in one line --------

def _refusal(out: subprocess.CompletedProcess) -> str:
    """The one line of Snakemake's WorkflowError (the line after its 'WorkflowError in file ...')."""
    text = out.stdout + out.stderr
    assert out.returncode != 0, text[-3000:]
    assert "Traceback" not in text
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("WorkflowError in file"))
    return lines[at + 1]


@pytest.mark.parametrize(("url", "expected"), [
    ("sqlite:///no/such/dir/x.sqlite", "the folder no/such/dir does not exist"),
    ("postgresql+psycopg://nobody:secret@127.0.0.1:1/x", "postgresql+psycopg://nobody:***@127.0.0.1:1/x"),
])
def test_a_bad_database_url_is_refused_before_any_job(tmp_path, url, expected):
    """Before the first run (a dry run included), not at the load job after all the runs."""
    out = snakemake(tmp_path, "--configfile", str(TINY), "--config", f"database={url}", "-n")
    line = _refusal(out)
    assert line.startswith("experiments configuration: database URL '"), line
    assert expected in line
    if "postgresql" in url:
        assert "cannot connect" in line or "is not installed" in line
        assert "secret" not in out.stdout + out.stderr
    assert not (tmp_path / "results").exists() and not (tmp_path / "no").exists()


def test_a_dry_run_with_the_default_database_creates_nothing(tmp_path):
    out = snakemake(tmp_path, "--configfile", str(TINY), "-n")
    assert out.returncode == 0, out.stderr[-3000:]
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize(("change", "expected"), [  # the rest: test_bad_workflow_configurations_are_refused_in_one_line
    (lambda c: c["comparisons"][0].update(region="Narnia"), "comparison 'tiny_compare': unknown region or LA 'Narnia'"),
    (lambda c: c["comparisons"][0].update(seeds=[1, 9223372036854775808]), "9223372036854775808 is greater than the maximum"),
])
def test_bad_workflow_configurations_are_refused_by_snakemake_in_one_line(tmp_path, change, expected):
    cfg = yaml.safe_load(TINY.read_text())
    change(cfg)
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(cfg))
    line = _refusal(snakemake(tmp_path / "wf", "--configfile", str(bad), "-n"))
    assert line.startswith("experiments configuration") and expected in line, line
    assert not (tmp_path / "wf" / "results").exists()


def _tiny(change) -> dict:
    cfg = yaml.safe_load(TINY.read_text())
    change(cfg)
    return cfg


CONFIG_PROBLEMS = [  # what the Snakefile refuses (schema first, then the plans and the paths)
    (lambda c: c["comparisons"][0].update(scenarios=["no_such_scenario"]), "unknown scenario 'no_such_scenario'"),
    (lambda c: c["sweeps"][0].update(scenario="nope"), "sweep 'tiny_sweep': unknown scenario 'nope'"),
    (lambda c: c["comparisons"][0].update(region="Narnia"), "unknown region or LA 'Narnia'"),
    (lambda c: c["sweeps"][0].update(region="E99999999"), "sweep 'tiny_sweep': unknown region or LA 'E99999999'"),
    (lambda c: c["comparisons"][0].update(region=""), "region must be GM, SE, england"),
    (lambda c: c["comparisons"][0].update(years=0), "at comparisons > 0 > years: 0 is less than the minimum of 1"),
    (lambda c: c["sweeps"][0].update(years=1000), "at sweeps > 0 > years: 1000 is greater than the maximum of 50"),
    (lambda c: c["comparisons"][0].update(start=2019), "at comparisons > 0 > start: 2019 is less than the minimum"),
    (lambda c: c["comparisons"][0].update(seeds=0), "at comparisons > 0 > seeds"),
    (lambda c: c["comparisons"][0].update(seeds=-3), "at comparisons > 0 > seeds"),
    (lambda c: c["sweeps"][0].update(seeds=-2), "at sweeps > 0 > seeds"),
    (lambda c: c["comparisons"][0].update(seeds=10**9), "1000000000 is greater than the maximum of 1000000"),
    (lambda c: c["sweeps"][0].update(seeds=[2**63]), "9223372036854775808 is greater than the maximum of 9223372036854775807"),
    (lambda c: c["comparisons"][0].update(seeds=[1, -1]), "-1 is less than the minimum of 0"),
    (lambda c: c["sweeps"][0].update(parameters={"demand.entry_multiplier": [1.1, 0.9]}), "low < high, got [1.1, 0.9]"),
    (lambda c: c["sweeps"][0].update(parameters={"demand.entry_multiplier": [-1, 2]}), "leaves its bounds"),
    (lambda c: c["sweeps"][0].update(parameters={"demand.entry_multiplier": [float("nan"), 2]}), "two finite numbers"),
    (lambda c: c["sweeps"][0].update(parameters={"entries.age_shares": None}), "not a single number and cannot be swept"),
    (lambda c: c["sweeps"][0].update(design="sobol", samples=6), "a Sobol design needs samples a power of 2"),
    (lambda c: c["sweeps"][0].update(samples=10**7), "10,000,000 runs (design points x seeds) is more than 1,000,000"),
    (lambda c: c["comparisons"].append(dict(c["comparisons"][0])), "two studies are named 'tiny_compare'"),
    (lambda c: c["sweeps"][0].update(name="tiny_compare"), "two studies are named 'tiny_compare'"),
    (lambda c: c["comparisons"][0].update(name=".."), "'..' is not a study name"),
    (lambda c: c.update(report="results"), "'results' is not the name of an HTML file"),
    (lambda c: c.update(report="results/studies/tiny_compare/x.html"), "lies in results/studies/"),
]


@pytest.mark.parametrize(("change", "expected"), CONFIG_PROBLEMS)
def test_bad_workflow_configurations_are_refused_in_one_line(tmp_path, monkeypatch, change, expected):
    """What the Snakefile and experiments/rules/common.smk do when they start, in the same order."""
    from rccsim.base.errors import InputError
    from rccsim.studies.plan import check_config, check_paths, studies
    from snakemake.exceptions import WorkflowError

    monkeypatch.chdir(tmp_path)
    cfg = _tiny(change)
    with pytest.raises((WorkflowError, InputError)) as info:
        check_config(cfg, ROOT / "experiments" / "schemas" / "config.schema.yaml")
        studies(cfg)
        check_paths(cfg)
    text = str(info.value)
    assert expected in text and "\n" not in text, text


def test_a_scenario_file_with_an_unknown_parameter_is_refused_before_any_run(tmp_path):
    from rccsim.base.errors import InputError
    from rccsim.studies.plan import studies

    scen = tmp_path / "mine.yaml"
    scen.write_text("name: mine\nparameters:\n  market.no_such: 3\n")
    cfg = _tiny(lambda c: c["comparisons"][0].update(scenarios=[str(scen)]))
    with pytest.raises(InputError, match=r"comparison 'tiny_compare': scenario 'mine': unknown parameter 'market.no_such'"):
        studies(cfg)
