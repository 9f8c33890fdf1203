STUDY_TARGETS.extend(
    ["tables/measurements.tsv", "tables/exclusions.tsv", "tables/warnings.tsv"]
)


rule ingest:
    input:
        study=study_file,
        data=study_data,
    output:
        measurements=report(
            f"{RESULTS}/{{study}}/tables/measurements.tsv",
            caption="../report/measurements.rst",
            category="{study}",
            subcategory="Data",
        ),
        exclusions=report(
            f"{RESULTS}/{{study}}/tables/exclusions.tsv",
            caption="../report/exclusions.rst",
            category="{study}",
            subcategory="Data",
        ),
        warnings=report(
            f"{RESULTS}/{{study}}/tables/warnings.tsv",
            caption="../report/warnings.rst",
            category="{study}",
            subcategory="Data",
        ),
    log:
        "logs/{study}/ingest.log",
    conda:
        "../envs/xenoflow.yaml"
    params:
        analysis=ANALYSIS,
        study_dir=lambda wc: study_dir(wc.study),
    script:
        "../scripts/ingest.py"
