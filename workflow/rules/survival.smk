# Survival endpoints, Kaplan-Meier tables and tests (xenoflow.stages.run_survival). A study
# without endpoint_volume_mm3 and without survival_data gets header-only tables, a note row in
# survival_overall.tsv and a KM figure saying so.
rule survival:
    input:
        study=study_file,
        measurements=study_table("measurements"),
        recorded=survival_inputs,
    output:
        **stage_outputs("survival"),
    log:
        "logs/{study}/survival.log",
    conda:
        "../envs/xenoflow.yaml"
    params:
        analysis=ANALYSIS,
    script:
        "../scripts/survival.py"
