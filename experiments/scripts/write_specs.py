"""Workflow step: write a chunk's runs to the file rccsim batch reads (--specs-file)."""

from rccsim.studies.batch import specs_digest, write_specs_file

runs = snakemake.params.runs  # noqa: F821 (set by Snakemake's script directive)
if specs_digest(runs) != snakemake.wildcards.digest:  # noqa: F821
    raise SystemExit("the plan changed while the workflow ran: run the same command again")
write_specs_file(runs, snakemake.output[0])  # noqa: F821
with open(snakemake.log[0], "w") as fh:  # noqa: F821
    fh.write(f"{snakemake.wildcards.chunk}: {len(runs)} runs\n")  # noqa: F821
