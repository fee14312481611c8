"""The results database: one row per run with its provenance, its metrics per run and per year.

SQLite under ``results/`` by default; any SQLAlchemy URL (``postgresql://...``) by configuration.
Runs arrive as chunk files (``model/batch.py``: one JSON line per finished run), and only the
loader writes to the database:

* each run has a ``run_key``, a hash of what defines it (study, region, scenario, parameters,
  seed, years, start year); the key is unique in the table, so loading a chunk twice, or a chunk
  that a resumed workflow re-ran, never duplicates a run. A run re-done with other code replaces
  the old row (its code version is recorded);
* one transaction per chunk file: a loader killed half-way leaves whole chunks or none;
* SQLite writers take an exclusive lock on ``<file>.lock`` first, so two loaders (two workflows,
  or a workflow and a person) never write the same file at once.

Nothing child-level is stored: the records are aggregates (``model/results.py``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from sqlalchemy import (
    JSON,
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

from .errors import InputError

DEFAULT_URL = "sqlite:///results/rccsim.sqlite"


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
    seed: Mapped[int] = mapped_column(Integer)
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


def _sqlite_path(url: str) -> Path | None:
    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    return Path(u.database)


def connect(url: str = DEFAULT_URL, create: bool = True) -> Engine:
    """An engine for ``url`` with the tables created; a bad URL is an :class:`InputError`."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise InputError(f"database URL '{url}' is not an SQLAlchemy URL (e.g. sqlite:///results/rccsim.sqlite)") from None
    path = _sqlite_path(url)
    if path is not None:
        if not create and not path.exists():
            raise InputError(f"database {path} does not exist: run the workflow (snakemake --cores 2) or 'rccsim db load' first")
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = create_engine(parsed, future=True)
    except Exception as exc:  # missing driver (psycopg), unknown dialect
        raise InputError(f"cannot open database '{parsed.render_as_string(hide_password=True)}': {exc}") from None
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
        raise InputError(f"cannot open database '{parsed.render_as_string(hide_password=True)}': "
                         f"{getattr(exc, 'orig', None) or exc}") from None
    return engine


LOCK_KEY = 7_317_010  # PostgreSQL advisory lock of rccsim's writers


@contextlib.contextmanager
def write_lock(url: str) -> Iterator[None]:
    """An exclusive lock for writers: a file lock beside an SQLite file, an advisory lock on
    PostgreSQL (other servers: none; run one loader at a time)."""
    path = _sqlite_path(url)
    if path is None:
        if make_url(url).get_backend_name() == "postgresql":
            from sqlalchemy import text

            engine = create_engine(url)
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
    path.parent.mkdir(parents=True, exist_ok=True)
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


def load_records(engine: Engine, records: Iterable[dict], chunk: str) -> tuple[int, int]:
    """Store runs (one transaction); returns (added, already there). Same key and code: skipped."""
    added = skipped = 0
    with Session(engine) as session, session.begin():
        for rec in records:
            old = session.scalar(select(Run).where(Run.run_key == rec["run_key"]))
            if old is not None:
                if old.code_version == rec["code_version"]:
                    skipped += 1
                    continue
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
            added += 1
    return added, skipped


def read_chunk(path: Path) -> list[dict]:
    """The records of a chunk file (JSON lines); a damaged file is an :class:`InputError`."""
    records = []
    for i, line in enumerate(Path(path).read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            raise InputError(f"chunk file {path}, line {i}: not a JSON record (re-run its workflow job)") from None
    return records


def load_chunks(url: str, paths: Iterable[Path], progress=None) -> dict:
    """Load chunk files into the database at ``url``, each in its own transaction."""
    paths = list(paths)
    engine = connect(url)
    total_added = total_skipped = 0
    with write_lock(url):
        for i, p in enumerate(paths, start=1):
            records = read_chunk(p)
            try:
                added, skipped = load_records(engine, records, chunk=Path(p).name)
            except SQLAlchemyError as exc:
                raise InputError(f"database refused chunk {p}: {getattr(exc, 'orig', None) or exc}"[:400]) from None
            total_added += added
            total_skipped += skipped
            if progress:
                progress(i, len(paths), total_added, total_skipped)
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
