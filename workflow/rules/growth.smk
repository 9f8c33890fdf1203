# Per-mouse growth fits, mixed model and contrasts (xenoflow.stages.run_growth).
rule growth:
    input:
        study=study_file,
        measurements=study_table("measurements"),
    output:
        **stage_outputs("growth"),
    log:
        "logs/{study}/growth.log",
    conda:
        "../envs/xenoflow.yaml"
    params:
        analysis=ANALYSIS,
    script:
        "../scripts/growth.py"
