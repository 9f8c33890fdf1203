# Per-study summary and exports (xenoflow.stages.run_summary), and the cross-study summary.
rule study_summary:
    input:
        unpack(study_tables),
        study=study_file,
    output:
        **stage_outputs("summary"),
    log:
        "logs/{study}/study_summary.log",
    conda:
        "../envs/xenoflow.yaml"
    params:
        analysis=ANALYSIS,
    script:
        "../scripts/study_summary.py"


# The study's self-contained report.html (xenoflow.stages.run_report).
rule study_report:
    input:
        unpack(study_tables),
        unpack(study_figures),
        study=study_file,
        data=study_data,
        recorded=survival_inputs,
    output:
        **stage_outputs("report"),
    log:
        "logs/{study}/study_report.log",
    conda:
        "../envs/xenoflow.yaml"
    params:
        analysis=ANALYSIS,
    script:
        "../scripts/study_report.py"


rule cross_study_summary:
    input:
        studies=[str(s.path) for s in STUDIES.values()],
        data=[
            str(p)
            for s in _ALL.values()
            for p in (s.data, s.survival_data, s.body_weight_data)
            if p
        ],
        tables=[p for s in STUDIES for p in study_table_paths(s).values()],
        reports=[f"{study_dir(s)}/report.html" for s in STUDIES],
        panels=[str(s.path) for s in PANELS.values()],
        panel_summaries=[f"{RESULTS}/{p}/tables/panel_summary.tsv" for p in PANELS],
        panel_qc=[f"{RESULTS}/{p}/tables/panel_qc.tsv" for p in PANELS],
        # once a failed run has written the run outputs, the next run redoes them
        partial_run=batch.partial_run_mark(RESULTS),
    output:
        **stage_outputs("cross_study_summary"),
    log:
        "logs/cross_study_summary.log",
    conda:
        "../envs/xenoflow.yaml"
    params:
        config=XF_CONFIG,
    script:
        "../scripts/cross_study_summary.py"
