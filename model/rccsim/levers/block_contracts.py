"""Block contracts: the RCC reserves whole independent homes in or near its members.

Up to ``beds`` beds at their list price less ``discount``, paid every week whether the beds are
used or not (the empty part is reported as voids); the reserved homes take members' children as
their own. The contracts are kept in the run's :class:`rccsim.levers.blocks.BlockBook`.
"""

from __future__ import annotations

from pydantic import Field

from rccsim.levers.base import MAX_BEDS, Lever, LeverSettings
from rccsim.levers.blocks import book


class BlockContractsSettings(LeverSettings):
    beds: int = Field(20, ge=0, le=MAX_BEDS)
    discount: float = Field(0.10, ge=0.0, lt=1.0)


class BlockContracts(Lever):
    key = "block_contracts"
    holds_beds = True
    uses_blocks = True

    def setup(self, model) -> None:
        book(model).contract(model, self.settings.beds, self.settings.discount, day=0)
