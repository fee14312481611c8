# The runs: a plan per study, then one job per chunk of runs (several runs in one process).


rule plan:
    output:
        "results/studies/{study}/plan.json",
    params:
        plan=lambda wildcards: PLANS[wildcards.study],
    log:
        "results/logs/{study}/plan.log",
    conda:
        "../envs/rccsim.yaml"
    script:
        "../scripts/write_plan.py"


rule chunk:
    input:
        "results/studies/{study}/plan.json",
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
        "{params.rccsim} batch {input} --chunk {wildcards.chunk} --out {output} 2> {log}"
