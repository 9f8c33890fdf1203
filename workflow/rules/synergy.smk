# Drug-combination synergy (SynergyLMM's exponential mixed model; xenoflow.stages.run_synergy);
# only for study files with `combinations:` (common.smk: study_stages).
rule synergy:
    input:
        study=study_file,
        measurements=study_table("measurements"),
    output:
        **stage_outputs("synergy"),
    log:
        "logs/{study}/synergy.log",
    conda:
        "../envs/xenoflow.yaml"
    params:
        analysis=ANALYSIS,
    script:
        "../scripts/synergy.py"
