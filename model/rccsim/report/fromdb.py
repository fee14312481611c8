"""A workflow's comparison read back from the results database, as a study held in memory (the
dashboard opens it; ``rccsim report --pdf`` writes it)."""

from __future__ import annotations

import pandas as pd

from rccsim.report.board import read_comparison
from rccsim.sim.scenario import load_scenario
from rccsim.studies.batch import read_plan
from rccsim.studies.compare import explain, explain_drawn
from rccsim.studies.study import LA_METRICS, SERIES, StudyRequest, StudyResult


def study_from_database(url: str, plan_path: str) -> StudyResult:
    """A workflow's comparison, read from the results database, as the dashboard shows its own."""
    plan = read_plan(plan_path)
    run_df, met, la, records, summary, acting = read_comparison(url, plan)
    names = plan["scenarios"]
    explanations = {s: explain(records, s, summary) for s in names}
    for s in names:
        if acting and s != "baseline":  # how the option's results move across the drawn assumptions
            explanations[s].append(explain_drawn(summary, s, len(acting[s]), len(plan["seeds"])))
    scen_of = run_df.set_index("run_id")
    yearly = met[(met.year > 0) & met.name.isin(SERIES)]
    series = pd.DataFrame({"scenario": yearly.run_id.map(scen_of.scenario), "seed": yearly.run_id.map(scen_of.seed),
                           "year": yearly.year, "metric": yearly.name, "value": yearly.value})
    lam = la[la.name.isin(LA_METRICS)]
    by_la = pd.DataFrame({"scenario": lam.run_id.map(scen_of.scenario), "seed": lam.run_id.map(scen_of.seed),
                          "la_code": lam.la_code, "metric": lam.name, "value": lam.value})
    files = {}
    for chunk in plan["chunks"].values():
        for spec in chunk:
            files.setdefault(spec["scenario"], spec.get("scenario_file") or spec["scenario"])
    scen = [load_scenario(files[s]) for s in names]
    req = StudyRequest(region=plan["region"], scenarios=scen, seeds=plan["seeds"], years=plan["years"],
                       start_year=plan["start_year"])
    meta = {"region": plan["region"], "years": plan["years"], "start_year": plan["start_year"], "seeds": plan["seeds"],
            "scenarios": names, "code_version": ", ".join(sorted(run_df.code_version.unique())), "study": plan["study"],
            "scenario_hashes": run_df.groupby("scenario").scenario_hash.first().to_dict(),
            "parameter_hashes": run_df.groupby("scenario").parameter_hash.first().to_dict(),
            "finished": str(run_df.finished_at.max()), "from_ssda903": False}
    return StudyResult(req, summary, explanations, series, by_la, records, meta)
