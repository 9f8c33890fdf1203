# Body-weight tolerability, toxic deaths, regimens of each agent and their comparison
# (xenoflow.stages.run_tolerability).
rule tolerability:
    input:
        study=study_file,
        measurements=study_table("measurements"),
        exclusions=study_table("exclusions"),
        survival_per_mouse=study_table("survival_per_mouse"),
        survival_tests=study_table("survival_tests"),
        event_free_survival_tests=study_table("event_free_survival_tests"),
        growth_contrasts=study_table("growth_contrasts"),
        growth_per_mouse=study_table("growth_per_mouse"),
        efficacy=study_table("efficacy"),
    output:
        **stage_outputs("tolerability"),
    log:
        "logs/{study}/tolerability.log",
    conda:
        "../envs/xenoflow.yaml"
    params:
        analysis=ANALYSIS,
    script:
        "../scripts/tolerability.py"
