"""The simulation's agents kept as columns: children and units of provision (foster households,
children's homes, supported accommodation). See :class:`rccsim.base.tables.Table`."""

from __future__ import annotations

import numpy as np

from rccsim.base.tables import Table


class Children(Table):
    """Children who are, or have been, looked after during the run."""

    COLUMNS = {
        "la": ("int16", -1),  # responsible LA (index into Geography.las)
        "home_pc": ("int32", -1),  # home postcode (index into the postcode sample)
        "home_e": ("float64", 0.0),
        "home_n": ("float64", 0.0),
        "dob": ("int32", 0),  # day of birth (day 0 = the start date)
        "male": ("bool", False),
        "need": ("int8", 0),
        "flags": ("int16", 0),
        "legal": ("int8", 0),  # index into children.LEGAL_CODES
        "entered": ("int32", 0),  # day the current period of care began
        "initial": ("bool", False),  # in care at the start date
        "in_care": ("bool", False),
        "exit_day": ("int32", 2**31 - 1),  # scheduled day of leaving care
        "exit_route": ("int8", -1),  # index into codes.EXIT_CODES
        "exited": ("int32", -1),  # day care ended (-1: still in care)
        "plan_parents": ("bool", False),  # care plan: placed with parents
        "plan_kin": ("bool", False),  # a relative or friend can care for the child
        "plan_other": ("bool", False),  # first placement in another setting (NHS, mother and baby...)
        "adopt_move_day": ("int32", 2**31 - 1),  # planned move to the adoptive family
        # current placement
        "kind": ("int8", -1),  # codes.Kind, -1 while waiting for a placement
        "unit": ("int32", -1),
        "payer": ("int16", -1),  # LA paying for the placement (the responsible LA)
        "price": ("float64", 0.0),  # weekly price of the current placement (GBP)
        "place_start": ("int32", 0),
        "place_e": ("float64", 0.0),
        "place_n": ("float64", 0.0),
        "place_la": ("int16", -1),  # LA where the placement is
        "distance": ("float64", 0.0),  # miles from home to placement
        "end_day": ("int32", 2**31 - 1),  # scheduled end of the current placement
        "end_reason": ("int8", -1),  # codes.REASON index for the scheduled end
        "end_rematch": ("bool", False),  # the scheduled end is a move nearer home (children.rematch_hazard)
        "n_placements": ("int32", 0),  # placements in the current period of care
        "n_breakdowns": ("int32", 0),  # unplanned endings in this period of care
        "waiting_since": ("int32", -1),  # day the current search began (-1: not searching)
        "last_place_start": ("int32", 0),  # start of the placement before the current one
        "last_unit": ("int32", -1),  # unit of the placement before, in this period of care (a move goes elsewhere)
    }


class Units(Table):
    """Units of provision: fostering households, children's homes, supported accommodation."""

    COLUMNS = {
        "utype": ("int8", 0),  # codes.UnitType
        "kind": ("int8", 0),  # codes.Kind a child placed here is in
        "sector": ("int8", 0),  # codes.Sector
        "owner_la": ("int16", -1),  # LA that runs or approved it (-1: independent provider)
        "provider": ("int32", -1),  # Provider agent id (-1: LA provision)
        "la": ("int16", -1),  # LA where it is
        "pc": ("int32", -1),  # postcode sample index
        "east": ("float64", 0.0),  # OS grid metres
        "north": ("float64", 0.0),
        "places": ("int16", 0),  # beds or approved places
        "unavailable": ("int16", 0),  # places not offered now: unavailable_base + unstaffed
        "unavailable_base": ("int16", 0),  # approved places not offered (carer's choice, a home's matching)
        "unstaffed": ("int16", 0),  # a home's places without staff (rccsim.core.workforce)
        "solo_held": ("int16", 0),  # a home's places held back for the child who lives there alone
        "labour_factor": ("float64", 1.0),  # a home's labour cost relative to the start (wages, agency)
        "margin_ema": ("float64", 0.0),  # a home's operating margin, smoothed over quarterly reviews
        "margin_seen": ("bool", False),  # the home has had a margin review
        "occupied": ("int16", 0),  # places filled by simulated children
        "bg_occupied": ("int16", 0),  # places filled by children of LAs outside the run (regional runs)
        "staying_put": ("int16", 0),  # places kept by young adults staying put after 18
        "max_need": ("int8", 0),  # highest need level the unit can meet
        "open": ("bool", False),
        "opened": ("int32", 0),
        "closed": ("int32", -1),
        "kinship": ("bool", False),
        "for_child": ("int32", -1),  # kinship carers: the child they were approved for
        "breakdowns": ("int16", 0),  # unplanned endings in the last review period
        "failing": ("int8", 0),  # consecutive quarterly reviews below break-even occupancy
        "pool": ("int32", -1),  # market pool (see market.py)
        "weekly_cost": ("float64", 0.0),  # provider's running cost per week (homes: whole home)
        "occ_days": ("float64", 0.0),  # occupied place-days since the last review
        "price_level": ("float64", 0.0),  # the unit's list price per week (before need loadings)
        "regional": ("int8", 0),  # held by the RCC: 1 built with its capital, 2 on block contract
        "focus": ("int8", 0),  # an RCC home's codes.Focus: which children it is for (0: any)
    }

    def append(self, count: int, **values) -> np.ndarray:
        """New units; places not offered at opening are their base (matching, a carer's choice)."""
        if "unavailable" in values and "unavailable_base" not in values:
            values["unavailable_base"] = values["unavailable"]
        return super().append(count, **values)

    def free(self) -> np.ndarray:
        """Places that could take a child now."""
        n = self.n
        return (
            self.places[:n]
            - self.unavailable[:n]
            - self.occupied[:n]
            - self.bg_occupied[:n]
            - self.staying_put[:n]
        ) * self.open[:n]
