"""SSDA903 returns that are wrong in small ways: each is refused in one line that names the file,
row and column but never a child's id, date or postcode, or, with --lenient, dropped and counted.

Every return here is a few rows of CSV written to tmp_path: Manchester's (E08000003) collection
year 2023-24 (1 April 2023 - 31 March 2024).
"""

from __future__ import annotations

import csv
import datetime as dt
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from rccsim.base.errors import InputError
from rccsim.cli import _read_return, main
from rccsim.io import ssda903 as s9

LA = "E08000003"
HEADER = ["CHILD,SEX,DOB",
          "K7Q2093,1,17/09/2011",   # row 2
          "K7Q2094,2,03/02/2009",   # row 3
          "K7Q2095,1,22/11/2014"]   # row 4
EPISODES = ["CHILD,DECOM,RNE,LS,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST",
            "K7Q2093,05/05/2023,S,C2,U4,PR1,12/08/2023,X1,CARPL,M14 5RX,M20 3HE",  # row 2
            "K7Q2093,12/08/2023,P,C2,K2,PR4,,,,M14 5RX,OL9 6AW",                    # row 3, open
            "K7Q2094,19/06/2023,S,V2,U6,PR4,28/02/2024,E13,,M13 0PQ,M22 4ZY",       # row 4
            "K7Q2095,09/10/2023,S,C1,U1,PR1,,,,M40 7LB,M9 8JD"]                     # row 5, open
IDENTIFYING = ("CHILD", "DOB", "DECOM", "DEC", "HOME_POST", "PL_POST")


def _return(folder: Path, header=HEADER, episodes=EPISODES, year: str = "2024") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{year}-header.csv").write_text("\n".join(header) + "\n")
    (folder / f"{year}-episodes.csv").write_text("\n".join(episodes) + "\n")
    return folder


def _edit(lines: list[str], row: int, column: str, value: str) -> list[str]:
    """``lines`` with one cell changed (``row`` as a spreadsheet counts: the header line is 1)."""
    out = list(lines)
    names = out[0].split(",")
    cells = out[row - 1].split(",")
    cells[names.index(column)] = value
    out[row - 1] = ",".join(cells)
    return out


def _personal(folder: Path) -> set[str]:
    """Every child id, date and postcode in the return's files, as written and in the forms a
    program might print them (ISO dates, postcodes without their space)."""
    values = set()
    for path in folder.glob("*.csv"):
        if not path.is_file():
            continue
        with path.open(newline="") as fh:
            for rec in csv.DictReader(fh):
                for column, value in rec.items():
                    if column and column.strip().upper() in IDENTIFYING and value and value.strip():
                        v = value.strip()
                        values |= {v, v.replace(" ", "")}
                        day = pd.to_datetime(v, format="%d/%m/%Y", errors="coerce")
                        if pd.notna(day):
                            values.add(f"{day:%Y-%m-%d}")
    return values


def _assert_private(message: str, folder: Path) -> None:
    leaked = sorted(v for v in _personal(folder) if v in message)
    assert not leaked, f"the message shows {leaked}: {message}"


def _read(folder: Path, **kw):
    return s9.read(folder, la=LA, **kw)


def _error(folder: Path, **kw) -> str:
    with pytest.raises(InputError) as err:
        _read(folder, **kw)
    message = str(err.value)
    assert "\n" not in message
    return message


def test_the_base_return_reads(tmp_path):
    ret = _read(_return(tmp_path))
    assert not ret.dropped and not ret.warnings
    assert len(ret.episodes) == 4 and len(ret.header) == 3


# --- 1. privacy: row and column, never the value ----------------------------------------------

PRIVATE_CASES = {
    # name: (edit of (header, episodes), file, row, column)
    "header CHILD twice, DOB differs": (lambda h, e: (h + ["K7Q2093,1,18/09/2011"], e), "header", 5, "CHILD"),
    "header CHILD blank": (lambda h, e: (_edit(h, 3, "CHILD", ""), e), "header", 3, "CHILD"),
    "header DOB not a date": (lambda h, e: (_edit(h, 3, "DOB", "31/02/2009"), e), "header", 3, "DOB"),
    "header DOB another format": (lambda h, e: (_edit(h, 3, "DOB", "2009/02/03"), e), "header", 3, "DOB"),
    "header DOB in 1809": (lambda h, e: (_edit(h, 3, "DOB", "03/02/1809"), e), "header", 3, "DOB"),
    "header SEX holds a DOB": (lambda h, e: (_edit(h, 3, "SEX", "03/02/2009"), e), "header", 3, "SEX"),
    "episode CHILD unknown": (lambda h, e: (h, _edit(e, 5, "CHILD", "Z98765")), "episodes", 5, "CHILD"),
    "episode CHILD blank": (lambda h, e: (h, _edit(e, 4, "CHILD", "")), "episodes", 4, "CHILD"),
    "DECOM not a date": (lambda h, e: (h, _edit(e, 4, "DECOM", "19.06.2023")), "episodes", 4, "DECOM"),
    "DEC not a date": (lambda h, e: (h, _edit(e, 4, "DEC", "2024-02-30")), "episodes", 4, "DEC"),
    "DEC before DECOM": (lambda h, e: (h, _edit(e, 4, "DEC", "18/06/2023")), "episodes", 4, "DEC"),
    "DECOM before birth": (lambda h, e: (h, _edit(e, 5, "DECOM", "09/10/2013")), "episodes", 5, "DECOM"),
    "18 or over at DECOM": (lambda h, e: (_edit(h, 3, "DOB", "03/02/1999"), e), "episodes", 4, "DECOM"),
    "DECOM in 2030": (lambda h, e: (h, _edit(e, 5, "DECOM", "09/10/2030")), "episodes", 5, "DECOM"),
    "two episodes start the same day": (lambda h, e: (h, e + ["K7Q2093,05/05/2023,P,C2,K2,PR4,,,,M14 5RX,M4 1HQ"]),
                                        "episodes", 6, "DECOM"),
    "overlapping episodes": (lambda h, e: (h, _edit(e, 3, "DECOM", "01/07/2023")), "episodes", 3, "DECOM"),
    "PLACE holds a postcode": (lambda h, e: (h, _edit(e, 4, "PLACE", "M13 0PQ")), "episodes", 4, "PLACE"),
    "PLACE_PROVIDER holds a postcode": (lambda h, e: (h, _edit(e, 4, "PLACE_PROVIDER", "M130PQ")), "episodes", 4,
                                        "PLACE_PROVIDER"),
    "LS holds a child's id": (lambda h, e: (h, _edit(e, 4, "LS", "K7Q2094")), "episodes", 4, "LS"),
    "a row with an extra field": (lambda h, e: (h, e[:3] + [e[3] + ",M13 0PQ"] + e[4:]), "episodes", 4, None),
}


@pytest.mark.parametrize("case", PRIVATE_CASES, ids=list(PRIVATE_CASES))
def test_a_message_names_file_row_and_column_but_no_childs_id_date_or_postcode(tmp_path, case):
    edit, part, row, column = PRIVATE_CASES[case]
    header, episodes = edit(HEADER, EPISODES)
    folder = _return(tmp_path, header, episodes)
    message = _error(folder)
    assert message.startswith(f"2024-{part}.csv row {row}")
    if column:
        assert f"row {row}, column {column}:" in message
    _assert_private(message, folder)


def test_a_code_that_is_not_personal_is_still_shown(tmp_path):
    message = _error(_return(tmp_path, episodes=_edit(EPISODES, 4, "PLACE", "Q9")))
    assert "row 4, column PLACE: unknown placement type ('Q9')" in message
    message = _error(_return(tmp_path / "sex", header=_edit(HEADER, 2, "SEX", "7")))
    assert "row 2, column SEX: unknown code (1, 2, M, F or U) ('7')" in message


def test_the_rates_summary_names_no_childs_date(tmp_path):
    # the window used to start on the return's first end date, a child's; now on 1 April
    from rccsim.core.children import hazard_table
    from rccsim.inputs.params import ParamSet

    episodes = _edit(EPISODES, 2, "DEC", "13/06/2023")
    episodes = _edit(episodes, 3, "DECOM", "13/06/2023")
    ret = _read(_return(tmp_path, episodes=episodes))
    table = hazard_table(SimpleNamespace(p=ParamSet.defaults()))
    rates = s9.estimate_rates(ret, dt.date(2024, 3, 31), table)
    text = str(rates.summary)
    assert rates.summary[LA]["window"] == "01/04/2023-31/03/2024"
    _assert_private(text, tmp_path)


# --- 2. episodes in the future and children of 18 or over: refused, or dropped and counted --------

def test_an_episode_after_its_files_collection_year_is_refused_or_dropped_and_counted(tmp_path):
    folder = _return(tmp_path, episodes=_edit(EPISODES, 5, "DECOM", "09/10/2030"))
    message = _error(folder)
    assert message.startswith("2024-episodes.csv row 5, column DECOM: episode starts after its file's collection year "
                              "(it ends 31/03/2024")
    assert "--lenient" in message
    ret = _read(folder, lenient=True)
    assert ret.dropped == {"episode starts after its file's collection year": 1}
    assert set(ret.episodes["CHILD"]) == {"K7Q2093", "K7Q2094"}


def test_an_episode_on_the_last_day_of_the_collection_year_is_kept(tmp_path):
    ret = _read(_return(tmp_path, episodes=_edit(EPISODES, 5, "DECOM", "31/03/2024")))
    assert not ret.dropped and len(ret.episodes) == 4


def test_with_no_end_date_to_tell_the_year_an_episode_after_today_is_refused(tmp_path):
    open_only = [EPISODES[0], EPISODES[3].replace("28/02/2024,E13", ","), EPISODES[4]]
    folder = _return(tmp_path, episodes=_edit(open_only, 3, "DECOM", "09/10/2030"))
    message = _error(folder, today=dt.date(2026, 11, 30))
    assert "row 3, column DECOM: episode starts after today (30/11/2026" in message and "--lenient" in message
    ret = _read(folder, today=dt.date(2026, 11, 30), lenient=True)
    assert ret.dropped == {"episode starts after today": 1}
    assert len(_read(folder, today=dt.date(2031, 1, 1)).episodes) == 2


def test_a_child_18_or_over_at_an_episodes_start_is_refused_or_dropped_and_counted(tmp_path):
    folder = _return(tmp_path, header=_edit(HEADER, 3, "DOB", "03/02/1999"))  # 24 when the episode starts
    message = _error(folder)
    assert message.startswith("2024-episodes.csv row 4, column DECOM: the child is 18 or over when the episode "
                              "starts (by the DOB in 2024-header.csv row 3")
    assert "--lenient" in message
    ret = _read(folder, lenient=True)
    assert ret.dropped == {"the child is 18 or over when the episode starts": 1}
    assert "K7Q2094" not in set(ret.episodes["CHILD"])


def test_the_18th_birthday_a_move_may_start_but_not_care(tmp_path):
    header = _edit(HEADER, 3, "DOB", "12/08/2005")  # K7Q2094: 18 on 12/08/2023
    moved = [EPISODES[0], "K7Q2094,19/06/2023,S,V2,U6,PR4,12/08/2023,X1,CARPL,M13 0PQ,M22 4ZY",
             "K7Q2094,12/08/2023,P,V2,K3,PR4,28/02/2024,E8,,M13 0PQ,M22 4ZY"]
    assert len(_read(_return(tmp_path / "move", header, moved)).episodes) == 2
    started = [EPISODES[0], "K7Q2094,12/08/2023,S,V2,U6,PR4,28/02/2024,E8,,M13 0PQ,M22 4ZY"]
    assert "row 2, column DECOM: the child is 18 or over" in _error(_return(tmp_path / "start", header, started))
    later = [EPISODES[0], moved[1], "K7Q2094,13/08/2023,P,V2,K3,PR4,28/02/2024,E8,,M13 0PQ,M22 4ZY"]
    assert "row 3, column DECOM: the child is 18 or over" in _error(_return(tmp_path / "later", header, later))


def test_a_child_past_18_on_the_date_is_left_out_with_a_count(tmp_path):
    # K7Q2094 is 17 when the (never ended) episode starts and 18 on 12/08/2023
    header = _edit(HEADER, 3, "DOB", "12/08/2005")
    ret = _read(_return(tmp_path, header, _edit(_edit(EPISODES, 4, "DEC", ""), 4, "REC", "")))
    pop, warnings = s9.population_at(ret, dt.date(2024, 3, 31))
    assert len(pop) == 2
    assert "1 child open on 31/03/2024 in the return is past the 18th birthday (care ends at 18): left out" in warnings
    _assert_private(" ".join(warnings), tmp_path)


# --- 3. overlapping episodes: how many, and what to do -------------------------------------------

def _overlaps(folder: Path) -> Path:
    # K7Q2093: an open episode, then two more that start before it ends (3 and 4 overlap 2; 4
    # does not overlap 3, which ended before it); K7Q2095: a second episode that starts before the
    # first ends
    episodes = [EPISODES[0],
                "K7Q2093,05/05/2023,S,C2,U4,PR1,,,,M14 5RX,M20 3HE",
                "K7Q2093,01/07/2023,P,C2,K2,PR4,01/09/2023,X1,CARPL,M14 5RX,OL9 6AW",
                "K7Q2093,01/10/2023,P,C2,U6,PR4,,,,M14 5RX,M8 0AE",
                EPISODES[3],
                "K7Q2095,09/10/2023,S,C1,U1,PR1,01/03/2024,X1,CARPL,M40 7LB,M9 8JD",
                "K7Q2095,01/02/2024,P,C1,U4,PR1,,,,M40 7LB,M11 2WH"]
    return _return(folder, episodes=episodes)


def test_overlapping_episodes_are_counted_and_the_message_says_to_re_run_with_lenient(tmp_path):
    folder = _overlaps(tmp_path)
    message = _error(folder)
    assert message == ("2024-episodes.csv row 3, column DECOM: episode overlaps the child's previous episode (row 2); "
                       "2 children have overlapping episodes in the return: re-run with --lenient to drop the 3 "
                       "episodes that overlap")
    _assert_private(message, folder)
    ret = _read(folder, lenient=True)
    assert ret.dropped == {"episode overlaps the previous one": 3}
    # what is left overlaps nowhere: each child is open once on a date (K7Q2093 was twice, by its
    # rows 2 and 4, when only an episode's overlap with the one before it was dropped)
    assert len(ret.episodes) == 3
    pop, _ = s9.population_at(ret, dt.date(2024, 2, 15))
    assert len(pop) == 3


def test_an_overlap_across_two_years_files_names_both(tmp_path):
    _return(tmp_path, year="2024")  # K7Q2093's episode of 12/08/2023 is open on 31 March 2024 (row 3)
    later = [EPISODES[0], "K7Q2093,01/06/2024,P,C2,U6,PR4,,,,M14 5RX,M8 0AE",
             "K7Q2095,09/10/2023,S,C1,U1,PR1,01/02/2025,E13,,M40 7LB,M9 8JD"]
    _return(tmp_path, header=[HEADER[0], HEADER[1], HEADER[3]], episodes=later, year="2025")
    message = _error(tmp_path)
    assert message.startswith("2025-episodes.csv row 2, column DECOM: episode overlaps the child's previous episode "
                              "(2024-episodes.csv row 3); 1 child has overlapping episodes in the return: re-run with "
                              "--lenient to drop the 1 episode that overlap")
    _assert_private(message, tmp_path)


# --- 4. malformed files: one line, no traceback ---------------------------------------------------

@pytest.mark.parametrize("value", ["17.09.2011", "17-09-2011", "2011/09/17", "2011-09-17 00:00:00", "17/9/11",
                                   "17 Sep 2011", "40803", "2011-09-17T00:00", "32/01/2011"])
def test_a_date_in_another_format_is_refused_without_showing_it(tmp_path, value):
    folder = _return(tmp_path, header=_edit(HEADER, 2, "DOB", value))
    message = _error(folder)
    assert message.startswith("2024-header.csv row 2, column DOB: ")
    assert value not in message


def test_wrong_types_and_blank_codes(tmp_path):
    message = _error(_return(tmp_path / "a", header=_edit(HEADER, 4, "SEX", "1.0")))
    assert message.startswith("2024-header.csv row 4, column SEX: unknown code")
    message = _error(_return(tmp_path / "b", episodes=_edit(EPISODES, 3, "LS", "")))
    assert message.startswith("2024-episodes.csv row 3, column LS: unknown legal status (blank)")


def test_a_child_twice_in_a_header_names_both_rows_and_across_years_the_latest_dob_is_used(tmp_path):
    message = _error(_return(tmp_path / "one", header=HEADER + ["K7Q2094,2,04/02/2009"]))
    assert message.startswith("2024-header.csv row 5, column CHILD: child listed twice in the header (also in row 3)")
    folder = _return(tmp_path / "two", year="2023")
    _return(folder, header=_edit(HEADER, 3, "DOB", "04/02/2009"), year="2024")
    ret = _read(folder)
    assert ret.warnings == ["1 child has another date of birth in an earlier year's Header file: the latest "
                            "file's is used"]
    assert ret.header.set_index("CHILD").loc["K7Q2094", "DOB"] == pd.Timestamp(2009, 2, 4)


def test_columns_named_twice(tmp_path):
    header = ["CHILD,SEX,DOB,child"] + [line + ",X" for line in HEADER[1:]]
    assert _error(_return(tmp_path / "a", header=header)) == "2024-header.csv: column CHILD appears twice in the header line"
    header = ["CHILD,SEX,DOB,ETHNIC,ethnic"] + [line + ",WBRI,WBRI" for line in HEADER[1:]]
    assert len(_read(_return(tmp_path / "b", header=header)).header) == 3  # a column the reader does not use


def test_rows_with_more_or_fewer_fields_than_the_header_line(tmp_path):
    more = EPISODES[:4] + [EPISODES[4] + ",E99"]
    assert _error(_return(tmp_path / "more", episodes=more)).startswith(
        "2024-episodes.csv row 5: more fields than the header line (12, the header line has 11)")
    commas = [line + ",," for line in EPISODES]  # trailing empty fields, as spreadsheets write them
    assert len(_read(_return(tmp_path / "commas", episodes=commas)).episodes) == 4
    fewer = EPISODES[:3] + ["K7Q2094,19/06/2023,S,V2"] + EPISODES[4:]  # PLACE onwards blank
    assert _error(_return(tmp_path / "fewer", episodes=fewer)).startswith(
        "2024-episodes.csv row 4, column PLACE: unknown placement type (blank)")


def test_rows_are_numbered_as_a_spreadsheet_shows_them_across_blank_lines(tmp_path):
    episodes = EPISODES[:2] + ["", ",,,,,,,,,,"] + EPISODES[2:4] + [_edit(EPISODES, 5, "PLACE", "Q9")[4]]
    assert _error(_return(tmp_path, episodes=episodes)).startswith("2024-episodes.csv row 7, column PLACE")


def test_an_unbalanced_quote(tmp_path):
    episodes = EPISODES[:3] + ['K7Q2094,"19/06/2023,S,V2,U6,PR4,28/02/2024,E13,,M13 0PQ,M22 4ZY'] + EPISODES[4:]
    message = _error(_return(tmp_path, episodes=episodes))
    assert message.startswith("2024-episodes.csv: not a readable CSV at line ")
    _assert_private(message, tmp_path)


def test_files_that_are_folders_links_to_nothing_or_unreadable(tmp_path, monkeypatch):
    folder = _return(tmp_path / "dir")
    (folder / "2023-episodes.csv").mkdir()
    assert _error(folder) == f"--ssda903: 2023-episodes.csv in {folder} is a folder, not a CSV file"
    folder = _return(tmp_path / "link")
    (folder / "2023-episodes.csv").symlink_to(folder / "gone.csv")
    assert _error(folder) == f"--ssda903: 2023-episodes.csv in {folder} is a link to nothing, not a CSV file"
    assert _error(tmp_path / "nowhere") == f"--ssda903: {tmp_path / 'nowhere'} does not exist (no such folder)"
    assert _error(folder / "2024-header.csv").endswith("is a file, not a folder")

    folder = _return(tmp_path / "locked")
    real = Path.read_bytes

    def read_bytes(self):
        if self.name == "2024-episodes.csv":  # as chmod 000 would, for a user other than root
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    assert _error(folder) == "2024-episodes.csv: cannot be read (Permission denied)"

    def iterdir(self):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "iterdir", iterdir)
    assert _error(folder) == f"--ssda903: {folder} cannot be listed (Permission denied)"


def test_when_lenient_drops_everything_it_says_so(tmp_path):
    episodes = [EPISODES[0]] + [_edit(EPISODES, r, "PLACE", "Q9")[r - 1] for r in range(2, 6)]
    with pytest.raises(InputError, match=r"^--lenient dropped every episode of the return \(unknown placement type: 4\)$"):
        _read(_return(tmp_path / "e", episodes=episodes), lenient=True)
    header = [HEADER[0]] + [_edit(HEADER, r, "SEX", "9")[r - 1] for r in range(2, 5)]
    with pytest.raises(InputError, match=r"^--lenient dropped every row of the Header files"):
        _read(_return(tmp_path / "h", header=header), lenient=True)


def test_a_date_before_any_episode_gives_no_children(tmp_path):
    pop, warnings = s9.population_at(_read(_return(tmp_path)), dt.date(2020, 3, 31))
    assert pop.empty and not warnings


# --- the command line: exit 2, one line, nothing written ------------------------------------------

def _dangling(folder: Path) -> Path:
    _return(folder)
    (folder / "2023-header.csv").symlink_to(folder / "gone.csv")
    return folder


CLI_CASES = {
    "overlap": _overlaps,
    "18 or over": lambda p: _return(p, header=_edit(HEADER, 3, "DOB", "03/02/1999")),
    "DECOM in 2030": lambda p: _return(p, episodes=_edit(EPISODES, 5, "DECOM", "09/10/2030")),
    "DOB not a date": lambda p: _return(p, header=_edit(HEADER, 3, "DOB", "2009/02/03")),
    "link to nothing": _dangling,
    "column twice": lambda p: _return(p, header=["CHILD,SEX,DOB,DOB"] + [x + ",01/01/2010" for x in HEADER[1:]]),
    "extra field": lambda p: _return(p, episodes=EPISODES[:3] + [EPISODES[3] + ",M13 0PQ"] + EPISODES[4:]),
    "no child on the date": _return,  # run with --start 2020
}


def _cli(folder: Path, out: Path, *extra: str) -> list[str]:
    return ["run", "--region", LA, "--ssda903", str(folder), "--la", LA, "--years", "1", "--quiet",
            "--out", str(out / "run.json"), "--write-ssda903", str(out / "written"), *extra]


@pytest.mark.parametrize("case", CLI_CASES, ids=list(CLI_CASES))
def test_the_command_refuses_a_bad_return_in_one_line_and_writes_nothing(tmp_path, capsys, case):
    folder = tmp_path / "in"
    CLI_CASES[case](folder)
    code = main(_cli(folder, tmp_path, "--start", "2020") if case == "no child on the date" else _cli(folder, tmp_path))
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.startswith("rccsim: error: ") and err.endswith("\n") and err.count("\n") == 1
    assert "Traceback" not in err
    assert not (tmp_path / "run.json").exists() and not (tmp_path / "written").exists()
    _assert_private(err, folder)


@pytest.mark.parametrize("case", ["overlap", "18 or over"])
def test_the_command_refuses_a_bad_return_in_a_fresh_process(tmp_path, case):
    folder = tmp_path / "in"
    CLI_CASES[case](folder)
    done = subprocess.run([sys.executable, "-m", "rccsim", *_cli(folder, tmp_path)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("rccsim: error: 2024-episodes.csv row ")
    assert "--lenient" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "run.json").exists() and not (tmp_path / "written").exists()
    _assert_private(done.stderr, folder)


def test_the_command_prints_what_lenient_dropped(tmp_path, capsys):
    folder = _overlaps(tmp_path / "in")
    (folder / "2024-episodes.csv").write_text((folder / "2024-episodes.csv").read_text()
                                              + "K7Q2094,01/05/2030,P,V2,U6,PR4,,,,M13 0PQ,M22 4ZY\n")
    args = SimpleNamespace(ssda903=folder, la=LA, lenient=True, start=2024, quiet=False, estimate_rates=False,
                           scenario="baseline")
    pop, _ = _read_return(args)
    _, err = capsys.readouterr()
    assert ("rccsim: --lenient dropped rows of the return (episode starts after its file's collection year: 1; "
            "episode overlaps the previous one: 3)") in err.splitlines()
    assert len(pop) == 1  # K7Q2093, once (its rows 2 and 4 both open on 31 March 2024 before the fix)
    _assert_private(err, folder)


def test_the_command_prints_the_return_s_warnings(tmp_path, capsys):
    folder = _return(tmp_path, year="2023")
    _return(folder, header=_edit(HEADER, 3, "DOB", "04/02/2009"), year="2024")
    args = SimpleNamespace(ssda903=folder, la=LA, lenient=False, start=2024, quiet=False, estimate_rates=False,
                           scenario="baseline")
    _read_return(args)
    _, err = capsys.readouterr()
    assert ("rccsim: 1 child has another date of birth in an earlier year's Header file: the latest file's is used"
            in err.splitlines())
    _assert_private(err, folder)


def test_the_shipped_synthetic_returns_overlap_and_the_message_counts_what_lenient_drops(tmp_path):
    """cs-demand-model's synthetic returns (see test_ssda903._samples) hold children with
    overlapping episodes: the line says how many, and --lenient drops that many episodes."""
    import os
    import re
    import shutil

    where = os.environ.get("CS_DEMAND_MODEL_SAMPLES")
    if not where or not (Path(where) / "combined").is_dir():
        pytest.skip("cs-demand-model samples not available (set CS_DEMAND_MODEL_SAMPLES)")
    for year in (2020, 2021):
        for part in ("header", "episodes"):
            shutil.copy(Path(where) / "combined" / f"{year}-{part}.csv", tmp_path / f"{year}-{part}.csv")
    message = _error(tmp_path)
    found = re.search(r"column DECOM: episode overlaps the child's previous episode \(row \d+\); (\d+) children have "
                      r"overlapping episodes in the return: re-run with --lenient to drop the (\d+) episodes that "
                      r"overlap$", message)
    assert found, message
    children, episodes = map(int, found.groups())
    assert 1 <= children <= episodes
    ret = _read(tmp_path, lenient=True)
    assert ret.dropped["episode overlaps the previous one"] == episodes
    _assert_private(message, tmp_path)
