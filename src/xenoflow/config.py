"""Workflow configuration and study files.

A study file (YAML) describes one xenograft study; ``config.yaml`` lists study files and the
analysis defaults. Both are validated against the JSON schemas in ``xenoflow/schemas`` (also
visible as ``workflow/schemas``), which are the single description of their keys. Errors name
the file and the key, and are raised before any analysis runs.
"""

from __future__ import annotations

import copy
import datetime as dt
import glob
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal, TypedDict, cast

import jsonschema
import yaml
from referencing import Registry, Resource

from .errors import ConfigError
from .isotopes import ISOTOPES

SCHEMA_DIR = Path(__file__).parent / "schemas"


@dataclass(frozen=True)
class Dose:
    day: float
    amount: float | None = None
    unit: str | None = None

    def describe(self) -> str:
        if self.amount is None:
            return f"day {self.day:g}"
        unit = f" {display_unit(self.unit)}" if self.unit else ""
        return f"{self.amount:g}{unit} on day {self.day:g}"


def display_unit(unit: str) -> str:
    """A dose unit as a reader writes it: µCi (files and tables keep the ASCII uCi), mg/m²."""
    return unit.replace("uCi", "µCi").replace("/m2", "/m²")


#: Dose units a study file may use -> the canonical spelling (µ and μ become u, m² m2).
DOSE_UNITS = {
    "mg/kg": "mg/kg",
    "mg/m2": "mg/m2",
    "mg/m²": "mg/m2",
    "mg": "mg",
    "uCi": "uCi",
    "µCi": "uCi",
    "μCi": "uCi",
    "mCi": "mCi",
    "MBq": "MBq",
}


@dataclass(frozen=True)
class Arm:
    name: str
    label: str | None = None
    doses: tuple[Dose, ...] = ()
    #: the drug the arm receives (None: no agent, as for the control)
    agent: str | None = None

    @property
    def legend(self) -> str:
        """The arm as a figure legend names it: the arm name every table uses, with the
        study file's label after it ('CLR 131 single (CLR 131, 218.8 µCi day 0)'), or the
        label alone when it starts with the name."""
        if not self.label or self.label == self.name:
            return self.name
        return self.label if self.label.startswith(self.name) else f"{self.name} ({self.label})"


@dataclass(frozen=True)
class Agent:
    """A study file's ``agents`` entry: the agent's physical half-life (from its isotope in
    :data:`xenoflow.isotopes.ISOTOPES`, or given) and optional biological half-life, in days."""

    name: str
    half_life_days: float
    isotope: str | None = None
    biological_half_life_days: float | None = None


@dataclass(frozen=True)
class WhatIf:
    """A study file's ``what_if`` entry: a regimen not given, predicted by the dose-driven
    growth model (:mod:`xenoflow.regimenmodel`)."""

    name: str
    agent: str
    doses: tuple[Dose, ...]


@dataclass(frozen=True)
class Tolerability:
    """A study file's ``tolerability`` block with its defaults (study schema, where each
    default is cited)."""

    baseline: str = "first"
    loss_thresholds_pct: tuple[float, ...] = (15.0, 20.0)
    toxic_nadir_pct: float = 20.0
    toxic_death_fraction: float = 0.10


@dataclass(frozen=True)
class Growth:
    """A study file's ``growth`` block (study schema): when the two-phase (piecewise) model
    is fitted, and its breakpoint when fixed (None: estimated)."""

    piecewise: str = "auto"
    breakpoint_day: float | None = None


@dataclass(frozen=True)
class Exclude:
    """A study file's ``exclude`` entry: a source row, a mouse, or one measurement of a mouse."""

    reason: str
    row: int | None = None
    arm: str | None = None
    mouse_id: str | None = None
    day: float | None = None

    def describe(self) -> str:
        if self.row is not None:
            return f"row {self.row}"
        day = "" if self.day is None else f", day {self.day:g}"
        return f"arm '{self.arm}', mouse '{self.mouse_id}'{day}"


def _excludes(path: Path, raw: list[dict[str, Any]], panel: bool) -> tuple[Exclude, ...]:
    out = []
    for i, entry in enumerate(raw, start=1):
        by_row = "row" in entry
        by_mouse = "arm" in entry and "mouse_id" in entry
        if by_row == (by_mouse or "arm" in entry or "mouse_id" in entry or "day" in entry):
            raise ConfigError(
                f"{path.name}: key 'exclude', entry {i}: give either 'row' or 'arm' and "
                "'mouse_id' (and optionally 'day'), with a 'reason'"
            )
        if not by_row and not by_mouse:
            raise ConfigError(
                f"{path.name}: key 'exclude', entry {i}: 'arm' and 'mouse_id' go together"
            )
        if panel and not by_row:
            raise ConfigError(
                f"{path.name}: key 'exclude', entry {i}: in a panel (split_by) mouse ids repeat "
                "across models; name the row instead"
            )
        mouse = entry.get("mouse_id")
        day = entry.get("day")
        out.append(
            Exclude(
                reason=entry["reason"],
                row=entry.get("row"),
                arm=entry.get("arm"),
                mouse_id=None if mouse is None else str(mouse),
                day=None if day is None else float(day),
            )
        )
    return tuple(out)


@dataclass(frozen=True)
class Design:
    """A study file's ``design`` block with its defaults filled in (study schema): the
    designs whose power :mod:`xenoflow.power` computes with the study as the pilot."""

    tgi_pct: tuple[float, ...] = (30.0, 40.0, 50.0, 60.0, 70.0)
    n_per_arm: tuple[int, ...] = (3, 4, 5, 6, 8, 10, 12, 15)
    power: float = 0.8
    #: two-sided significance level (``None``: the analysis alpha)
    alpha: float | None = None
    #: study days of the end of follow-up (``None``: the pilot's reference day)
    follow_up_days: tuple[float, ...] | None = None
    simulations: int = 1000


def _design(path: Path, raw: dict[str, Any] | None, panel: bool) -> Design | None:
    if raw is None:
        return None
    if panel:
        raise ConfigError(
            f"{path.name}: key 'design': not available for a panel (split_by); use one "
            "model's study file as the pilot"
        )
    follow_up = raw.get("follow_up_days")
    given: dict[str, Any] = {
        "tgi_pct": tuple(sorted({float(x) for x in raw["tgi_pct"]})) if "tgi_pct" in raw else None,
        "n_per_arm": tuple(sorted({int(x) for x in raw["n_per_arm"]}))
        if "n_per_arm" in raw
        else None,
        "power": raw.get("power"),
        "alpha": raw.get("alpha"),
        "follow_up_days": None
        if follow_up is None
        else tuple(sorted({float(x) for x in follow_up})),
        "simulations": raw.get("simulations"),
    }
    return Design(**{k: v for k, v in given.items() if v is not None})


#: ``synergy: variance`` entries -> what they add to the model's variance function
VARIANCE_TERMS = ("by_mouse", "by_arm", "by_day", "power_of_time")


@dataclass(frozen=True)
class Combination:
    """A study file's ``combinations`` entry: the combination arm and its single-agent arms
    (the control is the study's control)."""

    arm: str
    components: tuple[str, ...]


@dataclass(frozen=True)
class SynergySettings:
    """A study file's ``synergy`` block (SynergyLMM ``lmmModel`` semantics, study schema).
    ``time_start`` None: the first day of the combination's arms."""

    time_start: float | None = None
    time_end: float | None = None
    min_observations: int = 1
    time_transform: str = "none"
    variance: tuple[str, ...] = ()
    power_simulations: int = 1000


def _combinations(
    path: Path, raw: list[dict[str, Any]], names: list[str], control: str
) -> tuple[Combination, ...]:
    if raw and not names:
        raise ConfigError(
            f"{path.name}: key 'combinations': needs the study's `arms` listed (a panel, "
            "split_by, has none); expected arms naming the control, the single agents and "
            "the combination"
        )
    out: list[Combination] = []
    for i, entry in enumerate(raw, start=1):
        key = f"combinations/{i - 1}"
        arms = [entry["arm"], *entry["components"]]
        missing = [a for a in arms if names and a not in names]
        if missing:
            raise ConfigError(
                f"{path.name}: key '{key}': arm '{missing[0]}' is not an arm of the study; "
                f"expected one of {', '.join(names)}"
            )
        if control in arms:
            raise ConfigError(
                f"{path.name}: key '{key}': '{control}' is the study's control, which every "
                "combination is compared with; expected treated arms only"
            )
        if len(set(arms)) != len(arms):
            raise ConfigError(
                f"{path.name}: key '{key}': the combination arm and its components must be "
                f"different arms (got {', '.join(arms)})"
            )
        out.append(Combination(arm=entry["arm"], components=tuple(entry["components"])))
    seen = [c.arm for c in out]
    if len(set(seen)) != len(seen):
        raise ConfigError(f"{path.name}: key 'combinations': an arm is listed twice")
    return tuple(out)


def _synergy(path: Path, raw: dict[str, Any] | None) -> SynergySettings:
    raw = raw or {}
    start, end = raw.get("time_start"), raw.get("time_end")
    if start is not None and end is not None and end <= start:
        raise ConfigError(
            f"{path.name}: key 'synergy/time_end': {end:g} is not after time_start "
            f"({start:g}); expected a later day"
        )
    given: dict[str, Any] = {
        "time_start": None if start is None else float(start),
        "time_end": None if end is None else float(end),
        "min_observations": raw.get("min_observations"),
        "time_transform": raw.get("time_transform"),
        "variance": tuple(dict.fromkeys(raw["variance"])) if "variance" in raw else None,
        "power_simulations": raw.get("power_simulations"),
    }
    return SynergySettings(**{k: v for k, v in given.items() if v is not None})


class _ResolvedSettings(TypedDict, total=False):
    #: not a setting: the study's detection limit, resolved once from all its measurements
    #: (:func:`xenoflow.growth.with_detection_limit`) so every stage floors at one value
    detection_limit_mm3: float


class AnalysisSettings(_ResolvedSettings):
    """A study's analysis settings: the defaults of ``$defs/analysis`` in
    ``schemas/config.schema.yaml``, overridden by config.yaml's ``analysis:`` and then by the
    study file's ``analysis:`` block (validated by that schema before it gets here). One key
    per schema property, typed as the schema types it (a test checks that they match)."""

    caliper_formula: Literal["half_lw2", "ellipsoid"]
    log_zero_rule: Literal["detection_limit", "drop", "floor"]
    log_floor_mm3: float
    alpha: float
    seed: int
    bootstrap_resamples: int
    mrecist_min_day: float
    endpoint_rule: Literal["first_above", "last_below", "interpolate", "fold_baseline"]
    endpoint_fold: float
    growth_model_selection: bool
    panel_figures: bool
    panel_exports: bool
    survival_comparisons: Literal["all", "control"]
    mean_min_fraction: float
    km_confidence_bands: bool
    figure_formats: list[Literal["png", "svg", "pdf"]]


@dataclass(frozen=True)
class Study:
    """A validated study file with paths resolved against the study file's folder."""

    study_id: str
    path: Path
    data: Path
    control: str
    arms: tuple[Arm, ...]
    settings: AnalysisSettings
    title: str = ""
    model: str = ""
    description: str = ""
    synthetic: bool = False
    format: str | None = None
    sheet: str | int | None = None
    #: file row of the column names (1 = first) and rows below it to ignore
    header_row: int = 1
    skip_rows: tuple[int, ...] = ()
    decimal_comma: bool = False
    #: study day 0 and the strptime format of a file with a ``date`` column instead of days
    day0: dt.date | None = None
    date_format: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    baseline_day: float | None = None
    reference_day: float | None = None
    endpoint_volume_mm3: float | None = None
    #: volumes below it (zeros: complete regressions) enter log-scale analyses at it
    #: (``log_zero_rule: detection_limit``); None = half the smallest positive volume
    detection_limit_mm3: float | None = None
    #: half-width (days) of the visit windows that align staggered calendars in the
    #: comparisons by day (:mod:`xenoflow.visits`); 0 = exact-day matching
    visit_window_days: float = 1.0
    survival_data: Path | None = None
    survival_columns: dict[str, str] = field(default_factory=dict)
    #: body weights of a wide-format study: a wide table like ``data`` (grams)
    body_weight_data: Path | None = None
    notes: tuple[str, ...] = ()
    exclude: tuple[Exclude, ...] = ()
    split_by: str | None = None
    #: Panel units (one model of a ``split_by`` study): the panel's study id and the model.
    panel_id: str | None = None
    split_value: str | None = None
    #: the ``design`` block (power and sample size with this study as the pilot), if any
    design: Design | None = None
    #: agents with a radioactive decay (``agents:``), by name
    agents: dict[str, Agent] = field(default_factory=dict)
    tolerability: Tolerability = field(default_factory=Tolerability)
    growth: Growth = field(default_factory=Growth)
    #: regimens not given, predicted by the dose-driven growth model (``what_if:``)
    what_if: tuple[WhatIf, ...] = ()
    #: drug combinations (``combinations:``) and the synergy model's settings (``synergy:``)
    combinations: tuple[Combination, ...] = ()
    synergy: SynergySettings = field(default_factory=SynergySettings)

    @property
    def arm_names(self) -> list[str]:
        return [a.name for a in self.arms]

    @property
    def treated_arms(self) -> list[str]:
        return [a.name for a in self.arms if a.name != self.control]

    def arm(self, name: str) -> Arm:
        for a in self.arms:
            if a.name == name:
                return a
        raise KeyError(name)


def _safe_load(text: str) -> Any:
    """YAML with the safe loader, parsed by libyaml when PyYAML has it (~10x faster: the
    Snakefile reads every study file and the schemas on each parse); a document libyaml
    refuses is parsed again by the pure-Python parser, whose message quotes the line."""
    try:
        return yaml.load(text, Loader=_FAST_LOADER)  # CSafeLoader: a safe loader
    except yaml.YAMLError:
        return yaml.safe_load(text)


_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def load_schema(name: str) -> dict[str, Any]:
    return _safe_load((SCHEMA_DIR / f"{name}.schema.yaml").read_text(encoding="utf-8"))


@cache
def _registry() -> Registry:
    resources = [
        (f"{name}.schema.yaml", Resource.from_contents(load_schema(name)))
        for name in ("config", "study")
    ]
    return Registry().with_resources(resources)


def _most_specific(error: jsonschema.ValidationError) -> jsonschema.ValidationError:
    # A oneOf failure (arm given as a name or a mapping) hides the useful message in its
    # sub-errors; the deepest one points at the offending key.
    while error.context:
        error = max(error.context, key=lambda e: len(e.absolute_path))
    return error


def _key_path(error: jsonschema.ValidationError) -> str:
    parts = [str(p) for p in error.absolute_path]
    return "/".join(parts) if parts else "(top level)"


def _message(source: str | Path, error: jsonschema.ValidationError) -> str:
    error = _most_specific(error)
    return f"{source}: key '{_key_path(error)}': {error.message}"


def validate(data: Any, schema_name: str, source: str | Path) -> None:
    """Validate ``data`` against a schema; raise ConfigError naming ``source`` and the key."""
    validator_cls = jsonschema.validators.validator_for(load_schema(schema_name))
    validator = validator_cls(load_schema(schema_name), registry=_registry())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [_message(source, e) for e in errors]
        raise ConfigError("invalid " + schema_name + " file\n  " + "\n  ".join(lines))


def _defaults(schema: dict[str, Any]) -> dict[str, Any]:
    return {
        k: copy.deepcopy(v["default"]) for k, v in schema["properties"].items() if "default" in v
    }


def analysis_defaults() -> dict[str, Any]:
    """The analysis settings a study gets when neither config nor study overrides them."""
    return _defaults(load_schema("config")["$defs"]["analysis"])


def load_yaml(path: str | Path) -> Any:
    """Read YAML with the safe loader (nothing in a config file is evaluated as code)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: file not found")
    try:
        return _safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc


def resolve_config(config: dict[str, Any], source: str | Path = "config") -> dict[str, Any]:
    """Validate the workflow config and fill in defaults (returns a new dict)."""
    validate(config, "config", source)
    resolved = copy.deepcopy(config)
    resolved.setdefault("results", "results")
    resolved["analysis"] = {**analysis_defaults(), **resolved.get("analysis", {})}
    return resolved


def study_files(patterns: Iterable[str], base: Path | None = None) -> list[Path]:
    """Expand the ``studies:`` list (paths or glob patterns) into existing files, in order."""
    base = base or Path.cwd()
    found: list[Path] = []
    for pattern in patterns:
        full = str(base / pattern) if not Path(pattern).is_absolute() else pattern
        matches = sorted(glob.glob(full)) if glob.has_magic(pattern) else [full]
        if not matches:
            raise ConfigError(f"config: key 'studies': pattern '{pattern}' matches no file")
        for m in matches:
            p = Path(m)
            if not p.is_file():
                raise ConfigError(f"config: key 'studies': study file '{pattern}' not found")
            if p not in found:
                found.append(p)
    return found


def _arms(raw: list[Any] | None) -> tuple[Arm, ...]:
    arms: list[Arm] = []
    for item in raw or []:
        if isinstance(item, str):
            arms.append(Arm(name=item))
        else:
            doses = _doses(item.get("doses", []))
            arms.append(
                Arm(
                    name=item["name"],
                    label=item.get("label"),
                    doses=doses,
                    agent=item.get("agent"),
                )
            )
    return tuple(arms)


def _agents(path: Path, raw: dict[str, Any], arms: tuple[Arm, ...]) -> dict[str, Agent]:
    """The ``agents`` block: isotopes resolved to their half-lives; every listed agent must be
    an arm's ``agent``."""
    used = {a.agent for a in arms if a.agent}
    out: dict[str, Agent] = {}
    for name, entry in raw.items():
        if name not in used:
            raise ConfigError(
                f"{path.name}: key 'agents/{name}': no arm has agent '{name}'; expected one "
                f"of the arms' agents ({', '.join(sorted(used)) or 'none given'})"
            )
        isotope = entry.get("isotope")
        if isotope is not None:
            key = {k.lower(): k for k in ISOTOPES}.get(str(isotope).replace(" ", "").lower())
            if key is None:
                raise ConfigError(
                    f"{path.name}: key 'agents/{name}/isotope': unknown isotope '{isotope}'; "
                    f"expected one of {', '.join(ISOTOPES)} or half_life_days instead"
                )
            half_life = ISOTOPES[key].half_life_days
            isotope = key
        else:
            half_life = float(entry["half_life_days"])
        biological = entry.get("biological_half_life_days")
        out[name] = Agent(
            name=name,
            half_life_days=half_life,
            isotope=isotope,
            biological_half_life_days=None if biological is None else float(biological),
        )
    return out


def _doses(raw: list[dict[str, Any]]) -> tuple[Dose, ...]:
    return tuple(
        Dose(
            day=float(d["day"]),
            amount=d.get("amount"),
            unit=DOSE_UNITS[d["unit"]] if "unit" in d else None,
        )
        for d in raw
    )


def _what_if(path: Path, raw: list[dict[str, Any]], arms: tuple[Arm, ...]) -> tuple[WhatIf, ...]:
    """The ``what_if`` regimens: unique names that are not arms, an agent of a dosed arm (an arm
    with doses and no ``agent`` is its own agent) and that agent's dose unit."""
    units: dict[str, set[str]] = {}
    for arm in arms:
        if arm.doses:
            units.setdefault(arm.agent or arm.name, set()).update(
                d.unit for d in arm.doses if d.unit is not None
            )
    seen = {a.name for a in arms}
    out = []
    for i, entry in enumerate(raw, start=1):
        key = f"{path.name}: key 'what_if', entry {i}"
        name, agent = str(entry["name"]), str(entry["agent"])
        if name in seen:
            raise ConfigError(
                f"{key}: name '{name}' is already an arm or a what_if entry; expected a new name"
            )
        seen.add(name)
        if agent not in units:
            raise ConfigError(
                f"{key}: agent '{agent}' is not the agent of a dosed arm; expected one of "
                f"{', '.join(sorted(units)) or '(no arm has doses)'}"
            )
        doses = _doses(entry["doses"])
        given = {d.unit for d in doses}
        if not given <= units[agent]:
            raise ConfigError(
                f"{key}: dose unit {', '.join(sorted(str(u) for u in given))} differs from the "
                f"unit of the arms with agent '{agent}'; expected "
                f"{', '.join(sorted(units[agent])) or 'doses without amounts'}"
            )
        out.append(WhatIf(name=name, agent=agent, doses=tuple(sorted(doses, key=lambda d: d.day))))
    return tuple(out)


def _tolerability(raw: dict[str, Any] | None) -> Tolerability:
    raw = raw or {}
    given: dict[str, Any] = {
        "baseline": raw.get("baseline"),
        "loss_thresholds_pct": tuple(sorted({float(x) for x in raw["loss_thresholds_pct"]}))
        if "loss_thresholds_pct" in raw
        else None,
        "toxic_nadir_pct": raw.get("toxic_nadir_pct"),
        "toxic_death_fraction": raw.get("toxic_death_fraction"),
    }
    return Tolerability(**{k: v for k, v in given.items() if v is not None})


def _growth(raw: dict[str, Any] | None) -> Growth:
    raw = raw or {}
    bp = raw.get("breakpoint_day")
    return Growth(
        piecewise=raw.get("piecewise", "auto"),
        breakpoint_day=None if bp is None else float(bp),
    )


def _resolve_path(path: Path, value: str, key: str, notes: list[str]) -> Path:
    resolved = (path.parent / value).resolve()
    if not resolved.is_file():
        raise ConfigError(f"{path}: key '{key}': file '{value}' not found (looked at {resolved})")
    if ".." in Path(value).parts:
        shown = os.path.relpath(
            resolved, Path.cwd()
        )  # relative, so outputs do not depend on the checkout's location
        notes.append(f"'{key}' points outside the study folder: {value} resolved to {shown}")
    return resolved


def _day0(path: Path, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ConfigError(
            f"{path.name}: key 'day0': '{value}' is not a calendar date; expected YYYY-MM-DD"
        ) from None


def _body_weight_data(path: Path, raw: dict[str, Any], notes: list[str]) -> Path | None:
    """The wide body-weight table of a wide-format study (``body_weight_data``), if any.
    Long and caliper files carry their weights in a ``body_weight_g`` column; a panel
    (``split_by``) splits one file, and a second file would need splitting alike."""
    value = raw.get("body_weight_data")
    if value is None:
        return None
    if raw.get("format", "wide") != "wide":
        raise ConfigError(
            f"{path.name}: key 'body_weight_data': only for wide-format studies (format: wide); "
            f"format '{raw['format']}' carries body weights in a body_weight_g column of the data "
            "(map it in 'columns:')"
        )
    if raw.get("split_by"):
        raise ConfigError(
            f"{path.name}: key 'body_weight_data': not supported for panels (split_by); "
            "give the panel a long file with a body_weight_g column"
        )
    return _resolve_path(path, value, "body_weight_data", notes)


def load_study(path: str | Path, analysis: dict[str, Any] | None = None) -> Study:
    """Read and validate one study file.

    ``analysis`` are the workflow-level analysis defaults (``config['analysis']``); the study's
    own ``analysis:`` block overrides them key by key.
    """
    path = Path(path)
    raw = load_yaml(path)
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of keys (study_id, data, control, ...)")
    if isinstance(raw.get("day0"), dt.date):  # YAML reads an unquoted 2024-03-05 as a date
        raw["day0"] = raw["day0"].isoformat()
    validate(raw, "study", path)
    arms = _arms(raw.get("arms"))
    names = [a.name for a in arms]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(f"{path}: key 'arms': arm listed twice: {', '.join(duplicates)}")
    if len(arms) == 1:
        raise ConfigError(
            f"{path.name}: key 'arms': only one arm ('{names[0]}'); a comparison needs the "
            "control and at least one treated arm"
        )
    if arms and raw["control"] not in names:
        raise ConfigError(
            f"{path}: key 'control': control arm '{raw['control']}' is not among the arms "
            f"({', '.join(names)})"
        )
    header_row = int(raw.get("header_row", 1))
    skip_rows = tuple(sorted(raw.get("skip_rows", [])))
    above = [r for r in skip_rows if r <= header_row]
    if above:
        raise ConfigError(
            f"{path.name}: key 'skip_rows': row {above[0]} is not below the header "
            f"(header_row {header_row}); rows above the header are ignored anyway"
        )
    notes: list[str] = []
    data = _resolve_path(path, raw["data"], "data", notes)
    survival = raw.get("survival_data")
    survival_path = _resolve_path(path, survival, "survival_data", notes) if survival else None
    weights_path = _body_weight_data(path, raw, notes)
    merged = {**analysis_defaults(), **(analysis or {}), **raw.get("analysis", {})}
    merged.setdefault("survival_comparisons", "control" if raw.get("split_by") else "all")
    settings = cast(AnalysisSettings, merged)  # validated against the schema above
    return Study(
        study_id=raw["study_id"],
        path=path.resolve(),
        data=data,
        control=raw["control"],
        arms=arms,
        settings=settings,
        title=str(raw.get("title", raw["study_id"])),
        model=raw.get("model", ""),
        description=raw.get("description", ""),
        synthetic=raw.get("synthetic", False),
        format=raw.get("format"),
        sheet=raw.get("sheet"),
        header_row=header_row,
        skip_rows=skip_rows,
        exclude=_excludes(path, raw.get("exclude", []), bool(raw.get("split_by"))),
        decimal_comma=raw.get("decimal_comma", False),
        day0=_day0(path, raw.get("day0")),
        date_format=raw.get("date_format"),
        columns=dict(raw.get("columns", {})),
        baseline_day=raw.get("baseline_day"),
        reference_day=raw.get("reference_day"),
        endpoint_volume_mm3=raw.get("endpoint_volume_mm3"),
        detection_limit_mm3=raw.get("detection_limit_mm3"),
        visit_window_days=float(raw.get("visit_window_days", 1.0)),
        survival_data=survival_path,
        survival_columns=dict(raw.get("survival_columns", {})),
        body_weight_data=weights_path,
        notes=tuple(notes),
        split_by=raw.get("split_by"),
        design=_design(path, raw.get("design"), bool(raw.get("split_by"))),
        agents=_agents(path, raw.get("agents", {}), arms),
        tolerability=_tolerability(raw.get("tolerability")),
        growth=_growth(raw.get("growth")),
        what_if=_what_if(path, raw.get("what_if", []), arms),
        combinations=_combinations(path, raw.get("combinations", []), names, raw["control"]),
        synergy=_synergy(path, raw.get("synergy")),
    )


def load_studies(config: dict[str, Any], base: Path | None = None) -> dict[str, Study]:
    """Load every study named by a resolved config; study ids must be unique."""
    studies: dict[str, Study] = {}
    for path in study_files(config["studies"], base):
        study = load_study(path, config.get("analysis"))
        if study.study_id in studies:
            other = studies[study.study_id].path
            raise ConfigError(
                f"{path}: key 'study_id': '{study.study_id}' is already used by {other}"
            )
        studies[study.study_id] = study
    return studies
