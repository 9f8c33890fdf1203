# The stages every study has, in one job (xenoflow.pipeline.STAGES, job "study"): ingest,
# growth, survival, efficacy, tolerability, chained in memory; their tables and figures. A
# failure removes the study's whole results folder.
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
    conda:
        "../envs/xenoflow.yaml"
    params:
        analysis=ANALYSIS,
        code=CODE_VERSION,
        study_dir=lambda wc: study_dir(wc.study),
    script:
        "../scripts/study_job.py"
