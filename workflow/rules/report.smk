# Per-study summary and exports, and the cross-study summary. Included last: it collects the
# tables every other rule file registered in STUDY_TARGETS.
STUDY_TARGETS.extend(["summary.md", "summary.html", "study.xlsx", "study.pzfx"])
GLOBAL_TARGETS.extend(
    [
        "summary.tsv",
        "exclusions_summary.tsv",
        "figures/forest.png",
        "figures/forest.svg",
        "provenance.json",
    ]
)


rule study_summary:
    input:
        study=study_file,
        tables=study_tables,
    output:
        md=f"{RESULTS}/{{study}}/summary.md",
        html=report(
            f"{RESULTS}/{{study}}/summary.html",
            caption="../report/summary.rst",
            category="{study}",
            subcategory="Summary",
        ),
        xlsx=f"{RESULTS}/{{study}}/study.xlsx",
        pzfx=f"{RESULTS}/{{study}}/study.pzfx",
    log:
        "logs/{study}/study_summary.log",
    conda:
        "../envs/xenoflow.yaml"
    params:
        analysis=ANALYSIS,
    script:
        "../scripts/study_summary.py"


rule cross_study_summary:
    input:
        studies=[str(s.path) for s in STUDIES.values()],
        data=[str(p) for s in _ALL.values() for p in (s.data, s.survival_data) if p],
        tables=[
            f"{study_dir(s)}/{t}"
            for s in STUDIES
            for t in STUDY_TARGETS
            if t.endswith(".tsv")
        ],
        panels=[str(s.path) for s in PANELS.values()],
        panel_summaries=[f"{RESULTS}/{p}/tables/panel_summary.tsv" for p in PANELS],
        panel_qc=[f"{RESULTS}/{p}/tables/panel_qc.tsv" for p in PANELS],
    output:
        table=report(
            f"{RESULTS}/summary.tsv",
            caption="../report/cross_study.rst",
            category="Across studies",
        ),
        forest=report(
            f"{RESULTS}/figures/forest.png",
            caption="../report/forest.rst",
            category="Across studies",
        ),
        forest_svg=f"{RESULTS}/figures/forest.svg",
        qc=report(
            f"{RESULTS}/exclusions_summary.tsv",
            caption="../report/exclusions_summary.rst",
            category="Across studies",
        ),
        provenance=f"{RESULTS}/provenance.json",
    log:
        "logs/cross_study_summary.log",
    conda:
        "../envs/xenoflow.yaml"
    params:
        config=XF_CONFIG,
        analysis=ANALYSIS,
    script:
        "../scripts/cross_study_summary.py"
