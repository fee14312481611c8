# Sweeps: Sobol indices (Sobol designs) and partial dependence of the headline metrics on each swept
# parameter, from the results database.


rule sensitivity:
    input:
        plan="results/studies/{study}/plan.json",
        loaded="results/studies/{study}/loaded.json",
    output:
        "results/studies/{study}/sensitivity/indices.csv",
    params:
        rccsim=RCCSIM,
        url=DB_URL,
        outdir=lambda wildcards: f"results/studies/{wildcards.study}/sensitivity",
    log:
        "results/logs/{study}/sensitivity.log",
    conda:
        "../envs/rccsim.yaml"
    shell:
        "{params.rccsim} sweep-analyse --url '{params.url}' --plan {input.plan} --out {params.outdir} > {log} 2>&1"
