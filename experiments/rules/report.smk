# The report of a comparison: one self-contained HTML file (figures embedded, printable) and the
# board-paper PDF (A4), built from the results database.


rule report:
    input:
        plan="results/studies/{study}/plan.json",
        loaded="results/studies/{study}/loaded.json",
    output:
        html="results/studies/{study}/report.html",
        pdf="results/studies/{study}/report.pdf",
    params:
        rccsim=RCCSIM,
        url=DB_URL,
    log:
        "results/logs/{study}/report.log",
    conda:
        "../envs/rccsim.yaml"
    shell:
        "{params.rccsim} report --url '{params.url}' --plan {input.plan} --out {output.html} --pdf {output.pdf} > {log} 2>&1"


rule main_report:
    input:
        lambda wildcards: f"results/studies/{next(n for n, p in PLANS.items() if p['kind'] == 'compare')}/report.html",
    output:
        config["report"],
    log:
        "results/logs/main_report.log",
    conda:
        "../envs/rccsim.yaml"
    shell:
        "cp {input} {output} 2> {log}"
