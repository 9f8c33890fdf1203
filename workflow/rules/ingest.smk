# Read and validate one study's measurements (xenoflow.stages.run_ingest).
rule ingest:
    input:
        study=study_file,
        data=study_data,
        weights=body_weight_inputs,
    output:
        **stage_outputs("ingest"),
    log:
        "logs/{study}/ingest.log",
    conda:
        "../envs/xenoflow.yaml"
    params:
        analysis=ANALYSIS,
        study_dir=lambda wc: study_dir(wc.study),
    script:
        "../scripts/ingest.py"
