"""Where the bundled data lives: every data path of the package goes through here.

In a checkout of the repository the data are its folders: ``calibration/`` (the parameter
registry, the installed fit, the targets, and the published and derived tables under
``calibration/data``) and ``experiments/scenarios``. An installed package (``pip install .``)
carries copies of both inside it (``rccsim/_bundled``), so the command runs from any folder.
``RCCSIM_DATA`` names another data folder (a ``data`` folder whose parent holds the parameter
registry), for tests and for users with their own tables.
"""

from __future__ import annotations

import os
from pathlib import Path

_HERE = Path(__file__).resolve()


def checkout_root() -> Path | None:
    """The repository this package runs from, or None for an installed package."""
    root = _HERE.parents[3]  # model/rccsim/base/paths.py -> the repository
    if (root / "calibration" / "parameters.yaml").is_file() and (root / "model" / "rccsim").is_dir():
        return root
    return None


def _bundled() -> Path:
    return _HERE.parents[1] / "_bundled"


def data_dir() -> Path:
    """The data folder: published and derived tables (``RCCSIM_DATA`` overrides it)."""
    env = os.environ.get("RCCSIM_DATA")
    if env:
        return Path(env)
    root = checkout_root()
    return (root / "calibration" if root else _bundled() / "calibration") / "data"


def calibration_dir() -> Path:
    """The folder of the parameter registry, the installed fit and the calibration targets."""
    return data_dir().parent


def scenario_dir() -> Path:
    """The bundled scenarios."""
    root = checkout_root()
    return root / "experiments" / "scenarios" if root else _bundled() / "scenarios"


SCENARIO_DIR = scenario_dir()
