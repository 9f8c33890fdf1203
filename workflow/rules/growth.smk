# Per-mouse growth fits, mixed model and contrasts (xenoflow.stages.run_growth).
rule growth:
    input:
        study=study_file,
        measurements=study_table("measurements"),
    output:
        **stage_outputs("growth"),
    params:
        analysis=ANALYSIS,
    log:
        "logs/{study}/growth.log",
    conda:
        "../envs/xenoflow.yaml"
    script:
        "../scripts/growth.py"
