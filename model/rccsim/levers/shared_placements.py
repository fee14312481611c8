"""Shared placements: LA-run homes and LA foster carers of any member take every member's children.

The owning LA's children come first; ``host_reserve`` free places of each member's in-house
provision (per pool and need level) are kept for its own children (0: none kept). Other members'
provision is checked on a regional register alongside each child's referrals
(:meth:`rccsim.core.market.SearchPolicy.share_in_house`).
"""

from __future__ import annotations

from pydantic import Field

from rccsim.levers.base import Lever, LeverSettings


class SharedPlacementsSettings(LeverSettings):
    host_reserve: int = Field(0, ge=0, le=10_000)  # free places kept, per pool and need level


class SharedPlacements(Lever):
    key = "shared_placements"

    def setup(self, model) -> None:
        model.market.policy.share_in_house(self.settings.host_reserve)
