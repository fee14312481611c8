"""The results database: one row per run with its provenance, its metrics per run and per year.

SQLite under ``results/`` by default; any SQLAlchemy URL (``postgresql://...``) by configuration.
Runs arrive as chunk files (``rccsim/studies/batch.py``: one JSON line per finished run), and only the
loader writes to the database:

* each run has a ``run_key``, a hash of what defines it (study, region, scenario, parameters,
  seed, years, start year); the key is unique in the table, so loading a chunk twice, or a chunk
  that a resumed workflow re-ran, never duplicates a run. A run re-done with other code replaces
  the old row (its code version is recorded);
* every chunk file is read and checked before the database is opened (a damaged file, or a record
  lacking a field, is refused with nothing created or written), then all the chunk files of one
  load go in one transaction: a load that fails or is killed half-way stores none of its runs;
* SQLite writers take an exclusive lock on ``<file>.lock`` first, so two loaders (two workflows,
  or a workflow and a person) never write the same file at once.

Nothing child-level is stored: the records are aggregates (``rccsim/outputs/record.py``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import re
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path

from sqlalchemy import (
    JSON,
    BigInteger,
    Float,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    create_engine,
    delete,
    event,
    inspect,
    select,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from rccsim.base.errors import InputError

DEFAULT_URL = "sqlite:///results/rccsim.sqlite"
MAX_SEED = 2**63 - 1  # seeds are stored as 64-bit integers
CONNECT_TIMEOUT = 5  # seconds to reach a database server before the URL is declared unreachable


class Base(DeclarativeBase):
    pass


class Run(Base):
    """One simulation run and where it came from."""

    __tablename__ = "runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_key: Mapped[str] = mapped_column(String(24), unique=True, index=True)
    study: Mapped[str] = mapped_column(String(120), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # compare | sweep
    region: Mapped[str] = mapped_column(String(200))
    scenario: Mapped[str] = mapped_column(String(120))
    scenario_hash: Mapped[str] = mapped_column(String(16))
    seed: Mapped[int] = mapped_column(BigInteger)  # 0..2**63-1 (PostgreSQL's integer would stop at 2**31-1)
    years: Mapped[int] = mapped_column(Integer)
    start_year: Mapped[int] = mapped_column(Integer)
    sample: Mapped[int | None] = mapped_column(Integer, nullable=True)  # a sweep's design row
    parameter_hash: Mapped[str] = mapped_column(String(16))
    code_version: Mapped[str] = mapped_column(String(80))
    started_at: Mapped[str] = mapped_column(String(32))
    finished_at: Mapped[str] = mapped_column(String(32))
    wall_seconds: Mapped[float] = mapped_column(Float)
    chunk: Mapped[str] = mapped_column(String(200))
    parameters: Mapped[dict] = mapped_column(JSON)  # the run's overrides (a sweep's design point)
    extra: Mapped[dict] = mapped_column(JSON)  # nested results: prices by kind, lever costs, pooled budget


class Metric(Base):
    """A metric of a run: ``year`` 0 is the whole run, 1..N the run years."""

    __tablename__ = "metrics"
    __table_args__ = (UniqueConstraint("run_id", "year", "name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(120))
    value: Mapped[float | None] = mapped_column(Float, nullable=True)


class LaMetric(Base):
    """A metric of one LA in a run, over the run (DfE's by-LA figures)."""

    __tablename__ = "la_metrics"
    __table_args__ = (UniqueConstraint("run_id", "la_code", "name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    la_code: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(String(120))
    value: Mapped[float | None] = mapped_column(Float, nullable=True)


def sqlite_path(url: str) -> Path | None:
    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    return Path(u.database)


def _parse(url: str):
    try:
        return make_url(url)
    except ArgumentError:
        raise InputError(f"database URL '{shown(url)}' is not an SQLAlchemy URL (e.g. sqlite:///results/rccsim.sqlite)") from None


def shown(url) -> str:
    """The URL as it may be printed: its password hidden (in a URL SQLAlchemy cannot parse, too)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return re.sub(r"(//[^:/@]*:)[^@/]*@", r"\1***@", str(url))


def _one_line(exc: BaseException) -> str:
    """A driver's message (often several lines) as one line."""
    text = str(getattr(exc, "orig", None) or exc)
    return " ".join(text.split())[:300] or type(exc).__name__


def _in_results(folder: Path) -> bool:
    """Whether ``folder`` lies in the project's results/ folder (the current folder's), which the
    workflow and the loader may create."""
    results = Path("results").resolve()
    here = folder.resolve()
    return here == results or results in here.parents


def _check_sqlite_file(url: str, path: Path) -> None:
    """An SQLite database file: its folder exists (or lies in results/, and will be created) and
    can be written; the file, if there, is a database. Raises :class:`InputError`."""
    folder = path.parent
    where = f"database URL '{shown(url)}'"
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{where}: {folder} is a file, not a folder")
    if not folder.exists():
        if not _in_results(folder):
            raise InputError(f"{where}: the folder {folder} does not exist (create it, or keep the database under results/)")
        existing = next(p for p in folder.parents if p.exists())
        if not existing.is_dir():
            raise InputError(f"{where}: {existing} is a file, not a folder")
        folder = existing  # the folder that will hold the new ones
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"{where}: the folder {folder} is not writable")
    if path.is_dir():
        raise InputError(f"{where}: {path} is a folder, not a database file")
    if path.exists():
        if not os.access(path, os.R_OK | os.W_OK):
            raise InputError(f"{where}: {path} cannot be read and written")
        try:
            con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
            try:
                con.execute("PRAGMA schema_version").fetchone()
            finally:
                con.close()
        except sqlite3.Error as exc:
            raise InputError(f"{where}: {path} is not an SQLite database ({_one_line(exc)})") from None


def _engine(url: str, parsed) -> Engine:
    """An engine for a parsed URL; a missing driver or an unknown dialect is an :class:`InputError`
    naming the URL."""
    connect_args = {}
    if parsed.get_backend_name() in ("postgresql", "mysql", "mariadb"):
        connect_args = {"connect_timeout": CONNECT_TIMEOUT}
    try:
        return create_engine(parsed, future=True, connect_args=connect_args)
    except ImportError as exc:
        module = getattr(exc, "name", None) or parsed.get_driver_name()
        raise InputError(f"database URL '{shown(url)}': its driver, the Python module {module}, is not installed "
                         f"(pip install {module.split('.')[0]}, or use sqlite:///results/rccsim.sqlite)") from None
    except Exception as exc:  # an unknown dialect or driver name, bad query arguments
        raise InputError(f"database URL '{shown(url)}' cannot be used: {_one_line(exc)}") from None


def check_url(url: str) -> None:
    """Check a results database URL before anything runs (the workflow calls this when it starts,
    ``rccsim db load`` before it writes): an SQLite file's folder must exist, or lie in results/,
    and be writable; a server must answer (one brief connection, at most a few seconds). Raises
    :class:`InputError` naming the URL (password hidden) and what failed."""
    parsed = _parse(url)
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_path(url)
        if path is None:
            raise InputError(f"database URL '{shown(url)}' names no file: the results must outlive the process "
                             "(e.g. sqlite:///results/rccsim.sqlite)")
        _check_sqlite_file(url, path)
        return
    engine = _engine(url, parsed)
    try:
        with engine.connect():
            pass
    except Exception as exc:  # refused, unknown host, timed out, authentication failed, no such database
        raise InputError(f"database URL '{shown(url)}': cannot connect ({_one_line(exc)})") from None
    finally:
        engine.dispose()


def connect(url: str = DEFAULT_URL, create: bool = True) -> Engine:
    """An engine for ``url`` with the tables created; a bad URL is an :class:`InputError`."""
    parsed = _parse(url)
    path = sqlite_path(url)
    if path is not None:
        if not create and not path.exists():
            raise InputError(f"database {path} does not exist: run the workflow (snakemake --cores 2) or 'rccsim db load' first")
        if create:
            _check_sqlite_file(url, path)
            path.parent.mkdir(parents=True, exist_ok=True)  # in results/ only (checked above)
    engine = _engine(url, parsed)
    if parsed.get_backend_name() == "sqlite":

        @event.listens_for(engine, "connect")
        def _pragmas(conn, _):
            cur = conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=60000")
            cur.close()

    if not create:
        return engine  # readers neither create tables nor wait for writers
    try:
        with write_lock(url):  # two processes creating the tables at once would collide
            Base.metadata.create_all(engine)
    except (SQLAlchemyError, OSError) as exc:
        engine.dispose()
        raise InputError(f"database URL '{shown(url)}': cannot open it ({_one_line(exc)})") from None
    return engine


LOCK_KEY = 7_317_010  # PostgreSQL advisory lock of rccsim's writers


@contextlib.contextmanager
def write_lock(url: str) -> Iterator[None]:
    """An exclusive lock for writers: a file lock beside an SQLite file, an advisory lock on
    PostgreSQL (other servers: none; run one loader at a time)."""
    path = sqlite_path(url)
    if path is None:
        if make_url(url).get_backend_name() == "postgresql":
            from sqlalchemy import text

            engine = _engine(url, make_url(url))
            with engine.connect() as conn:
                conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": LOCK_KEY})
                try:
                    yield
                finally:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
            engine.dispose()
        else:
            yield
        return
    with open(path.with_name(path.name + ".lock"), "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _flat(prefix: str, value, out: dict) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flat(f"{prefix}.{k}" if prefix else str(k), v, out)
    elif isinstance(value, bool):
        out[prefix] = float(value)
    elif isinstance(value, int | float) or value is None:
        out[prefix] = None if value is None else float(value)


NESTED_EXTRA = ("weekly_price_gbp_by_kind", "lever_costs_gbp", "pooled_budget")


def _rows(record: dict) -> tuple[dict, list[tuple[int, str, float]], list[tuple[str, str, float]]]:
    m = dict(record["metrics"])
    by_year = m.pop("by_year", [])
    by_la = m.pop("by_la", {})
    extra = {k: m.pop(k) for k in NESTED_EXTRA if k in m}
    flat: dict = {}
    _flat("", m, flat)
    rows = [(0, k, v) for k, v in flat.items()]
    for y in by_year:
        fy: dict = {}
        _flat("", {k: v for k, v in y.items() if k not in ("year", "year_ending")}, fy)
        rows += [(int(y["year"]), k, v) for k, v in fy.items()]
    la_rows = [(code, k, None if v is None else float(v)) for code, d in by_la.items() for k, v in d.items()]
    return extra, rows, la_rows


INT32 = 2**31 - 1
RECORD_TEXT = ("run_key", "study", "kind", "region", "scenario", "scenario_hash", "parameter_hash", "code_version",
               "started_at", "finished_at")


def _text_limit(column) -> int | None:
    return getattr(column.type, "length", None)


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value) -> bool:
    return value is None or (isinstance(value, int | float) and not isinstance(value, bool))


def record_problem(rec) -> str | None:
    """What stops a run record (a chunk file's line) from being stored, or None: every field the
    database needs, of the right type and within its column (so that a load never fails half-way)."""
    if not isinstance(rec, dict):
        return f"not a run record (a JSON {type(rec).__name__}, not an object)"
    columns = Run.__table__.c
    for name in RECORD_TEXT:
        value = rec.get(name)
        if name not in rec:
            return f"field '{name}' is missing"
        if not isinstance(value, str) or not value:
            return f"field '{name}' must be text, got {value!r}"[:200]
        limit = _text_limit(columns[name])
        if limit and len(value) > limit:
            return f"field '{name}' is longer than {limit} characters"
    if rec["kind"] not in ("compare", "sweep"):
        return f"field 'kind' must be compare or sweep, got '{rec['kind']}'"[:200]
    for name, lo, hi in (("seed", 0, MAX_SEED), ("years", 1, 50), ("start_year", 0, INT32)):
        value = rec.get(name)
        if not _whole(value) or not lo <= value <= hi:
            what = "is missing" if name not in rec else f"must be a whole number from {lo} to {hi}, got {value!r}"[:200]
            return f"field '{name}' {what}"
    if rec.get("sample") is not None and not (_whole(rec["sample"]) and 0 <= rec["sample"] <= INT32):
        return f"field 'sample' must be empty or a whole number from 0 to {INT32}, got {rec['sample']!r}"[:200]
    if rec.get("wall_seconds") is None or not _number(rec["wall_seconds"]):
        return "field 'wall_seconds' is missing or not a number"
    if not isinstance(rec.get("parameters", {}), dict):
        return "field 'parameters' must be an object"
    metrics = rec.get("metrics")
    if not isinstance(metrics, dict):
        return "field 'metrics' is missing or not an object"
    by_year = metrics.get("by_year", [])
    if not isinstance(by_year, list) or not all(isinstance(y, dict) and _whole(y.get("year")) and 0 <= y["year"] <= INT32
                                                 for y in by_year):
        return "field 'metrics.by_year' must be a list of objects, each with its whole-number 'year'"
    by_la = metrics.get("by_la", {})
    if not isinstance(by_la, dict) or not all(isinstance(d, dict) for d in by_la.values()):
        return "field 'metrics.by_la' must be an object of objects (LA code: its metrics)"
    for code, d in by_la.items():
        if len(code) > _text_limit(LaMetric.__table__.c.la_code):
            return f"LA code '{code[:40]}' of 'metrics.by_la' is too long"
        for k, v in d.items():
            if not _number(v):
                return f"metric '{k}' of LA {code} must be a number, got {v!r}"[:200]
    try:
        _, rows, la_rows = _rows(rec)
    except OverflowError:
        return "a metric is too large a number"
    limit = _text_limit(Metric.__table__.c.name)
    for name in [k for _, k, _ in rows] + [k for _, k, _ in la_rows]:
        if len(name) > limit:
            return f"metric name '{name[:40]}...' is longer than {limit} characters"
    return None


def _store(session: Session, rec: dict, chunk: str) -> bool:
    """Store one run in the session's transaction; False if it is there already (same key and code)."""
    old = session.scalar(select(Run).where(Run.run_key == rec["run_key"]))
    if old is not None:
        if old.code_version == rec["code_version"]:
            return False
        session.execute(delete(Metric).where(Metric.run_id == old.id))
        session.execute(delete(LaMetric).where(LaMetric.run_id == old.id))
        session.delete(old)
        session.flush()
    extra, rows, la_rows = _rows(rec)
    run = Run(
        run_key=rec["run_key"], study=rec["study"], kind=rec["kind"], region=rec["region"],
        scenario=rec["scenario"], scenario_hash=rec["scenario_hash"], seed=int(rec["seed"]),
        years=int(rec["years"]), start_year=int(rec["start_year"]), sample=rec.get("sample"),
        parameter_hash=rec["parameter_hash"], code_version=rec["code_version"],
        started_at=rec["started_at"], finished_at=rec["finished_at"], wall_seconds=float(rec["wall_seconds"]),
        chunk=chunk, parameters=rec.get("parameters", {}), extra=extra,
    )
    session.add(run)
    session.flush()
    session.execute(Metric.__table__.insert(), [
        {"run_id": run.id, "year": y, "name": k, "value": v} for y, k, v in rows
    ])
    if la_rows:
        session.execute(LaMetric.__table__.insert(), [
            {"run_id": run.id, "la_code": c, "name": k, "value": v} for c, k, v in la_rows
        ])
    return True


def load_records(engine: Engine, records: Iterable[dict], chunk: str) -> tuple[int, int]:
    """Store runs (one transaction); returns (added, already there). Same key and code: skipped.
    Each record is checked first: a bad one is an :class:`InputError` and nothing is stored."""
    records = list(records)
    for i, rec in enumerate(records, start=1):
        problem = record_problem(rec)
        if problem:
            raise InputError(f"{chunk}, record {i}: {problem}")
    added = skipped = 0
    with Session(engine) as session, session.begin():
        for rec in records:
            if _store(session, rec, chunk):
                added += 1
            else:
                skipped += 1
    return added, skipped


def read_chunk(path: Path) -> list[dict]:
    """The records of a chunk file (JSON lines), each checked (:func:`record_problem`); a damaged
    file, or a record the database could not store, is an :class:`InputError` naming the line."""
    try:
        text = Path(path).read_text()
    except FileNotFoundError:
        raise InputError(f"chunk file not found: {path}") from None
    except IsADirectoryError:
        raise InputError(f"chunk file {path} is a folder") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"chunk file {path} cannot be read ({_one_line(exc)})") from None
    records = []
    for i, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except (json.JSONDecodeError, RecursionError):
            raise InputError(f"chunk file {path}, line {i}: not a JSON record (re-run its workflow job)") from None
        problem = record_problem(rec)
        if problem:
            raise InputError(f"chunk file {path}, line {i}: {problem} (re-run its workflow job)")
        records.append(rec)
    if not records:
        raise InputError(f"chunk file {path} holds no runs (re-run its workflow job)")
    return records


def load_chunks(url: str, paths: Iterable[Path], progress=None) -> dict:
    """Load chunk files into the database at ``url``, all in one transaction: every file is read
    and checked before the database is opened or created, so a refused load writes nothing, and a
    load that fails (or is killed) half-way stores none of its runs."""
    paths = list(paths)
    if not paths:
        raise InputError("no chunk files to load")
    for p in paths:  # first pass: every record checked, before the database is touched
        read_chunk(p)
    too_long = next((p for p in paths if len(Path(p).name) > _text_limit(Run.__table__.c.chunk)), None)
    if too_long is not None:
        raise InputError(f"chunk file name {Path(too_long).name[:60]}... is longer than {_text_limit(Run.__table__.c.chunk)} characters")
    check_url(url)  # a folder that does not exist, a server that does not answer: refused, nothing created
    engine = connect(url)
    total_added = total_skipped = 0
    try:
        with write_lock(url):
            current = paths[0]
            try:
                with Session(engine) as session, session.begin():
                    for i, p in enumerate(paths, start=1):
                        current = p
                        for rec in read_chunk(p):
                            if _store(session, rec, chunk=Path(p).name):
                                total_added += 1
                            else:
                                total_skipped += 1
                        if progress:
                            progress(i, len(paths), total_added, total_skipped)
            except (SQLAlchemyError, OverflowError, ValueError) as exc:
                raise InputError(f"database refused chunk {current}, so none of the {len(paths)} chunk files was "
                                 f"stored: {_one_line(exc)}"[:400]) from None
    finally:
        engine.dispose()
    return {"chunks": len(paths), "added": total_added, "already_loaded": total_skipped}


def now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def status(url: str) -> list[str]:
    """One line per study: runs, scenarios, seeds, code versions, last finished."""
    from sqlalchemy import func

    engine = connect(url, create=False)
    with Session(engine) as session:
        if "runs" not in inspect(engine).get_table_names():
            return ["the database holds no runs"]
        rows = session.execute(
            select(Run.study, Run.kind, Run.region, func.count(Run.id), func.count(func.distinct(Run.scenario)),
                   func.count(func.distinct(Run.seed)), func.count(func.distinct(Run.code_version)), func.max(Run.finished_at))
            .group_by(Run.study, Run.kind, Run.region).order_by(Run.study)
        ).all()
    engine.dispose()
    if not rows:
        return ["the database holds no runs"]
    return [f"{s} ({k}, {r}): {n} runs, {ns} scenarios, {nd} seeds, {nc} code version(s), last finished {t}"
            for s, k, r, n, ns, nd, nc, t in rows]


# ------------------------------------------------------------------------------------------------
# reading a study's runs
# ------------------------------------------------------------------------------------------------

def read_study(url: str, plan: dict):
    """The runs of a study's plan, their metrics (long form) and by-LA metrics: three DataFrames."""
    import pandas as pd  # deferred: pandas is heavy, and a loader does not need it
    keys = {s["run_key"] for chunk in plan["chunks"].values() for s in chunk}
    engine = connect(url, create=False)
    try:
        return _read_study(engine, plan, keys, pd)
    except SQLAlchemyError as exc:
        raise InputError(f"cannot read the results database: {getattr(exc, 'orig', None) or exc}"[:300]) from None
    finally:
        engine.dispose()


def _read_study(engine, plan, keys, pd):
    with Session(engine) as session:
        runs = session.execute(select(Run).where(Run.study == plan["study"])).scalars().all()
        runs = [r for r in runs if r.run_key in keys]
        if len(runs) < len(keys):
            raise InputError(f"the database holds {len(runs)} of the {len(keys)} runs of study '{plan['study']}': "
                             "run the workflow (snakemake --cores 2) to finish it")
        ids = [r.id for r in runs]
        run_df = pd.DataFrame([{
            "run_id": r.id, "run_key": r.run_key, "scenario": r.scenario, "scenario_hash": r.scenario_hash,
            "seed": r.seed, "sample": r.sample, "parameter_hash": r.parameter_hash, "code_version": r.code_version,
            "started_at": r.started_at, "finished_at": r.finished_at, "wall_seconds": r.wall_seconds,
            "extra": r.extra, "parameters": r.parameters,
        } for r in runs])
        met = pd.DataFrame(session.execute(
            select(Metric.run_id, Metric.year, Metric.name, Metric.value)
            .where(Metric.run_id.in_(ids))).all(), columns=["run_id", "year", "name", "value"])
        la = pd.DataFrame(session.execute(
            select(LaMetric.run_id, LaMetric.la_code, LaMetric.name, LaMetric.value)
            .where(LaMetric.run_id.in_(ids))).all(), columns=["run_id", "la_code", "name", "value"])
    return run_df, met, la
