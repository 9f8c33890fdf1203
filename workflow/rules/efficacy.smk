# Per arm and day: volumes, fold change, %T/C, %TGI, AUC with bootstrap CIs; growth delay and
# log cell kill (control growth rate from the growth rule); per-mouse mRECIST
# (xenoflow.stages.run_efficacy).
rule efficacy:
    input:
        study=study_file,
        measurements=study_table("measurements"),
        growth_model=study_table("growth_model"),
        survival_per_mouse=study_table("survival_per_mouse"),
    output:
        **stage_outputs("efficacy"),
    log:
        "logs/{study}/efficacy.log",
    conda:
        "../envs/xenoflow.yaml"
    params:
        analysis=ANALYSIS,
    script:
        "../scripts/efficacy.py"
