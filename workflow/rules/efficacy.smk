# Rules for the efficacy analysis (issue tracker: growth #3, efficacy #4, survival #5).
# Per arm and day: volumes, fold change, %T/C, %TGI, AUC with bootstrap CIs; growth delay and
# log cell kill (needs the control growth rate from the growth rule); per-mouse mRECIST.
STUDY_TARGETS.extend(
    [
        "tables/efficacy.tsv",
        "tables/efficacy_per_mouse.tsv",
        "tables/growth_delay.tsv",
        "tables/response.tsv",
        "tables/response_summary.tsv",
        "tables/exclusions_efficacy.tsv",
        "tables/exclusions_response.tsv",
        "figures/waterfall.png",
        "figures/waterfall.svg",
        "figures/fold_change.png",
        "figures/fold_change.svg",
    ]
)


rule efficacy:
    input:
        study=study_file,
        measurements=f"{RESULTS}/{{study}}/tables/measurements.tsv",
        # the growth rule's per-arm table (control doubling time for log cell kill); nothing
        # while no rule named growth exists, so this file never breaks the DAG on its own
        growth_model=lambda wc: (
            [f"{RESULTS}/{wc.study}/tables/growth_model.tsv"]
            if "growth" in {r.name for r in workflow.rules}
            else []
        ),
    output:
        efficacy=report(
            f"{RESULTS}/{{study}}/tables/efficacy.tsv",
            caption="../report/efficacy.rst",
            category="{study}",
            subcategory="Efficacy",
        ),
        mice=report(
            f"{RESULTS}/{{study}}/tables/efficacy_per_mouse.tsv",
            caption="../report/efficacy_per_mouse.rst",
            category="{study}",
            subcategory="Efficacy",
        ),
        growth_delay=report(
            f"{RESULTS}/{{study}}/tables/growth_delay.tsv",
            caption="../report/growth_delay.rst",
            category="{study}",
            subcategory="Efficacy",
        ),
        response=report(
            f"{RESULTS}/{{study}}/tables/response.tsv",
            caption="../report/response.rst",
            category="{study}",
            subcategory="Efficacy",
        ),
        response_summary=report(
            f"{RESULTS}/{{study}}/tables/response_summary.tsv",
            caption="../report/response_summary.rst",
            category="{study}",
            subcategory="Efficacy",
        ),
        exclusions=f"{RESULTS}/{{study}}/tables/exclusions_efficacy.tsv",
        exclusions_response=f"{RESULTS}/{{study}}/tables/exclusions_response.tsv",
        waterfall_png=report(
            f"{RESULTS}/{{study}}/figures/waterfall.png",
            caption="../report/waterfall.rst",
            category="{study}",
            subcategory="Efficacy",
        ),
        waterfall_svg=f"{RESULTS}/{{study}}/figures/waterfall.svg",
        fold_change_png=report(
            f"{RESULTS}/{{study}}/figures/fold_change.png",
            caption="../report/fold_change.rst",
            category="{study}",
            subcategory="Efficacy",
        ),
        fold_change_svg=f"{RESULTS}/{{study}}/figures/fold_change.svg",
    log:
        "logs/{study}/efficacy.log",
    conda:
        "../envs/xenoflow.yaml"
    params:
        analysis=ANALYSIS,
    script:
        "../scripts/efficacy.py"
