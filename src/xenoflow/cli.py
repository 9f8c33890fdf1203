"""Command line, without Snakemake: ``xenoflow validate STUDY.yaml`` checks a study (its
measurements and a recorded survival table); ``xenoflow power STUDY.yaml`` analyses the study and
prints the power and sample-size tables of a next study with it as the pilot."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from .config import Design, Study, load_study, load_yaml, resolve_config
from .errors import ConfigError, XenoflowError
from .ingest import ingest, summarise
from .survival import study_endpoints


def _validate(args: argparse.Namespace) -> int:
    analysis = None
    if args.config:
        analysis = resolve_config(load_yaml(args.config), source=args.config)["analysis"]
    status = 0
    for path in args.study:
        try:
            study = load_study(path, analysis)
            result = ingest(study)
            if study.survival_data is not None:  # the recorded table, checked against the data
                study_endpoints(study, result.measurements)
            print(summarise(result, study))
        except XenoflowError as exc:
            print(f"error: {exc}", file=sys.stderr)
            status = 1
    return status


def _design(study: Study, args: argparse.Namespace) -> Design:
    """The study's ``design`` (or the defaults) with the command line's overrides."""
    design = study.design or Design()
    given = {
        "tgi_pct": None if args.tgi is None else tuple(sorted(set(args.tgi))),
        "n_per_arm": None if args.n is None else tuple(sorted(set(args.n))),
        "power": args.power,
        "alpha": args.alpha,
        "follow_up_days": None if args.follow_up is None else tuple(sorted(set(args.follow_up))),
        "simulations": args.simulations,
    }
    return dataclasses.replace(design, **{k: v for k, v in given.items() if v is not None})


def _power(args: argparse.Namespace) -> int:
    import pandas as pd

    from . import stages
    from .ingest import read_source
    from .survival import read_survival_file

    analysis = None
    if args.config:
        analysis = resolve_config(load_yaml(args.config), source=args.config)["analysis"]
    try:
        study = load_study(args.study, analysis)
        if study.split_by:
            raise ConfigError(f"{args.study}: a panel (split_by) cannot serve as a pilot")
        study = dataclasses.replace(study, design=_design(study, args))
        recorded = read_survival_file(study.survival_data) if study.survival_data else None
        tables = stages.analyse_study(study, read_source(study), recorded=recorded)
    except XenoflowError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for name in stages.DESIGN_TABLES:
        df = tables[name]
        if args.tsv:
            print(f"# {name}")
            print(df.to_csv(sep="\t", index=False), end="")
            continue
        shown = df.drop(columns=["method", "schedule_days"], errors="ignore").fillna({"note": ""})
        with pd.option_context("display.width", 200, "display.max_rows", None):
            print(f"{name} (study {study.study_id} as the pilot)")
            print(shown.to_string(index=False, float_format=lambda x: f"{x:.4g}"), end="\n\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="xenoflow", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    validate = sub.add_parser("validate", help="check study files and their data; print a summary")
    validate.add_argument("study", nargs="+", type=Path, help="study YAML file(s)")
    validate.add_argument("--config", type=Path, help="config.yaml whose analysis defaults apply")
    validate.set_defaults(func=_validate)
    power = sub.add_parser(
        "power",
        help="power and sample size of a next study with this study as the pilot",
        description="Analyse STUDY.yaml and print the tables power.tsv and sample_size.tsv of "
        "a next two-arm study with it as the pilot; options override the study's design block.",
    )
    power.add_argument("study", type=Path, help="study YAML file (the pilot)")
    power.add_argument("--tgi", type=float, nargs="+", help="growth inhibitions to detect (%%)")
    power.add_argument("--n", type=int, nargs="+", help="mice per arm to evaluate")
    power.add_argument("--power", type=float, help="target power (default 0.8)")
    power.add_argument("--alpha", type=float, help="two-sided alpha (default: analysis alpha)")
    power.add_argument(
        "--follow-up", type=float, nargs="+", help="follow-up days (default: reference day)"
    )
    power.add_argument("--simulations", type=int, help="seeded simulations per design (0: none)")
    power.add_argument("--tsv", action="store_true", help="print tab-separated tables")
    power.add_argument("--config", type=Path, help="config.yaml whose analysis defaults apply")
    power.set_defaults(func=_power)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
