"""A run's result: metrics, metrics by year, and provenance.

The JSON form is deterministic: the same seed, scenario, parameters and code give byte-identical
output (no timestamps or timings inside it). It carries no child-level data: only aggregates.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from . import metrics as metrics_mod

ROOT = Path(__file__).resolve().parents[1]


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """``rccsim <version>+g<commit>[.dirty]`` from git, or the package version alone."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        base = version("rccsim")
    except PackageNotFoundError:
        base = "0+unknown"
    try:
        commit = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True, timeout=5
        )
        if commit.returncode != 0:
            return f"rccsim {base}"
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no", "--", "model", "calibration"],
            capture_output=True, text=True, timeout=5,
        )
        suffix = ""
        if dirty.stdout.strip():  # uncommitted changes: name them by a hash of the diff, so two edits differ
            diff = subprocess.run(["git", "-C", str(ROOT), "diff", "HEAD", "--", "model", "calibration"],
                                  capture_output=True, timeout=10)
            suffix = ".dirty" + hashlib.sha256(diff.stdout).hexdigest()[:8]
        return f"rccsim {base}+g{commit.stdout.strip()}{suffix}"
    except (OSError, subprocess.SubprocessError):
        return f"rccsim {base}"


def write_text_atomic(path, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all (written aside, then renamed), readable by
    others as any output file (mkstemp alone would make it private)."""
    import os
    import tempfile

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value):
    """A text cell a spreadsheet will not run as a formula: text starting with ``= + - @``, a
    tab or a carriage return gets a leading apostrophe (OWASP, "CSV Injection"). Numbers, and
    text that is a number ("-0.5"), are left alone."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        try:
            float(value)
            return value
        except ValueError:
            return "'" + value
    return value


def csv_text(frame) -> str:
    """A DataFrame as CSV text with every text cell and column name made safe (:func:`csv_safe`)."""
    safe = frame.copy()
    for col in safe.columns:
        if safe[col].dtype == object or str(safe[col].dtype) in ("str", "string"):
            safe[col] = safe[col].map(csv_safe).astype(object)
    safe.columns = [csv_safe(str(c)) for c in safe.columns]
    return safe.to_csv(index=False)


def _round(value, digits: int = 6):
    if isinstance(value, float):  # NaN and infinities are not JSON: null
        return float(f"{value:.{digits}g}") if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _round(v, digits) for k, v in value.items()}
    if isinstance(value, list):
        return [_round(v, digits) for v in value]
    return value


@dataclass
class RunResult:
    metrics: dict
    by_year: list[dict]
    provenance: dict = field(default_factory=dict)

    @classmethod
    def from_model(cls, model) -> RunResult:
        m, years = metrics_mod.compute(model)
        scen = model.scenario.canonical()
        prov = {
            "seed": model.seed,
            "scenario": model.scenario.name,
            "scenario_hash": hashlib.sha256(json.dumps(scen, sort_keys=True).encode()).hexdigest()[:12],
            "region": model.region.label,
            "la_codes": [str(c) for c in model.geo.las.la_code.to_numpy()[model.region.la_index]],
            "start_year": model.start_year,
            "start_date": model.start_date.isoformat(),
            "years": model.years,
            "parameter_hash": model.p.digest(),
            "code_version": code_version(),
        }
        if getattr(model, "rates", None) is not None:  # aggregates only: per LA window, starts, ceases
            prov["rates_from_ssda903"] = model.rates.summary
        warnings = []
        if m["children_in_care_start"] == 0 and not any(y["entries_per_year"] for y in years):
            warnings.append(f"no child was looked after in {model.region.label} during the run (DfE counts none at "
                            f"31 March {model.start_year} and no starts): its shares, distances and costs per child are "
                            "empty and shown as 0")
        if warnings:
            prov["warnings"] = warnings
        return cls(metrics=m, by_year=years, provenance=prov)

    def to_dict(self) -> dict:
        out = dict(self.provenance)
        out["metrics"] = _round(self.metrics)
        out["metrics"]["by_year"] = _round(self.by_year)
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=False, indent=2, allow_nan=False)

    def summary_table(self) -> str:
        """A readable table of the headline metrics, start to end."""
        m = self.metrics
        p = self.provenance
        rows = [
            ("Children in care (start / end)", f"{m['children_in_care_start']:,} / {m['children_in_care_end']:,}"),
            ("Entries / exits per year", f"{m['entries_per_year']:,.0f} / {m['exits_per_year']:,.0f}"),
            ("Fostering / residential / supported (end)",
             f"{m['share_fostering_end']:.1%} / {m['share_residential_end']:.1%} / {m['share_supported_end']:.1%}"),
            ("Placement spend, whole run", f"£{m['cost_total_gbp'] / 1e6:,.1f}m"),
            ("Spend per child-week", f"£{m['cost_per_child_week_gbp']:,.0f}"),
            ("Mean distance from home (31 March)", f"{m['mean_distance_miles']:.1f} miles"),
            ("Placed > 20 miles / outside own LA", f"{m['share_over_20_miles']:.1%} / {m['share_out_of_la']:.1%}"),
            ("Placement moves per child-year", f"{m['moves_per_child_year']:.2f}"),
            ("Children with 3+ placements in the year", f"{m['share_3plus_placements']:.1%}"),
            ("Long-term placement stability (DfE)", f"{m['share_long_term_stable']:.1%}"),
            ("New placements emergency/unregistered", f"{m['share_emergency_placements']:.1%}"),
            ("Children's homes / fostering households (end)", f"{m['children_homes_end']:,} / {m['foster_households_end']:,}"),
            ("Homes opened / closed", f"{m['homes_opened']:,} / {m['homes_closed']:,}"),
            ("Carers approved / left", f"{m['carers_approved']:,} / {m['carers_left']:,}"),
        ]
        width = max(len(r[0]) for r in rows)
        head = (
            f"rccsim run: region {p['region']}, scenario {p['scenario']}, seed {p['seed']}, "
            f"{p['years']} years from {p['start_date']}\n"
        )
        lines = [head, *(f"  {a:<{width}}  {b}" for a, b in rows)]
        lines += [f"\n  warning: {w}" for w in p.get("warnings", [])]
        lines.append(f"\n  parameters {p['parameter_hash']}, {p['code_version']}")
        lines.append("  (shares and distances as DfE defines them; flows and rates are yearly averages)")
        return "\n".join(lines)
