"""Parameters and scenarios: one typed, validated parameter set per run.

Every parameter is declared once, in ``calibration/parameters.yaml``, with its default value, unit,
plausible range, and either its source (publication, table, year) or the words ``first guess``
(no statistic gives it; the calibration issue fits it). A run's parameters are the defaults with
a scenario's overrides applied. Unknown names and values outside a parameter's hard bounds are
errors, never silently ignored.

A scenario is a YAML file::

    name: my_scenario
    description: what it tests
    parameters:              # overrides of the defaults, by dotted name
      demand.entry_multiplier: 1.1
    levers: {}               # RCC policy levers (see model/levers.py)
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import InputError
from .geography import data_dir
from .levers import Levers

SCENARIO_DIR = Path(__file__).resolve().parents[1] / "experiments" / "scenarios"


@dataclass(frozen=True)
class ParamSpec:
    """One parameter's declaration."""

    name: str
    value: Any
    unit: str
    range: tuple[float, float]
    source: str
    description: str = ""
    bounds: tuple[float, float] | None = None  # hard limits: a value outside is impossible

    @property
    def fitted(self) -> bool:
        return self.source.strip().lower().startswith(("first guess", "fitted"))


def _registry_path() -> Path:
    return data_dir().parent / "parameters.yaml"


_RAW_CACHE: dict[tuple[str, int], dict] = {}


def _read_yaml_cached(path: Path) -> dict:
    """Parse a YAML file once per process (per version of the file): a sweep builds many runs."""
    key = (str(path), path.stat().st_mtime_ns)
    raw = _RAW_CACHE.get(key)
    if raw is None:
        raw = yaml.safe_load(path.read_text())
        _RAW_CACHE[key] = raw
    return copy.deepcopy(raw)


def load_registry(path: Path | None = None) -> dict[str, ParamSpec]:
    """Read every parameter's declaration."""
    raw = _read_yaml_cached(path or _registry_path())
    specs = {}
    for name, entry in raw.items():
        missing = {"value", "unit", "range", "source"} - set(entry)
        if missing:
            raise RuntimeError(f"parameter {name} lacks {sorted(missing)} in parameters.yaml")
        bounds = entry.get("bounds")
        try:
            # float(): YAML 1.1 reads "1.0e9" (no sign in the exponent) as a string
            rng = tuple(float(x) for x in entry["range"])
            bounds = tuple(float(x) for x in bounds) if bounds is not None else None
        except (TypeError, ValueError):
            raise RuntimeError(f"parameter {name}: range and bounds must be pairs of numbers") from None
        specs[name] = ParamSpec(
            name=name,
            value=entry["value"],
            unit=str(entry["unit"]),
            range=rng,
            source=str(entry["source"]),
            description=str(entry.get("description", "")),
            bounds=bounds,
        )
    return specs


def _check_value(spec: ParamSpec, value: Any) -> Any:
    default = spec.value
    if isinstance(default, list):
        if not isinstance(value, list) or len(value) != len(default):
            raise InputError(f"parameter {spec.name} needs a list of {len(default)} numbers")
        values = value
    else:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InputError(f"parameter {spec.name} needs a number, got {value!r}")
        values = [value]
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise InputError(f"parameter {spec.name} needs numbers, got {v!r}")
        if not math.isfinite(v):  # NaN, infinities
            raise InputError(f"parameter {spec.name} must be a finite number, got {v}")
        lo, hi = spec.bounds if spec.bounds is not None else (float("-inf"), float("inf"))
        if not lo <= v <= hi:
            raise InputError(f"parameter {spec.name}={v} is impossible: it must lie in [{lo}, {hi}] ({spec.unit})")
    if "(uniform range)" in spec.unit and not values[0] <= values[1]:
        raise InputError(f"parameter {spec.name}={value} is impossible: a range needs its low end first "
                         f"({spec.unit})")
    return value


class ParamSet(Mapping):
    """An immutable set of parameter values, readable by dotted name or attribute.

    Example:
        >>> p = ParamSet.defaults()
        >>> p["demand.entry_multiplier"] == p.demand.entry_multiplier
        True
    """

    def __init__(self, values: dict[str, Any], specs: dict[str, ParamSpec]):
        self._values = dict(values)
        self._specs = specs
        tree: dict[str, Any] = {}
        for name, value in self._values.items():
            node = tree
            *groups, leaf = name.split(".")
            for g in groups:
                node = node.setdefault(g, {})
            node[leaf] = value
        self._tree = _namespace(tree)

    @classmethod
    def registry(cls) -> ParamSet:
        """The values of ``calibration/parameters.yaml`` alone (first guesses included)."""
        specs = load_registry()
        return cls({n: s.value for n, s in specs.items()}, specs)

    @classmethod
    def defaults(cls) -> ParamSet:
        """The registry with the fitted values of ``calibration/fitted.yaml`` (if a fit was installed)."""
        base = cls.registry()
        fitted = _registry_path().with_name("fitted.yaml")
        if fitted.is_file():
            doc = yaml.safe_load(fitted.read_text()) or {}
            try:
                base = base.updated(doc.get("values", {}))
            except InputError as exc:
                raise InputError(f"{fitted}: {exc}") from None
            # the provenance of a fitted value is the fit, not the first guess it started from
            def note(d: dict) -> str:
                return (f"fitted: calibration/fitted.yaml ({d.get('fitted_on')}, {d.get('method', doc.get('method', 'fit'))}, "
                        f"{d.get('region', doc.get('region'))} from {d.get('start', doc.get('start'))}, {d.get('code_version')})")

            # a refit (rccsim calibrate --from-installed) names what it refitted; the other values
            # keep the provenance of the fit they came from (refit_of, itself perhaps a refit)
            specs = dict(base.specs)
            source, level = {}, doc
            while level is not None:
                here = level.get("refitted")
                for name in doc.get("values", {}):
                    if name not in source and (here is None or name in here):
                        source[name] = note(level) + (" (refit)" if here is not None else "")
                level = level.get("refit_of")
            for name in doc.get("values", {}):
                specs[name] = dataclasses.replace(specs[name], source=source.get(name, note(doc)))
            base = cls(dict(base.as_dict()), specs)
        return base

    def updated(self, overrides: Mapping[str, Any]) -> ParamSet:
        """A copy with ``overrides`` applied; unknown names and impossible values raise InputError."""
        values = dict(self._values)
        for name, value in overrides.items():
            spec = self._specs.get(name)
            if spec is None:
                close = [n for n in self._specs if n.split(".")[-1] == name.split(".")[-1]]
                hint = f" (did you mean {close[0]}?)" if close else ""
                raise InputError(f"unknown parameter '{name}'{hint}")
            values[name] = _check_value(spec, value)
        return ParamSet(values, self._specs)

    @property
    def specs(self) -> dict[str, ParamSpec]:
        return self._specs

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._tree, name)

    def __getitem__(self, name: str) -> Any:
        return self._values[name]

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def as_dict(self) -> dict[str, Any]:
        return dict(self._values)

    def digest(self) -> str:
        """A short hash of every value: the run's parameter hash."""
        text = json.dumps(self._values, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:12]


def _namespace(tree: dict[str, Any]) -> SimpleNamespace:
    return SimpleNamespace(**{k: _namespace(v) if isinstance(v, dict) else v for k, v in tree.items()})


class Scenario(BaseModel):
    """A scenario file: parameter overrides and policy levers."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    name: str = Field(min_length=1, max_length=120, pattern=r"^[^\x00-\x1f\x7f]+$")  # one printable line
    description: str = ""
    parameters: dict[str, float | int | list[float]] = Field(default_factory=dict)
    levers: Levers = Field(default_factory=Levers)

    def canonical(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


_UNION_TAGS = {"float", "int", "list[float]"}


def bundled_scenarios() -> list[str]:
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))


def load_scenario(spec: str | Path) -> Scenario:
    """Load a bundled scenario by name, or a YAML file by path."""
    text_spec = str(spec)
    path = Path(text_spec)
    if not (text_spec.endswith((".yaml", ".yml")) or path.exists()):
        path = SCENARIO_DIR / f"{text_spec}.yaml"
        if not path.exists():
            raise InputError(
                f"unknown scenario '{text_spec}': bundled scenarios are {', '.join(bundled_scenarios())}, "
                "or give the path of a YAML file"
            )
    if not path.is_file():
        raise InputError(f"scenario file not found: {path}")
    raw = read_yaml_strict(path, "scenario")
    if not isinstance(raw, dict):
        raise InputError(f"scenario {path} must be a YAML mapping with at least a 'name'")
    raw.setdefault("name", path.stem)
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        # the members of a union (float | int | list[float]) are not keys of the file
        loc = ".".join(str(x) for x in err["loc"] if not (isinstance(x, str) and x in _UNION_TAGS))
        kind = "unknown scenario key" if err["type"] == "extra_forbidden" else "bad value for"
        msg = str(err["msg"]).removeprefix("Value error, ")
        raise InputError(f"scenario {path}: {kind} '{loc}' ({msg})") from None
    return scenario


class _StrictLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key given twice in one mapping (the last would win)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:  # an unhashable key: the base class says so
                break
            if duplicate:
                raise InputError(f"line {key_node.start_mark.line + 1}: key '{key}' is given twice")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_yaml_strict(path: Path, what: str):
    """A user's YAML file, read strictly: UTF-8 text, valid YAML, no key given twice; any
    problem is one :class:`InputError` naming the file."""
    try:
        data = Path(path).read_bytes()
    except IsADirectoryError:
        raise InputError(f"{what} {path} is a folder, not a YAML file") from None
    except PermissionError:
        raise InputError(f"{what} file {path} cannot be read (permission denied)") from None
    except OSError as exc:
        raise InputError(f"{what} file {path} cannot be read ({exc.strerror or exc})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{what} {path} is not UTF-8 text (byte {exc.start}): save it as UTF-8") from None
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 (a SafeLoader subclass)
    except InputError as exc:
        raise InputError(f"{what} {path}: {exc}") from None
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" at line {where.line + 1}" if where is not None else ""
        raise InputError(f"{what} {path} is not valid YAML{at}") from None
    except RecursionError:
        raise InputError(f"{what} {path} nests too deeply to be a {what}") from None


def resolve_parameters(scenario: Scenario, base: ParamSet | None = None) -> ParamSet:
    """The defaults with the scenario's overrides applied."""
    base = base or ParamSet.defaults()
    try:
        return base.updated(scenario.parameters)
    except InputError as exc:
        raise InputError(f"scenario '{scenario.name}': {exc}") from None
