# The run's summary, forest plot, provenance and index.html, from every study's tables.
rule cross_study_summary:
    input:
        studies=[local(s.path) for s in STUDIES.values()],
        data=[
            local(p)
            for s in _ALL.values()
            for p in (s.data, s.survival_data, s.body_weight_data)
            if p
        ],
        tables=[p for s in STUDIES for p in study_table_paths(s).values()],
        panels=[local(s.path) for s in PANELS.values()],
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
