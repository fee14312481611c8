# Sweeps: Sobol indices (Sobol designs) and partial dependence of the headline metrics on each swept
# parameter, from the results database.


rule sensitivity:
    input:
        plan="results/studies/{study}/plan.json",
        loaded="results/studies/{study}/loaded.json",
    output:
        "results/studies/{study}/sensitivity/indices.csv",
    params:
        url=DB_URL,
        outdir=lambda wildcards: f"results/studies/{wildcards.study}/sensitivity",
    log:
        "results/logs/{study}/sensitivity.log",
    conda:
        "../envs/rccsim.yaml"
    shell:
        "rccsim sweep-analyse --url '{params.url}' --plan {input.plan} --out {params.outdir} 2> {log}"
