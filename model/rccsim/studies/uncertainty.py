"""What we do not know, in a comparison: assumptions drawn seed by seed.

``calibration/uncertainty.yaml`` lists the assumptions a lever's result may rest on: model
parameters (``calibration/parameters.yaml``) and levers' own settings (``levers.<lever>.<setting>``),
each with the range it is drawn from and why. :func:`draw` gives each seed one value of each, from
a stream of its own (so the run's other random numbers are untouched), and :func:`apply` puts them
into a scenario: the baseline and the options of one seed share the draw, so each paired
difference is an option's effect under one plausible set of assumptions.

:func:`summarise_drawn` gives, per option and metric, the middle 95% of those differences (how far
the result moves across what we do not know, seed noise included) and the assumptions whose values
go most with it (Spearman rank correlation over the draws).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from rccsim.base.errors import InputError
from rccsim.base.paths import calibration_dir
from rccsim.inputs.params import ParamSet
from rccsim.levers import Levers
from rccsim.sim.scenario import Scenario

STREAM = 0x5EED_D8A  # a seed's draws come from np.random.default_rng([seed, STREAM])


@dataclass(frozen=True)
class Uncertain:
    """One assumption: its name, the range it is drawn from (uniform), and why."""

    name: str
    lo: float
    hi: float
    why: str

    @property
    def lever(self) -> tuple[str, str] | None:
        """(lever, setting) for a lever's own setting; None for a model parameter."""
        if not self.name.startswith("levers."):
            return None
        _, lever, setting = self.name.split(".", 2)
        return lever, setting


def uncertainty_path() -> Path:
    return calibration_dir() / "uncertainty.yaml"


def load_uncertainty(path: Path | None = None) -> list[Uncertain]:
    """The assumptions to draw; a name that is neither a parameter nor a lever's setting, or a range
    outside the parameter's bounds, is an error."""
    path = path or uncertainty_path()
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as e:
        raise InputError(f"{path.name}: cannot be read ({type(e).__name__})") from None
    specs = ParamSet.registry().specs
    out = []
    for name, entry in raw.items():
        try:
            lo, hi = (float(x) for x in entry["range"])
        except (KeyError, TypeError, ValueError):
            raise InputError(f"{path.name}: {name} needs a range of two numbers") from None
        if not (math.isfinite(lo) and math.isfinite(hi) and lo <= hi):
            raise InputError(f"{path.name}: {name}'s range [{lo}, {hi}] is not a range")
        item = Uncertain(str(name), lo, hi, str(entry.get("why", "")))
        if item.lever is not None:
            lever, setting = item.lever
            field = Levers.model_fields.get(lever)
            settings_cls = getattr(field, "annotation", None)
            fields = {}
            for arg in getattr(settings_cls, "__args__", ()):
                fields = getattr(arg, "model_fields", {}) or fields
            if setting not in fields:
                raise InputError(f"{path.name}: {name} is not a lever's setting")
        else:
            spec = specs.get(name)
            if spec is None:
                raise InputError(f"{path.name}: {name} is not a parameter in parameters.yaml")
            if spec.bounds is not None and (lo < spec.bounds[0] or hi > spec.bounds[1]):
                raise InputError(f"{path.name}: {name}'s range [{lo}, {hi}] leaves its bounds {list(spec.bounds)}")
        out.append(item)
    return out


def draw(items: list[Uncertain], seed: int) -> dict[str, float]:
    """One value of each assumption for ``seed`` (the same for every scenario of the seed)."""
    rng = np.random.default_rng([int(seed), STREAM])
    return {it.name: float(rng.uniform(it.lo, it.hi)) for it in items}


def apply(scenario: Scenario, drawn: dict[str, float]) -> Scenario:
    """``scenario`` under the drawn assumptions: parameters the scenario does not set itself (a
    parameter it sets is its policy), and the settings of the levers it uses."""
    params = dict(scenario.parameters)
    levers = scenario.levers
    for name, value in drawn.items():
        if name.startswith("levers."):
            _, lever, setting = name.split(".", 2)
            current = getattr(levers, lever, None)
            if current is not None:
                levers = levers.model_copy(update={lever: current.model_copy(update={setting: value})})
        elif name not in params:
            params[name] = value
    return scenario.model_copy(update={"parameters": params, "levers": levers})


def summarise_drawn(runs: list[dict], scenarios: list[str], seeds: list[int], keys: list[str],
                    draws: dict[int, dict[str, float]], used: dict[str, list[str]] | None = None) -> dict:
    """Per option and metric: the mean paired difference over the drawn runs, the middle 95% of
    the differences (``lo``, ``hi``), and the assumptions that go most with it (``drivers``: name,
    Spearman rank correlation ``rho`` and its p-value ``p``, strongest first). Only the assumptions
    that act in the option count (``used``: per option; a lever's setting acts only where the lever
    is on): with twenty draws, others would correlate by chance."""
    from scipy import stats

    by = {(r["scenario"], r["seed"]): r["metrics"] for r in runs}
    out = {}
    for s in scenarios:
        metrics = {}
        for key in keys:
            d = np.array([by[(s, seed)][key] - by[("baseline", seed)][key] for seed in seeds], dtype=float)
            lo, hi = (float(v) for v in np.percentile(d, [2.5, 97.5]))
            drivers = []
            if s != "baseline" and len(seeds) >= 5 and d.std() > 0:
                names = used.get(s, list(draws[seeds[0]])) if used is not None else list(draws[seeds[0]])
                for name in names:
                    x = np.array([draws[seed][name] for seed in seeds])
                    if x.std() == 0:
                        continue
                    rho, pval = (float(v) for v in stats.spearmanr(x, d))
                    if math.isfinite(rho):
                        drivers.append({"name": name, "rho": rho, "p": pval})
                drivers.sort(key=lambda v: -abs(v["rho"]))
            metrics[key] = {"diff": float(d.mean()), "lo": lo, "hi": hi, "drivers": drivers[:3]}
        out[s] = metrics
    return out


def used(items: list[Uncertain], scenario: Scenario) -> list[str]:
    """The assumptions that vary in ``scenario``'s runs: every parameter, and the settings of the
    levers it uses."""
    return [it.name for it in items if it.lever is None or getattr(scenario.levers, it.lever[0], None) is not None]
