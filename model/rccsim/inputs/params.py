"""Parameters: one typed, validated parameter set per run.

Every parameter is declared once, in ``calibration/parameters.yaml``, with its default value, unit,
plausible range, and either its source (publication, table, year) or the words ``first guess``
(no statistic gives it; the calibration issue fits it). A run's parameters are the defaults with
a scenario's overrides applied. Unknown names and values outside a parameter's hard bounds are
errors, never silently ignored. Scenario files (:mod:`rccsim.sim.scenario`) override them.
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

from rccsim.base.errors import InputError
from rccsim.base.paths import calibration_dir


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
    return calibration_dir() / "parameters.yaml"


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


def resolve_parameters(scenario, base: ParamSet | None = None) -> ParamSet:
    """The defaults with the scenario's overrides applied."""
    base = base or ParamSet.defaults()
    try:
        return base.updated(scenario.parameters)
    except InputError as exc:
        raise InputError(f"scenario '{scenario.name}': {exc}") from None
