# The runs: a plan per study, then one job per chunk of runs (several runs in one process).


rule plan:
    output:
        "results/studies/{study}/plan.json",
    priority: 100  # first, so that rccsim progress can count from the start
    params:
        plan=lambda wildcards: PLANS[wildcards.study],
    log:
        "results/logs/{study}/plan.log",
    conda:
        "../envs/rccsim.yaml"
    script:
        "../scripts/write_plan.py"


# A chunk's runs, in a file named by their hash: a chunk re-runs only when its own runs change
# (adding seeds or sweep points leaves finished chunks alone).
rule specs:
    output:
        "results/studies/{study}/specs/{chunk}-{digest}.json",
    params:
        runs=lambda wildcards: PLANS[wildcards.study]["chunks"][wildcards.chunk],
    log:
        "results/logs/{study}/specs/{chunk}-{digest}.log",
    conda:
        "../envs/rccsim.yaml"
    script:
        "../scripts/write_specs.py"


rule chunk:
    input:
        specs=chunk_specs,
    output:
        "results/studies/{study}/chunks/{chunk}.jsonl",
    params:
        rccsim=RCCSIM,
    log:
        "results/logs/{study}/chunks/{chunk}.log",
    threads: 1
    resources:
        mem_mb=1500,
        runtime=chunk_minutes,
    conda:
        "../envs/rccsim.yaml"
    shell:
        "{params.rccsim} batch --specs-file {input.specs} --chunk {wildcards.chunk} --out {output} 2> {log}"
