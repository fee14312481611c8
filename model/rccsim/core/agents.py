"""The organisations: local authorities, providers and the Regional Care Cooperative.

These are Mesa agents. Children, foster households and homes are many and live as columns
(:mod:`rccsim.base.tables`); the organisations are few, hold money and make the rare decisions (open a
home, close one, recruit carers). Decisions that run over many units at once are vectorised in
:mod:`rccsim.core.providers` and :mod:`rccsim.core.carers` and call back into these agents for the rare acts.
"""

from __future__ import annotations

import mesa
import numpy as np


class LocalAuthority(mesa.Agent):
    """A children's services authority: responsible for its children, runs its own provision, pays.

    Attributes:
        index: row in ``Geography.las``.
        code, name, region: ONS code, name, region.
        simulated: its children are simulated in this run (else only its provision exists).
        spend: placement spend so far (GBP), by payer.
    """

    def __init__(self, model, index: int, code: str, name: str, region: str, simulated: bool):
        super().__init__(model)
        self.index = index
        self.code = code
        self.name = name
        self.region = region
        self.simulated = simulated
        self.rcc: RCC | None = None

    def __repr__(self) -> str:
        return f"LocalAuthority({self.code} {self.name})"


class Provider(mesa.Agent):
    """An independent provider: a children's homes operator, a fostering agency or a supported
    accommodation provider (private or voluntary).

    Attributes:
        name: owning organisation (Ofsted provider-level data) or a synthetic name.
        sector: codes.Sector.
        utype: codes.UnitType of its units.
        base_la: LA of its registered office or first home.
    """

    def __init__(self, model, name: str, sector: int, utype: int, base_la: int):
        super().__init__(model)
        self.name = name
        self.sector = int(sector)
        self.utype = int(utype)
        self.base_la = int(base_la)
        self.revenue = 0.0
        self.costs = 0.0

    def units(self) -> np.ndarray:
        """Ids of this provider's units (open or closed)."""
        u = self.model.units
        return np.flatnonzero(u.provider[: u.n] == self.pid)

    @property
    def pid(self) -> int:
        return self.model.provider_index[self]

    def __repr__(self) -> str:
        return f"Provider({self.name!r})"


class RCC(mesa.Agent):
    """A Regional Care Cooperative: a regional body acting for its member LAs.

    Its policy levers (pooled budget, single regional customer, capital homes, fostering hub,
    shared placements, block contracts, forecast-led commissioning) arrive with the scenario
    levers; in the simulation core it holds its members and reports for them.
    """

    def __init__(self, model, name: str, members: list[LocalAuthority]):
        super().__init__(model)
        self.name = name
        self.members = members
        for la in members:
            la.rcc = self

    @property
    def member_index(self) -> np.ndarray:
        return np.array([la.index for la in self.members], dtype=np.int64)


def new_provider(model, name: str, sector: int, utype: int, base_la: int) -> int:
    """A new provider agent of ``model``; returns its index in ``model.providers``."""
    prov = Provider(model, name, sector, utype, base_la)
    pid = len(model.providers)
    model.providers.append(prov)
    model.provider_index[prov] = pid
    return pid
