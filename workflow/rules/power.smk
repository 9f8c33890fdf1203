# Power and sample size of a next study with this study as the pilot (xenoflow.stages.run_power);
# only for study files with a `design:` block (common.smk: study_stages); with `combinations:`
# also the power of the synergy contrasts (from the synergy model).
rule power:
    input:
        unpack(synergy_inputs),
        study=study_file,
        measurements=study_table("measurements"),
        efficacy=study_table("efficacy"),
        growth_model=study_table("growth_model"),
        growth_model_fits=study_table("growth_model_fits"),
        survival=study_table("survival"),
    output:
        **stage_outputs("power"),
    log:
        "logs/{study}/power.log",
    conda:
        "../envs/xenoflow.yaml"
    params:
        analysis=ANALYSIS,
    script:
        "../scripts/power.py"
