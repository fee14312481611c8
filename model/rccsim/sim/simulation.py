"""The simulation front end: a run of a scenario for a region, from a start year, on a seed."""

from __future__ import annotations

from rccsim.core.engine import CareMarket


def Simulation(**kwargs) -> CareMarket:
    """Build a run (see :class:`CareMarket` for arguments); call ``.run()`` on it."""
    return CareMarket(**kwargs)
