"""The base class of a policy lever, and the hooks the simulation core calls.

A lever is a plug-in: the core (:mod:`rccsim.core.engine`) never names one. It calls each lever
of the run, in the order of :data:`rccsim.levers.REGISTRY`, at these points:

``setup(model)``
    At the start date, once the start state is built: change the search policy, charge costs,
    contract beds, start the lever's own SimPy processes.
``start_processes(model)``
    Right after the core has started its recurring processes (sampling that must run after them).
``applications(model, who, lags)``
    This month's applications to foster (``who``: -1 - LA index, or an agency's provider id) with
    their assessment lags in days; returns them changed (more applicants, shorter lags).
``carer_leave_rate(model, households, rate)``
    The yearly leaving rate of mainstream fostering households ``households``; returns it changed.
``staff_recruits(model, day, vacancies)``
    This month's care staff the lever brings to children's homes (a workforce academy's recruits),
    by region (:class:`rccsim.core.workforce.Workforce`), given each region's vacancies after
    leavers; returns those hired (at most the vacancies) and those of the lever's recruits who
    leave this month beyond the region's rate, or None.
``costs(model)``
    Costs the lever works out at the end of the run (GBP by run year, per item), on top of those it
    charged as it went (:func:`charge`).
``report(model, accounts)`` and ``yearly_report(model, year_index)``
    What the lever reports in the run record, over the run and for one run year. ``accounts``
    holds the run's spend by payer and year (:mod:`rccsim.outputs.metrics`). Every key a lever
    reports has a default in ``REPORT_DEFAULTS`` / ``YEARLY_DEFAULTS`` so that runs with and
    without the lever have the same keys.

A lever's mechanism, its costs and its results live in its own module.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict


class LeverSettings(BaseModel):
    """A lever's settings in a scenario file: unknown keys and non-finite numbers are refused."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    def as_scenario(self) -> dict:
        """The settings as a scenario file gives them (a file written from this reads back the same)."""
        return self.model_dump(mode="json", exclude_none=True)


class Lever:
    """A policy lever in a run: every hook does nothing unless the lever overrides it."""

    #: the key of the lever in a scenario's ``levers:`` section
    key: str = ""
    #: defaults of what :meth:`report` and :meth:`yearly_report` return (same keys in every run)
    REPORT_DEFAULTS: dict = {}
    YEARLY_DEFAULTS: dict = {}

    def __init__(self, settings: LeverSettings | None = None):
        self.settings = settings

    def setup(self, model) -> None:
        pass

    def start_processes(self, model) -> None:
        pass

    def applications(self, model, who: np.ndarray, lags: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return who, lags

    def carer_leave_rate(self, model, households: np.ndarray, rate: np.ndarray) -> np.ndarray:
        return rate

    def staff_recruits(self, model, day: int, vacancies: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        return None

    def costs(self, model) -> dict[str, np.ndarray]:
        return {}

    def report(self, model, accounts) -> dict:
        return {}

    def yearly_report(self, model, year_index: int) -> dict:
        return {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.settings!r})"


def charge(model, item: str, year_index: int, amount: float) -> None:
    """Add ``amount`` (GBP) to the lever cost ``item`` of run year ``year_index`` (0-based)."""
    arr = model.lever_costs.setdefault(item, np.zeros(model.years))
    arr[year_index] += amount


def cost_items(model) -> dict[str, np.ndarray]:
    """The levers' costs by item (GBP by run year): what they charged as the run went, then what
    they work out from the run so far (:meth:`Lever.costs`; an item two levers report is counted
    once)."""
    items = {k: np.asarray(v, dtype=float) for k, v in getattr(model, "lever_costs", {}).items()}
    for lever in model.levers:
        items.update({k: np.asarray(v, dtype=float) for k, v in lever.costs(model).items()})
    return items


def charge_yearly(model, item: str, amount: float) -> None:
    """``amount`` (GBP) in every run year."""
    for k in range(model.years):
        charge(model, item, k, amount)


def members_mask(model) -> np.ndarray:
    """Whether each LA is a member of the run's RCC."""
    mask = np.zeros(model.geo.n, dtype=bool)
    mask[model.rcc.member_index] = True
    return mask


# Plausible maxima. A setting beyond one is refused (one line naming the key): it is a typo, not a
# policy. They are set well beyond what one RCC could do, against England's whole market: about
# 2,900 children's homes with 11,000 places (Ofsted, 31 March 2023) and 36,000 fostering
# households (Ofsted, 31 March 2022); the pathfinders' funding is a few million pounds a year.
MAX_GBP = 1.0e9  # any one sum of money: GBP 1bn
MAX_BEDS = 5_000  # beds one RCC reserves: about half of England's places in children's homes
MAX_CAPITAL_HOMES = 1_000  # homes one capital programme builds (capital_gbp / cost_per_home_gbp)
