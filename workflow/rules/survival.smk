# Rules for the survival analysis (issue tracker: growth #3, efficacy #4, survival #5).
# Registered for every study: a study without endpoint_volume_mm3 and without survival_data gets
# header-only tables, a note row in survival_overall.tsv and a KM figure saying so.
STUDY_TARGETS.extend(
    [
        "tables/survival_per_mouse.tsv",
        "tables/survival.tsv",
        "tables/survival_tests.tsv",
        "tables/survival_overall.tsv",
        "tables/exclusions_survival.tsv",
        "figures/km.png",
        "figures/km.svg",
    ]
)


rule survival:
    input:
        study=study_file,
        measurements=f"{RESULTS}/{{study}}/tables/measurements.tsv",
        recorded=survival_inputs,
    output:
        per_mouse=report(
            f"{RESULTS}/{{study}}/tables/survival_per_mouse.tsv",
            caption="../report/survival_per_mouse.rst",
            category="{study}",
            subcategory="Survival",
        ),
        per_arm=report(
            f"{RESULTS}/{{study}}/tables/survival.tsv",
            caption="../report/survival.rst",
            category="{study}",
            subcategory="Survival",
        ),
        tests=report(
            f"{RESULTS}/{{study}}/tables/survival_tests.tsv",
            caption="../report/survival_tests.rst",
            category="{study}",
            subcategory="Survival",
        ),
        overall=report(
            f"{RESULTS}/{{study}}/tables/survival_overall.tsv",
            caption="../report/survival_overall.rst",
            category="{study}",
            subcategory="Survival",
        ),
        exclusions=report(
            f"{RESULTS}/{{study}}/tables/exclusions_survival.tsv",
            caption="../report/survival_exclusions.rst",
            category="{study}",
            subcategory="Survival",
        ),
        km_png=report(
            f"{RESULTS}/{{study}}/figures/km.png",
            caption="../report/km.rst",
            category="{study}",
            subcategory="Survival",
        ),
        km_svg=f"{RESULTS}/{{study}}/figures/km.svg",
    log:
        "logs/{study}/survival.log",
    conda:
        "../envs/xenoflow.yaml"
    params:
        analysis=ANALYSIS,
    script:
        "../scripts/survival.py"
