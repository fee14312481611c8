"""Run DfE's SSDA903 validation rules (package csc-validator-be-903) on a written return.

Runs in the validator's own virtual environment (it pins old numpy and pandas), never in the
project's: ``python run_903_rules.py FOLDER YEAR LA_CODE`` prints one JSON object
``{"ruleset": ..., "rules_run": N, "failed": {rule code: [message, rows failing]}}``.
The files are ``ssda903_YEAR_header.csv`` and ``ssda903_YEAR_episodes.csv`` (and the previous
year's, when present, as the validator's "previous year").
"""

import contextlib
import importlib
import json
import sys
from pathlib import Path

import pandas as pd
from lac_validator import datastore
from lac_validator.lac_validator import LacValidator
from lac_validator.report import Report
from lac_validator.utils import process_uploaded_files

# The validator derives the placement LA (PL_LA, rule 169) from the placement postcode's district
# through a table of 2021 districts, while its postcode directory carries current district codes.
# Districts created or recoded since 2021 would leave a valid placement with no LA: Barnsley and
# Sheffield (recoded E08000016 -> E08000038 and E08000019 -> E08000039 by the boundary change of
# 1 April 2024, ONS Register of Geographic Codes 2024) and the unitary authorities of 1 April 2023
# (Cumberland E06000063, Westmorland and Furness E06000064, North Yorkshire E06000065, Somerset
# E06000066; ONS Register of Geographic Codes 2023). They are added as their own upper tier.
NEW_DISTRICTS = {
    "E08000038": "Barnsley", "E08000039": "Sheffield", "E06000063": "Cumberland",
    "E06000064": "Westmorland and Furness", "E06000065": "North Yorkshire", "E06000066": "Somerset",
}


def _add_new_districts() -> None:
    table = datastore.la_df
    missing = {code: name for code, name in NEW_DISTRICTS.items() if code not in set(table["LTLA21CD"])}
    if missing:
        rows = pd.DataFrame({"FID": range(len(table) + 1, len(table) + 1 + len(missing)),
                             "LTLA21CD": list(missing), "LTLA21NM": list(missing.values()),
                             "UTLA21CD": list(missing), "UTLA21NM": list(missing.values())})
        datastore.la_df = pd.concat([table, rows], ignore_index=True)


def main(folder: str, year: int, la: str) -> None:
    _add_new_districts()
    folder = Path(folder)
    ruleset = f"lac{year - 1}_{str(year)[2:]}"
    module = importlib.import_module(f"lac_validator.rules.{ruleset}")
    registry = module.registry

    def files(y):
        out = []
        for part in ("header", "episodes"):
            path = folder / f"ssda903_{y}_{part}.csv"
            if path.is_file():
                # the validator reads the DfE columns; the LA column the regional tools add is dropped
                frame = pd.read_csv(path, dtype=str, keep_default_na=False)
                frame = frame[frame["LA"] == la].drop(columns=["LA"])
                tmp = folder / f".validator_{y}_{part}.csv"
                frame.to_csv(tmp, index=False)
                out.append(str(tmp))
        return out

    uploads = {"This year": files(year)}
    prev = files(year - 1)
    if prev:
        uploads["Prev year"] = prev
    # some rules print to stdout: keep stdout for the one JSON object
    with contextlib.redirect_stdout(sys.stderr):
        v = LacValidator(metadata={"collectionYear": str(year), "localAuthority": la},
                         files=process_uploaded_files(uploads), registry=registry, selected_rules=None)
        report = Report(v.ds_results, registry)
        summary = report.error_summary
    failed = {}
    for _, row in summary.iterrows():
        rule = registry.get(str(row["Code"]))
        failed[str(row["Code"])] = [int(row["Error Count"]), getattr(rule, "message", "")[:160] if rule else ""]
    print(json.dumps({"ruleset": ruleset, "la": la, "rules_run": len(v.dones), "rules_skipped": len(v.skips),
                      "rules_failed_to_run": len(v.fails), "failed": failed}, indent=1))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
