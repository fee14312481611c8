"""Provision opening and closing: children's homes, supported accommodation and carers' households.

Units open after their purchase and registration lag (planned by providers and LAs in
:mod:`rccsim.core.providers`, or by a lever) on the first tick on or after their day, and close
when their provider, carer or the RCC closes them; children placed in a closing unit move (reason
CLOSE) in the tick's search.
"""

from __future__ import annotations

import numpy as np

from rccsim.base.codes import REASON, Kind, Sector, UnitType
from rccsim.core import providers


class Provision:
    """Opens and closes units of provision for a run (``model.provision``)."""

    def __init__(self, model):
        self.model = model
        #: units planned to open: (tick, provider, unit type, LA, places, highest need)
        self.pending: list[tuple[int, int, int, int, int, int]] = []

    def close_units(self, ids: np.ndarray, day: int) -> None:
        """Close units: children placed there move (reason CLOSE)."""
        model = self.model
        u, c = model.units, model.children
        ids = np.asarray(ids, dtype=np.int64)
        u.open[ids] = False
        u.closed[ids] = day
        u.staying_put[ids] = 0
        u.bg_occupied[ids] = 0
        n = c.n
        closing = np.zeros(u.n + 1, dtype=bool)  # by unit; the last entry stands for "no unit" (-1)
        closing[ids] = True
        placed = np.flatnonzero(closing[c.unit[:n]] & c.in_care[:n])
        if len(placed):
            model.placements.end_current(placed, day, REASON["CLOSE"])
            if model.placements.displaced is not None:
                # during a tick: they join the tick's referrals (the market meets once a tick)
                model.placements.displaced.append((placed, np.full(len(placed), day, dtype=np.int64)))
            else:
                model.placements.need_placement(placed, day)
        model.market.touch(ids)
        homes = ids[u.utype[ids] == UnitType.HOME]  # children's homes (as Ofsted counts leavers)
        if len(homes):
            model.recorder.count("homes_closed", day, u.sector[homes], u.la[homes])

    def plan_opening(self, day: int, provider: int, utype: int, la: int, places: int, max_need: int) -> None:
        """A home or supported unit opens on the first tick on or after ``day`` (after its
        purchase and registration lag); ``provider`` < 0 is LA ``-1 - provider``'s own."""
        model = self.model
        self.pending.append((model.tick_on_or_after(day), provider, utype, la, places, max_need))

    def open_due(self, now: int) -> None:
        """Open the planned units due by tick ``now``, in the order they were planned."""
        pending = self.pending
        if not pending or min(o[0] for o in pending) > now:
            return
        due = [o for o in pending if o[0] <= now]
        self.pending = [o for o in pending if o[0] > now]
        _, provider, utype, la, places, max_need = (np.array(col, dtype=np.int64) for col in zip(*due))
        self.open_units(provider, utype, la, places, max_need, now)

    def open_unit(self, provider: int, utype: int, la: int, places: int, max_need: int, day: int) -> int:
        """Open one unit now (see :meth:`open_units`); returns its id."""
        arr = (np.array([v], dtype=np.int64) for v in (provider, utype, la, places, max_need))
        return int(self.open_units(*arr, day)[0])

    def open_units(self, provider, utype, la, places, max_need, day: int, regional: int = 0,
                   site_stream: str = "provider_entry", focus=0) -> np.ndarray:
        """Open units (arrays, one entry a unit) on ``day``, each at a postcode of its LA drawn
        from ``site_stream``; ``regional`` marks homes the RCC holds (see :mod:`rccsim.levers`) and
        ``focus`` which children they are for (:class:`rccsim.base.codes.Focus`)."""
        model = self.model
        geo = model.geo
        la_run = provider < 0
        owner = np.where(la_run, -1 - provider, -1)
        sector = np.array([Sector.LA if p < 0 else model.providers[p].sector for p in provider.tolist()], dtype=np.int64)
        pid = np.where(la_run, -1, provider)
        kind = np.where(utype == UnitType.SUPPORTED, Kind.SUPPORTED, np.where(sector == Sector.LA, Kind.HOME_LA, Kind.HOME_IND))
        pc = geo.sample_points(la, model.streams[site_stream].random(len(la)))
        ids = model.units.append(
            len(la), utype=utype, kind=kind, sector=sector, owner_la=owner, provider=pid, la=la, pc=pc,
            east=geo.pc_e[pc], north=geo.pc_n[pc], places=places, max_need=max_need, open=True, opened=day,
            regional=regional, focus=focus,
        )
        model.units.weekly_cost[ids] = providers.home_weekly_cost(model, ids)
        model.market.attach_units(ids)
        home = utype == UnitType.HOME  # children's homes (as Ofsted counts joiners)
        if home.any():
            model.recorder.count("homes_opened", day, sector[home], la[home])
        return ids
