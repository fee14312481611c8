"""RCC policy levers: each a change in who does what, never a multiplier on a result.

A scenario switches levers on under ``levers:`` (see ``experiments/scenarios/``). Each lever is a
plug-in (:class:`rccsim.levers.base.Lever`) in a module of its own, with its settings, its
mechanism, its costs and what it reports; the simulation core calls its hooks and never names it:

``single_customer``
    The RCC buys for its member LAs as one customer (:mod:`rccsim.levers.single_customer`).
``shared_placements``
    LA-run homes and LA foster carers of any member take every member's children
    (:mod:`rccsim.levers.shared_placements`).
``capital_homes``
    A capital sum builds RCC homes, run at cost (:mod:`rccsim.levers.capital_homes`).
``fostering_hub``
    Regional recruitment and support of LA foster carers (:mod:`rccsim.levers.fostering_hub`).
``block_contracts``
    Whole independent homes reserved, paid whether used or not (:mod:`rccsim.levers.block_contracts`).
``forecast_led``
    Beds block-contracted each year ahead of forecast demand (:mod:`rccsim.levers.forecast_led`).
``pooled_budget``
    Members' spend paid from a regional pot (:mod:`rccsim.levers.pooled_budget`).
``workforce_academy``
    The RCC trains people to work in children's homes of its region
    (:mod:`rccsim.levers.workforce_academy`).
``rcc_beds``
    How the beds the RCC holds are filled (a regional panel's admission order) and what members
    pay for them (:mod:`rccsim.levers.rcc_beds`); added to every run with a lever that holds beds.
``rcc_running_cost_gbp_per_year``
    The RCC's own running cost (:mod:`rccsim.levers.running_cost`).

Costs of the levers (capital, block payments including voids, hub budget, RCC running costs) are
counted in ``cost_total_gbp`` and itemised in ``lever_costs_gbp``.
"""

from __future__ import annotations

from pydantic import Field

from rccsim.levers.base import MAX_GBP, Lever, LeverSettings
from rccsim.levers.block_contracts import BlockContracts, BlockContractsSettings
from rccsim.levers.blocks import BlockBook
from rccsim.levers.capital_homes import CapitalHomes, CapitalHomesSettings
from rccsim.levers.forecast_led import ForecastLed, ForecastLedSettings
from rccsim.levers.fostering_hub import FosteringHub, FosteringHubSettings
from rccsim.levers.pooled_budget import PooledBudget, PooledBudgetSettings
from rccsim.levers.rcc_beds import RccBeds, RccBedsSettings
from rccsim.levers.running_cost import RunningCost
from rccsim.levers.shared_placements import SharedPlacements, SharedPlacementsSettings
from rccsim.levers.single_customer import SingleCustomer, SingleCustomerSettings
from rccsim.levers.workforce_academy import WorkforceAcademy, WorkforceAcademySettings

#: every lever, in the order the core calls their hooks
REGISTRY: tuple[type[Lever], ...] = (RunningCost, SingleCustomer, SharedPlacements, CapitalHomes, BlockContracts,
                                     FosteringHub, ForecastLed, PooledBudget, WorkforceAcademy)
POLICY_LEVERS = ("single_customer", "shared_placements", "capital_homes", "fostering_hub", "block_contracts",
                 "forecast_led", "pooled_budget", "workforce_academy")


class Levers(LeverSettings):
    """The scenario's ``levers:`` section; a lever absent is off."""

    single_customer: SingleCustomerSettings | None = None
    shared_placements: SharedPlacementsSettings | None = None
    capital_homes: CapitalHomesSettings | None = None
    fostering_hub: FosteringHubSettings | None = None
    block_contracts: BlockContractsSettings | None = None
    forecast_led: ForecastLedSettings | None = None
    pooled_budget: PooledBudgetSettings | None = None
    workforce_academy: WorkforceAcademySettings | None = None
    rcc_beds: RccBedsSettings | None = None
    rcc_running_cost_gbp_per_year: float = Field(0.0, ge=0.0, le=MAX_GBP)

    def active(self) -> list[str]:
        return [name for name in POLICY_LEVERS if getattr(self, name) is not None]


def build(settings: Levers) -> list[Lever]:
    """The lever objects of a run, in :data:`REGISTRY` order (the block book, shared by the levers
    that contract beds, goes last)."""
    out: list[Lever] = []
    for cls in REGISTRY:
        value = getattr(settings, cls.key)
        if value is None or (cls is RunningCost and not value):
            continue
        out.append(cls(value))
    if any(getattr(lv, "holds_beds", False) for lv in out):
        # first: the panel and the recharge are in place before a lever contracts or opens beds
        out.insert(0, RccBeds(settings.rcc_beds))
    if any(getattr(lv, "uses_blocks", False) for lv in out):
        out.append(BlockBook())
    return out


def report_defaults() -> tuple[dict, dict]:
    """What levers report (over the run, per year), at the values of a run without them."""
    whole, yearly = {}, {}
    for cls in (*REGISTRY, BlockBook):
        whole.update(cls.REPORT_DEFAULTS)
        yearly.update(cls.YEARLY_DEFAULTS)
    return whole, yearly


__all__ = ["Lever", "Levers", "REGISTRY", "build", "report_defaults", "BlockContractsSettings", "CapitalHomesSettings",
           "ForecastLedSettings", "FosteringHubSettings", "PooledBudgetSettings", "RccBedsSettings", "SharedPlacementsSettings",
           "SingleCustomerSettings", "WorkforceAcademySettings"]
