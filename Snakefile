# xenoflow: preclinical xenograft analysis. All science lives in the `xenoflow` package
# (src/xenoflow); rules only wire files to package calls. See README.md and config/README.md.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/study.smk"
include: "workflow/rules/panel.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        all_targets(),


onstart:
    on_start()


onsuccess:
    print_qc_summary()
    release_scheduler_timers()


onerror:
    finish_failed_run()
