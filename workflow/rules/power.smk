# Power and sample size of a next study with this study as the pilot (xenoflow.stages.run_power);
# only for study files with a `design:` block; with `combinations:` also the power of the
# synergy contrasts, from the synergy model (xenoflow.pipeline.STAGES).
rule power:
    input:
        unpack(job_inputs("power")),
        study=study_file,
    output:
        **job_outputs("power"),
    log:
        "logs/{study}/power.log",
    conda:
        "../envs/xenoflow.yaml"
    params:
        analysis=ANALYSIS,
        code=CODE_VERSION,
    script:
        "../scripts/study_job.py"
