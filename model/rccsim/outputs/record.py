"""A run's result: metrics, metrics by year, and provenance.

The JSON form is deterministic: the same seed, scenario, parameters and code give byte-identical
output (no timestamps or timings inside it). It carries no child-level data: only aggregates.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

from rccsim.base.version import code_version
from rccsim.outputs import metrics as metrics_mod


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
        prov = {
            "seed": model.seed,
            "scenario": model.scenario.name,
            "scenario_hash": model.scenario.digest(),
            "region": model.region.label,
            "la_codes": [str(c) for c in model.geo.las.la_code.to_numpy()[model.region.reported]],
            "start_year": model.start_year,
            "start_date": model.start_date.isoformat(),
            "years": model.years,
            "parameter_hash": model.p.digest(),
            "code_version": code_version(),
        }
        if model.region.focus is not None:  # e.g. "GM in england": every LA simulated, these reported
            prov["las_simulated"] = len(model.region.la_index)
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
            ("Spend, whole run (placements and levers)", f"£{m['cost_total_gbp'] / 1e6:,.1f}m"),
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
            f"{p['years']} year{'s' if p['years'] != 1 else ''} from {p['start_date']}\n"
        )
        lines = [head, *(f"  {a:<{width}}  {b}" for a, b in rows)]
        lines += [f"\n  warning: {w}" for w in p.get("warnings", [])]
        lines.append(f"\n  scenario {p['scenario_hash']}, parameters {p['parameter_hash']}, {p['code_version']}")
        lines.append("  (shares and distances as DfE defines them; flows and rates are yearly averages)")
        return "\n".join(lines)
