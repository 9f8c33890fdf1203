# Panels (study files with `split_by`): many models in one file, each model one analysis unit
# with a study's outputs in {RESULTS}/<study_id>.<model>/. Models are analysed in a fixed
# number of chunk jobs (xenoflow.panel), then combined into cross-model tables and figures.
PANEL_TARGETS.extend(
    [
        "tables/panel_curves.tsv",
        "tables/panel_summary.tsv",
        "tables/panel_qc.tsv",
        "tables/mrecist_matrix.tsv",
        "tables/response_rates.tsv",
        "tables/time_to_double.tsv",
        "figures/mrecist_heatmap.png",
        "figures/mrecist_heatmap.svg",
        "figures/time_to_double.png",
        "figures/time_to_double.svg",
    ]
)


# One rule per chunk: a chunk's outputs are the files of its models, known only per panel.
for _panel, _chunks in PANEL_CHUNKS.items():
    for _i, _units in enumerate(_chunks):

        rule:
            name:
                re.sub(r"\W", "_", f"panel_chunk_{_panel}_{_i}")
            input:
                study=str(PANELS[_panel].path),
                data=str(PANELS[_panel].data),
                recorded=(
                    [str(PANELS[_panel].survival_data)]
                    if PANELS[_panel].survival_data
                    else []
                ),
            output:
                **{t: chunk_table(_panel, _i, t) for t in PANEL_TABLES},
                units=unit_targets(_panel, _units),
            log:
                f"logs/{_panel}/chunk_{_i}.log",
            # largest chunks first, so two cores finish together (longest-processing-time order)
            priority: len(_units)
            conda:
                "../envs/xenoflow.yaml"
            params:
                analysis=ANALYSIS,
                units=_units,
                figures=panel_figures(_panel),
            script:
                "../scripts/panel_chunk.py"


rule panel_summary:
    input:
        study=lambda wc: str(PANELS[wc.panel].path),
        chunks=panel_chunk_tables,
    output:
        curves=report(
            f"{RESULTS}/{{panel}}/tables/panel_curves.tsv",
            caption="../report/panel_curves.rst",
            category="{panel}",
            subcategory="Panel",
        ),
        summary=f"{RESULTS}/{{panel}}/tables/panel_summary.tsv",
        qc=f"{RESULTS}/{{panel}}/tables/panel_qc.tsv",
        mrecist_matrix=report(
            f"{RESULTS}/{{panel}}/tables/mrecist_matrix.tsv",
            caption="../report/mrecist_matrix.rst",
            category="{panel}",
            subcategory="Panel",
        ),
        response_rates=report(
            f"{RESULTS}/{{panel}}/tables/response_rates.tsv",
            caption="../report/response_rates.rst",
            category="{panel}",
            subcategory="Panel",
        ),
        time_to_double=report(
            f"{RESULTS}/{{panel}}/tables/time_to_double.tsv",
            caption="../report/time_to_double.rst",
            category="{panel}",
            subcategory="Panel",
        ),
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
        study=lambda wc: str(PANELS[wc.panel].path),
        curves=panel_chunk_curves,
    output:
        heatmap_png=report(
            f"{RESULTS}/{{panel}}/figures/mrecist_heatmap.png",
            caption="../report/mrecist_heatmap.rst",
            category="{panel}",
            subcategory="Panel",
        ),
        heatmap_svg=f"{RESULTS}/{{panel}}/figures/mrecist_heatmap.svg",
        ttd_png=report(
            f"{RESULTS}/{{panel}}/figures/time_to_double.png",
            caption="../report/time_to_double_km.rst",
            category="{panel}",
            subcategory="Panel",
        ),
        ttd_svg=f"{RESULTS}/{{panel}}/figures/time_to_double.svg",
    log:
        "logs/{panel}/panel_figures.log",
    conda:
        "../envs/xenoflow.yaml"
    params:
        analysis=ANALYSIS,
    script:
        "../scripts/panel_figures.py"
