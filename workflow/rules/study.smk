# A study is one job (xenoflow.pipeline.STUDY_RULES): its stages chained in memory, their
# tables and figures, then its summary, workbook, Prism file and report.html. A rule's
# outputs are fixed, so there is a rule per kind of study, named by the optional parts that
# apply to it (study, study_synergy, study_power, study_synergy_power) and restricted to those
# studies by its wildcard constraint. The job first removes what else is in the study's
# results folder (left by an earlier kind of the study); a failure removes the whole folder.
for _rule in pipeline.STUDY_RULES:

    rule:
        name:
            _rule
        input:
            study=study_file,
            data=study_data,
            weights=body_weight_inputs,
            recorded=survival_inputs,
        output:
            **rule_outputs(_rule),
        log:
            "logs/{study}/study.log",
        wildcard_constraints:
            study=rule_studies(_rule),
        conda:
            "../envs/xenoflow.yaml"
        threads: study_threads()
        params:
            analysis=ANALYSIS,
            code=CODE_VERSION,
            study_dir=lambda wc: study_dir(wc.study),
        script:
            "../scripts/study_job.py"
