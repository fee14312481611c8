"""``rccsim report``: the board-ready report of a workflow's comparison, as HTML and (``--pdf``) PDF."""

from __future__ import annotations

from pathlib import Path

from rccsim.base.files import write_bytes_atomic, write_text_atomic
from rccsim.report.board import build
from rccsim.report.fromdb import study_from_database
from rccsim.report.pdf import board_pdf
from rccsim.studies.batch import read_plan


def cmd_report(args) -> int:
    plan = read_plan(args.plan)
    text = build(args.url, plan, str(args.plan))
    out = Path(args.out)
    write_text_atomic(out, text)
    print(f"rccsim report: {out} ({len(text) / 1e6:.1f} MB)")
    if args.pdf is not None:
        pdf = board_pdf(study_from_database(args.url, str(args.plan)))
        write_bytes_atomic(Path(args.pdf), pdf)
        print(f"rccsim report: {args.pdf} ({len(pdf) / 1e6:.1f} MB)")
    return 0

