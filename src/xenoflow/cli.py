"""Command line: ``xenoflow validate STUDY.yaml`` checks a study (its measurements and a recorded
survival table) without Snakemake."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .config import load_study, load_yaml, resolve_config
from .errors import XenoflowError
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="xenoflow", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    validate = sub.add_parser("validate", help="check study files and their data; print a summary")
    validate.add_argument("study", nargs="+", type=Path, help="study YAML file(s)")
    validate.add_argument("--config", type=Path, help="config.yaml whose analysis defaults apply")
    validate.set_defaults(func=_validate)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
