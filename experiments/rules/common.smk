# Plans and paths shared by the rules. A plan is a pure function of the configuration
# (rccsim/studies/plan.py), so the DAG, the batch jobs and the report agree on every run and chunk.

import sys

from rccsim.base.errors import InputError
from rccsim.studies.plan import check_paths, studies
from rccsim.io.store import check_url

try:
    PLANS = studies(config)
    check_paths(config)
    # the results database, before the first job (not after every run, at the load job): a folder
    # that does not exist, a server that does not answer, a driver not installed. Jobs that a cluster
    # executor runs re-read this file; only the main process checks (compute nodes need no database).
    if getattr(workflow, "is_main_process", True):
        check_url(config["database"])
except InputError as exc:
    raise WorkflowError(f"experiments configuration: {exc}") from None

# the jobs run rccsim with the Python that runs the workflow (an activated venv is not needed)
RCCSIM = f'"{sys.executable}" -m rccsim'

DB_URL = config["database"]


def chunk_files(wildcards):
    plan = PLANS[wildcards.study]
    return [f"results/studies/{wildcards.study}/chunks/{c}.jsonl" for c in plan["chunks"]]


def chunk_specs(wildcards):
    """The file of the chunk's runs that rccsim batch reads (--specs-file): a short command line, so
    that an interrupted job's error lines do not dump the runs. Its name holds the runs' hash, so a
    chunk whose runs change needs a new file and re-runs; the rule specs writes it."""
    from rccsim.studies.batch import specs_digest

    digest = specs_digest(PLANS[wildcards.study]["chunks"][wildcards.chunk])
    return f"results/studies/{wildcards.study}/specs/{wildcards.chunk}-{digest}.json"


def chunk_minutes(wildcards):
    """Expected minutes of a chunk job: runs x years x a region's seconds per run-year."""
    plan = PLANS[wildcards.study]
    runs = len(plan["chunks"][wildcards.chunk])
    per_year = 3.0 if plan["region"].lower() == "england" else 1.0
    return max(5, int(2 * runs * plan["years"] * per_year / 60) + 5)


def main_targets():
    targets = []
    comparisons = [n for n, p in PLANS.items() if p["kind"] == "compare"]
    if comparisons:
        targets.append(config["report"])
    targets += [f"results/studies/{n}/report.html" for n in comparisons]
    targets += [f"results/studies/{n}/sensitivity/indices.csv" for n, p in PLANS.items() if p["kind"] == "sweep"]
    return targets
