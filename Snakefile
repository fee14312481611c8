# The experiment workflow: scenario comparisons and parameter sweeps, run in chunks, stored in a
# results database, and turned into a board-ready report.
#
#     snakemake --cores 2                                   # results/report.html (GM, all scenarios)
#     snakemake --cores 2 --configfile experiments/sweeps/gm_sobol.yaml
#     snakemake --executor slurm --workflow-profile experiments/profiles/slurm
#
# Configuration: experiments/config.yaml (defaults), checked against
# experiments/schemas/config.schema.yaml. Rules: experiments/rules/.

import sys

from snakemake.utils import min_version, validate

from rccsim.studies.plan import check_config

min_version("8.0")


configfile: "experiments/config.yaml"


check_config(config, workflow.source_path("experiments/schemas/config.schema.yaml"))
validate(config, "experiments/schemas/config.schema.yaml")  # fills in the schema's defaults


include: "experiments/rules/common.smk"
include: "experiments/rules/runs.smk"
include: "experiments/rules/database.smk"
include: "experiments/rules/report.smk"
include: "experiments/rules/sweeps.smk"


localrules:
    all,
    plan,
    specs,
    main_report,


onerror:
    # after Ctrl-C or a failed job: one line of what to do (each job's own error is in its log)
    print("rccsim workflow: stopped before the end; finished runs are kept, and the same command "
          "finishes the rest (after a hard kill, add --unlock once first)", file=sys.stderr)


rule all:
    input:
        main_targets(),
    default_target: True
