"""Block contracts: the RCC reserves whole independent homes in or near its members.

Up to ``beds`` beds at their list price less ``discount``, paid every week whether the beds are
used or not (the empty part is reported as voids); the regional panel fills them. Each contract runs
for ``term_years`` and is then renewed at the day's price, if its provider agrees, or replaced by
another home's. The contracts are kept in the run's :class:`rccsim.levers.blocks.BlockBook`.
"""

from __future__ import annotations

from pydantic import Field

from rccsim.levers.base import MAX_BEDS, Lever, LeverSettings
from rccsim.levers.blocks import book


class BlockContractsSettings(LeverSettings):
    beds: int = Field(20, ge=0, le=MAX_BEDS)
    discount: float = Field(0.10, ge=0.0, lt=1.0)
    term_years: float = Field(3.0, ge=0.25, le=25.0)


class BlockContracts(Lever):
    key = "block_contracts"
    holds_beds = True
    uses_blocks = True

    def setup(self, model) -> None:
        cfg = self.settings
        blocks = book(model)
        blocks.keep(self.key, cfg.beds, cfg.discount, cfg.term_years)
        blocks.contract(model, cfg.beds, cfg.discount, day=0, term_years=cfg.term_years, owner=self.key)
