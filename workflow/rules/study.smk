# The stages every study has, in one job (xenoflow.pipeline.STAGES, job "study"): ingest,
# growth, survival, efficacy, tolerability, chained in memory; their tables and figures. A
# failure removes the study's whole results folder. For a study with synergy or power (their
# rules run after this one, then study_report).
rule study:
    input:
        study=study_file,
        data=study_data,
        weights=body_weight_inputs,
        recorded=survival_inputs,
    output:
        **job_outputs("study"),
    log:
        "logs/{study}/study.log",
    wildcard_constraints:
        study=SEVERAL_JOBS,
    conda:
        "../envs/xenoflow.yaml"
    threads: study_threads()
    params:
        analysis=ANALYSIS,
        code=CODE_VERSION,
        study_dir=lambda wc: study_dir(wc.study),
    script:
        "../scripts/study_job.py"


# A study with neither synergy nor power: the study job and its documents (study_report) in
# one job (xenoflow.pipeline.ONE_JOB): one Python start-up, no read-back of its tables.
rule study_with_report:
    input:
        study=study_file,
        data=study_data,
        weights=body_weight_inputs,
        recorded=survival_inputs,
    output:
        **job_outputs("study"),
        **job_outputs("study_report"),
    log:
        "logs/{study}/study.log",
    wildcard_constraints:
        study=ONE_JOB,
    conda:
        "../envs/xenoflow.yaml"
    threads: study_threads()
    params:
        analysis=ANALYSIS,
        code=CODE_VERSION,
        study_dir=lambda wc: study_dir(wc.study),
    script:
        "../scripts/study_job.py"
