"""Workflow step: write a study's plan (computed from the configuration by rccsim/studies/plan.py) as JSON."""

import json

plan = snakemake.params.plan  # noqa: F821 (set by Snakemake's script directive)
with open(snakemake.output[0], "w") as fh:  # noqa: F821
    json.dump(plan, fh, indent=1)
with open(snakemake.log[0], "w") as fh:  # noqa: F821
    runs = sum(len(c) for c in plan["chunks"].values())
    fh.write(f"{plan['study']}: {runs} runs in {len(plan['chunks'])} chunks\n")
