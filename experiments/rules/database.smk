# The results database: one loader per study writes the study's chunk files into it. Loaders take
# an exclusive lock on an SQLite file, and a run already stored is never stored twice
# (rccsim/io/store.py), so an interrupted workflow resumes without losing or duplicating runs.


rule load:
    input:
        chunk_files,
    output:
        "results/studies/{study}/loaded.json",
    params:
        rccsim=RCCSIM,
        url=DB_URL,
    log:
        "results/logs/{study}/load.log",
    resources:
        database=1,
    conda:
        "../envs/rccsim.yaml"
    shell:
        "{params.rccsim} db load --url '{params.url}' --out {output} {input} 2> {log}"
