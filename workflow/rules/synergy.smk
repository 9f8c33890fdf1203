# Drug-combination synergy (SynergyLMM's exponential mixed model; xenoflow.stages.run_synergy);
# only for study files with `combinations:` (xenoflow.pipeline.STAGES).
rule synergy:
    input:
        unpack(job_inputs("synergy")),
        study=study_file,
    output:
        **job_outputs("synergy"),
    log:
        "logs/{study}/synergy.log",
    conda:
        "../envs/xenoflow.yaml"
    params:
        analysis=ANALYSIS,
        code=CODE_VERSION,
    script:
        "../scripts/study_job.py"
