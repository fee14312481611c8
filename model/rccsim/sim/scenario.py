"""Scenarios: a YAML file of parameter overrides and RCC policy levers, validated.

A scenario is a YAML file::

    name: my_scenario
    description: what it tests
    parameters:              # overrides of the defaults, by dotted name
      demand.entry_multiplier: 1.1
    levers: {}               # RCC policy levers (see rccsim.levers)

Unknown keys, keys given twice, non-finite numbers and lever sizes beyond a plausible maximum are
errors (one line naming the key), never silently ignored.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from rccsim.base.errors import InputError
from rccsim.base.paths import SCENARIO_DIR
from rccsim.inputs.files import read_yaml_strict
from rccsim.levers import Levers


class Scenario(BaseModel):
    """A scenario file: parameter overrides and policy levers."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    name: str = Field(min_length=1, max_length=120, pattern=r"^[^\x00-\x1f\x7f]+$")  # one printable line
    title: str = Field("", max_length=200)  # a plain name for reports ("Four capital-funded homes, £5m")
    description: str = ""
    parameters: dict[str, float | int | list[float]] = Field(default_factory=dict)
    levers: Levers = Field(default_factory=Levers)
    #: the LAs the RCC's levers act for (names or codes, each in the run's region); absent: the
    #: region's co-operative (a pathfinder's members), or every LA of the region
    members: list[str] | None = Field(None, min_length=1, max_length=400)

    def canonical(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def digest(self) -> str:
        """A short hash of the scenario's content (its name, settings and parameters), as records
        carry it; levers and settings left out (None) are not hashed, so adding a lever or an
        optional setting to the code does not change the hash of a scenario that does not use it."""
        content = self.model_dump(mode="json", exclude_none=True)
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:12]


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
    if path.is_dir():
        raise InputError(f"scenario {path} is a folder, not a YAML file")
    if not path.is_file():
        raise InputError(f"scenario file not found: {path}")
    raw = read_yaml_strict(path, "scenario")
    if not isinstance(raw, dict):
        raise InputError(f"scenario {path} must be a YAML mapping with at least a 'name'")
    raw.setdefault("name", path.stem)
    return parse_scenario(raw, f"scenario {path}")


def parse_scenario(raw: dict, where: str = "scenario") -> Scenario:
    """A scenario from its mapping (a YAML file's, or the dashboard's form), checked as a file is:
    one line naming the first key that is wrong."""
    try:
        return Scenario.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        # the members of a union (float | int | list[float]) are not keys of the file
        loc = ".".join(str(x) for x in err["loc"] if not (isinstance(x, str) and x in _UNION_TAGS))
        kind = "unknown scenario key" if err["type"] == "extra_forbidden" else "bad value for"
        msg = str(err["msg"]).removeprefix("Value error, ")
        raise InputError(f"{where}: {kind} '{loc}' ({msg})") from None
