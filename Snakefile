# The experiment workflow. For now it runs the baseline scenario for one region over a few seeds and
# writes one JSON record per run under results/; sweeps, the results database and the report come
# with issue 5.
#
#     snakemake --cores 2
#     snakemake --cores 2 --config region=SE seeds=[1,2,3] years=5

configfile: "experiments/config.yaml"

REGION = config["region"]
SCENARIO = config["scenario"]
SEEDS = config["seeds"]
YEARS = config["years"]


rule all:
    input:
        expand("results/runs/{region}/{scenario}/seed{seed}.json", region=REGION, scenario=SCENARIO, seed=SEEDS),


rule run:
    output:
        "results/runs/{region}/{scenario}/seed{seed}.json",
    params:
        years=YEARS,
    log:
        "results/logs/{region}/{scenario}/seed{seed}.log",
    shell:
        "rccsim run --region {wildcards.region} --scenario {wildcards.scenario} "
        "--seed {wildcards.seed} --years {params.years} --json --out {output} > /dev/null 2> {log}"
