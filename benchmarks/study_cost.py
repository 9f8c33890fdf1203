"""Where a study job's CPU goes, study by study (issue 31: the floor under the run targets).

A study's Snakemake job (:func:`xenoflow.workflow.run_job`) imports the package, chains the
study's stages, draws and saves its figures, and writes its documents. This script does the
same in one process, in memory, for each study of a configuration, and prints the CPU seconds
(``time.process_time``, one BLAS thread) of:

- each table stage (ingest, growth, survival, efficacy, tolerability, synergy, power);
- the figures: building them (``figures.draw``), measuring the tight box once and placing a
  synthetic study's mark in that layout (``plots.style.tight_bbox``), and saving them as PNG
  and as SVG;
- the documents: summary, workbook and Prism file (``stages.run_summary``) and report.html
  (``stages.run_report``).

The imports a job pays first (pandas, SciPy, statsmodels, matplotlib, seaborn, openpyxl,
Jinja2) are measured by ``parse_and_import.py``. The sum over the studies, plus one import
per job and the cross-study job, is the CPU a run needs whatever the scheduling: the floor
under its wall time on a machine with N cores is that sum over N.

Run from the repository root (the first study also pays the lazy imports of the fits):
``.venv/bin/python benchmarks/study_cost.py [--config config/config.yaml] [--studies ID ...]``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from xenoflow.config import Study

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parents[1]
STAGE_COLUMNS = ("ingest", "growth", "survival", "efficacy", "tolerability", "synergy", "power")
FIGURE_COLUMNS = ("build", "tight", "png", "svg")


def study_cost(study: Study, folder: Path) -> dict[str, float]:
    """CPU seconds of one study's job, by part (module docstring)."""
    import matplotlib.pyplot as plt

    from xenoflow import figures, ingest, io, pipeline, provenance, stages, survival
    from xenoflow.plots.style import tight_bbox

    cost = dict.fromkeys((*STAGE_COLUMNS, *FIGURE_COLUMNS, "documents"), 0.0)
    names = [s.name for s in pipeline.study_stages(study) if s.name in pipeline.TABLE_STAGES]
    recorded = survival.read_survival_file(study.survival_data) if study.survival_data else None
    started: dict[str, float] = {}
    outputs: dict[str, Any] = {}

    def done(name: str, out: Any) -> None:
        cost[name] += time.process_time() - started[name]
        outputs[name] = out

    encoded: dict[str, io.Encoded] = {}
    stages.chain(
        study,
        names,
        stages.Inputs(source=ingest.read_source(study), recorded=recorded),
        encoded=encoded,
        on_stage=lambda name: started.__setitem__(name, time.process_time()),
        on_done=done,
    )
    drawn: dict[str, bytes] = {}
    for name, out in outputs.items():
        if not pipeline.stage(name).figures:
            continue
        start = time.process_time()
        built = figures.draw(study, name, out)
        cost["build"] += time.process_time() - start
        for figure_name, fig in built.items():
            stem = folder / figure_name
            start = time.process_time()
            bbox = tight_bbox(fig, mark=figures.mark_synthetic if study.synthetic else None)
            cost["tight"] += time.process_time() - start
            for fmt in ("png", "svg"):
                start = time.process_time()
                fig.savefig(stem.with_suffix(f".{fmt}"), format=fmt, bbox_inches=bbox)
                cost[fmt] += time.process_time() - start
            plt.close(fig)
            drawn[figure_name] = stem.with_suffix(".png").read_bytes()
    start = time.process_time()
    tables = io.Decoded(encoded)
    stages.run_summary(study, tables)
    record = provenance.StudyProvenance(
        versions=provenance.versions(), inputs=provenance.study_inputs(study, Path.cwd())
    )
    stages.run_report(study, tables, drawn, record)
    cost["documents"] = time.process_time() - start
    return cost


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=ROOT / "config" / "config.yaml")
    parser.add_argument("--studies", nargs="*", help="study ids (default: all of the config)")
    args = parser.parse_args()
    import yaml

    from xenoflow.config import load_studies, resolve_config

    path = args.config.resolve()
    os.chdir(path.parents[1])  # study and data paths are relative to the project folder
    config = resolve_config(yaml.safe_load(path.read_text(encoding="utf-8")), path)
    studies = [
        s for s in load_studies(config).values() if not args.studies or s.study_id in args.studies
    ]
    columns = (*STAGE_COLUMNS, *FIGURE_COLUMNS, "documents")
    print(f"{'study':<24}" + "".join(f"{c[:8]:>9}" for c in columns) + f"{'total':>9}")
    totals = dict.fromkeys(columns, 0.0)
    for study in studies:
        with tempfile.TemporaryDirectory() as tmp:
            cost = study_cost(study, Path(tmp))
        for c in columns:
            totals[c] += cost[c]
        row = "".join(f"{cost[c]:>9.2f}" for c in columns)
        print(f"{study.study_id:<24}{row}{sum(cost.values()):>9.2f}", flush=True)
    row = "".join(f"{totals[c]:>9.2f}" for c in columns)
    print(f"{'all':<24}{row}{sum(totals.values()):>9.2f}")


if __name__ == "__main__":
    main()
