"""Single regional customer: the RCC buys for its member LAs as one customer.

Member referrals count as one buyer when a provider sees how many buyers chase its places (no
bidding between members), each referral circulates over the independent provision of the whole
region as well as the child's neighbourhood, and the RCC negotiates: where a provider has spare
places (its local market's occupancy below full), it concedes part of its margin over cost, in
proportion to the spare share and the RCC's ``bargaining_power`` (0: no concession). The market
mechanics are the search policy's (:meth:`rccsim.core.market.SearchPolicy.buy_as_one`).
"""

from __future__ import annotations

from pydantic import Field

from rccsim.levers.base import Lever, LeverSettings


class SingleCustomerSettings(LeverSettings):
    # an assumption bounded by the published price cuts of joint buying (0-10%): its sources, and the
    # cut each value gives, are in calibration/uncertainty.yaml and docs/levers.md
    bargaining_power: float = Field(0.5, ge=0.0, le=1.0)


class SingleCustomer(Lever):
    key = "single_customer"

    def setup(self, model) -> None:
        model.market.policy.buy_as_one(self.settings.bargaining_power)
