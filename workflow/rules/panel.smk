# Panels (study files with `split_by`): many models in one file, each model one analysis unit
# with a study's outputs in {RESULTS}/<study_id>.<model>/. Models are analysed in a fixed
# number of chunk jobs (xenoflow.panel), then combined into cross-model tables and figures.


# One rule per chunk: a chunk's outputs are the files of its models, known only per panel.
for _panel, _chunks in PANEL_CHUNKS.items():
    for _i, _units in enumerate(_chunks):

        rule:
            name:
                re.sub(r"\W", "_", f"panel_chunk_{_panel}_{_i}")
            input:
                study=local(PANELS[_panel].path),
                data=local(PANELS[_panel].data),
                recorded=(
                    [local(PANELS[_panel].survival_data)]
                    if PANELS[_panel].survival_data
                    else []
                ),
            output:
                **{t: chunk_table(_panel, _i, t) for t in CHUNK_TABLES},
                units=unit_targets(_panel, _units),
            log:
                f"logs/{_panel}/chunk_{_i}.log",
            # largest chunks first, so two cores finish together (longest-processing-time order)
            priority: len(_units)
            conda:
                "../envs/xenoflow.yaml"
            params:
                analysis=ANALYSIS,
                panel=_panel,
                units=_units,
                figures=panel_figures(_panel),
            script:
                "../scripts/panel_chunk.py"


rule panel_summary:
    input:
        study=lambda wc: local(PANELS[wc.panel].path),
        chunks=panel_chunk_tables,
    output:
        **stage_outputs("panel_summary"),
    log:
        "logs/{panel}/panel_summary.log",
    conda:
        "../envs/xenoflow.yaml"
    params:
        analysis=ANALYSIS,
    script:
        "../scripts/panel_summary.py"


# Figures from the chunks' per-curve rows (xenoflow.panel.figure_tables): they draw while the
# tables and then the cross-study summary are written.
rule panel_figures:
    input:
        study=lambda wc: local(PANELS[wc.panel].path),
        curves=panel_chunk_curves,
    output:
        **stage_outputs("panel_figures"),
    log:
        "logs/{panel}/panel_figures.log",
    conda:
        "../envs/xenoflow.yaml"
    params:
        analysis=ANALYSIS,
    script:
        "../scripts/panel_figures.py"
