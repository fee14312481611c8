"""Capital-funded homes: a capital sum builds RCC homes, run at cost and open to every member.

``floor(capital_gbp / cost_per_home_gbp)`` homes of ``places`` beds are sited one at a time where the
RCC's own data show most unmet need (``mix`` instead builds homes of several kinds, in proportion to
each kind's ``count``: each with its beds, its highest need level and the children it is for,
:class:`rccsim.base.codes.Focus`, as GM's Project Skyline plans homes for mental health needs,
younger children, older teenagers and children at risk of exploitation): the member LA with the most children in independent homes more
than 20 miles away or in emergency and unregistered settings (less the beds already built there;
on a tie, the member with more children in independent homes). Each opens when it is built
(``build_days``) and has found its registered manager, recruited from the region's workforce
during the build as any new home's is (:meth:`rccsim.core.workforce.Workforce.manager_wait_days`);
its places are then staffed from the same workforce as the market's homes. They
are run at cost (no profit, staffed whether full or empty: their running cost is paid every week,
with no rent: the capital bought them), and a regional panel fills them
(:mod:`rccsim.levers.rcc_beds`).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from rccsim.base.codes import Focus, Kind, Regional, UnitType
from rccsim.levers.base import MAX_CAPITAL_HOMES, MAX_GBP, Lever, LeverSettings, charge
from rccsim.levers.rcc_beds import capital_home_running


class HomeKindSettings(LeverSettings):
    """One kind of home in a capital programme's ``mix``."""

    count: int = Field(1, ge=1, le=MAX_CAPITAL_HOMES)  # its weight in the mix (homes of this kind per round of the mix)
    places: int = Field(4, ge=1, le=12)
    max_need: int = Field(2, ge=0, le=2)
    children: Literal["any", "highest_needs", "younger", "adolescent", "exploitation"] = "any"


class CapitalHomesSettings(LeverSettings):
    capital_gbp: float = Field(5_000_000.0, ge=0.0, le=MAX_GBP)
    cost_per_home_gbp: float = Field(1_250_000.0, ge=50_000.0, le=50_000_000.0)
    places: int = Field(4, ge=1, le=12)
    max_need: int = Field(2, ge=0, le=2)
    build_days: int = Field(540, ge=0, le=3650)
    mix: list[HomeKindSettings] | None = Field(None, min_length=1, max_length=20)

    @model_validator(mode="after")
    def _homes(self):
        n = int(self.capital_gbp // self.cost_per_home_gbp)
        if n > MAX_CAPITAL_HOMES:
            raise ValueError(f"capital_gbp / cost_per_home_gbp builds {n:,} homes; at most {MAX_CAPITAL_HOMES:,} "
                             "(England has about 2,900 children's homes)")
        if self.mix is not None and {"places", "max_need"} & self.model_fields_set:
            raise ValueError("with a mix, give places and max_need in each kind of home, not for the programme")
        return self

    def as_scenario(self) -> dict:
        out = super().as_scenario()
        if self.mix is not None:  # the kinds carry their sizes
            out.pop("places", None)
            out.pop("max_need", None)
        return out

    def homes(self) -> list[HomeKindSettings]:
        """The kind of each home built, in the order they are sited: ``floor(capital_gbp /
        cost_per_home_gbp)`` homes shared among the mix's kinds in proportion to their ``count``
        (largest remainder; a tie goes to the kind listed first), then ordered round by round
        (one of each kind in turn), so the first homes sited are of every kind."""
        n = int(self.capital_gbp // self.cost_per_home_gbp)
        kinds = self.mix or [HomeKindSettings(count=1, places=self.places, max_need=self.max_need)]
        w = np.array([k.count for k in kinds], dtype=float)
        quota = n * w / w.sum()
        share = np.floor(quota).astype(np.int64)
        rest = n - int(share.sum())
        if rest > 0:
            share[np.lexsort((np.arange(len(kinds)), -(quota - share)))[:rest]] += 1
        out = []
        for r in range(int(share.max(initial=0))):
            out.extend(k for k, m in zip(kinds, share.tolist()) if m > r)
        return out


def far_residential_by_la(model) -> np.ndarray:
    """Children of each LA in independent homes more than 20 miles from home (now)."""
    c = model.children
    n = c.n
    far = c.in_care[:n] & (c.kind[:n] == Kind.HOME_IND) & (c.distance[:n] > 20.0)
    return np.bincount(c.la[:n][far], minlength=model.geo.n).astype(float)


def unmet_need_by_la(model) -> tuple[np.ndarray, np.ndarray]:
    """Each LA's children the market serves worst (now): in independent homes more than 20 miles
    from home, or in emergency and unregistered settings; and, to break ties, its children in
    independent homes."""
    c = model.children
    n = c.n
    unreg = c.in_care[:n] & (c.kind[:n] == Kind.UNREGISTERED)
    ind = c.in_care[:n] & (c.kind[:n] == Kind.HOME_IND)
    need = far_residential_by_la(model) + np.bincount(c.la[:n][unreg], minlength=model.geo.n)
    return need, np.bincount(c.la[:n][ind], minlength=model.geo.n).astype(float)


class HomeBuilder:
    """Builds RCC homes one programme at a time: sites each where the RCC's own data show most unmet
    need, opens it when built and managed, and prices its beds at cost recovery. A capital
    programme uses one; so does a pooled budget that reinvests its surplus
    (:mod:`rccsim.levers.pooled_budget`)."""

    def __init__(self):
        self.hosts: list[int] = []
        self.places = np.zeros(0, dtype=np.int64)
        self.max_need = np.zeros(0, dtype=np.int64)
        self.focus = np.zeros(0, dtype=np.int64)
        self.open_days = np.zeros(0, dtype=np.int64)

    def build(self, model, kinds: list[HomeKindSettings], build_days: int) -> list[int]:
        """Start building ``kinds`` (one home each) now; returns their host LAs."""
        if not kinds:
            return []
        first = len(self.hosts)
        places = np.array([k.places for k in kinds], dtype=np.int64)
        members = model.rcc.member_index
        need, tie = (v[members] for v in unmet_need_by_la(model))
        # beds still being built, by this programme or another (a capital programme and a pooled
        # budget's reinvestment in one run), count against their LA's need; homes already open
        # have taken their children out of the count
        now = int(model.env.now)
        builders = model.__dict__.setdefault("rcc_home_builders", [])
        if self not in builders:
            builders.append(self)
        for builder in builders:
            pending = builder.open_days > now
            for la, n in zip(np.asarray(builder.hosts, dtype=np.int64)[pending], builder.places[pending]):
                need[members == la] -= n
        hosts = []
        for h in range(len(kinds)):
            # most unmet need; on a tie, most children in independent homes; then the list's order
            i = int(np.lexsort((np.arange(len(members)), -tie, -need))[0])
            hosts.append(int(members[i]))
            need[i] -= places[h]
        self.hosts += hosts
        self.places = np.concatenate([self.places, places])
        self.max_need = np.concatenate([self.max_need, [k.max_need for k in kinds]]).astype(np.int64)
        self.focus = np.concatenate([self.focus, [Focus.BY_NAME[k.children] for k in kinds]]).astype(np.int64)
        las = np.array(hosts, dtype=np.int64)
        # a home registers with a registered manager, sought while it is built, from the RCC's own
        # stream (so the market's draws are untouched)
        wait = model.workforce.manager_wait_days(las, model.streams["rcc_managers"].random(len(las)))
        days = np.maximum(build_days, wait) + int(model.env.now)
        self.open_days = np.concatenate([self.open_days, days]).astype(np.int64)
        for day in np.unique(days):
            model.env.process(self._open(model, first + np.flatnonzero(days == day), int(day)))
        return hosts

    def _open(self, model, homes: np.ndarray, day: int):
        """SimPy process: homes ``homes`` (positions in the programme) open on ``day``, each at a
        postcode of its host LA drawn from the RCC's own stream."""
        yield model.wait_until(day)
        k = len(homes)
        las = np.asarray(self.hosts, dtype=np.int64)[homes]
        ids = model.provision.open_units(-1 - las, np.full(k, UnitType.HOME), las, self.places[homes],
                                         self.max_need[homes], int(model.env.now), regional=Regional.CAPITAL,
                                         site_stream="rcc_sites", focus=self.focus[homes])
        # members pay the recharge (rccsim.levers.rcc_beds): by default the home's running cost
        # per place (staff; the capital bought the property)
        model.market.price_regional(ids, model.units.weekly_cost[ids] / np.maximum(model.units.places[ids], 1))


class CapitalHomes(Lever):
    key = "capital_homes"
    holds_beds = True

    def setup(self, model) -> None:
        cfg = self.settings
        kinds = cfg.homes()
        self.builder = HomeBuilder()
        if not kinds:
            return
        charge(model, "capital", 0, len(kinds) * cfg.cost_per_home_gbp)
        self.builder.build(model, kinds, cfg.build_days)

    @property
    def hosts(self) -> list[int]:
        return self.builder.hosts

    @property
    def open_days(self) -> np.ndarray:
        return self.builder.open_days

    def costs(self, model) -> dict[str, np.ndarray]:
        running = capital_home_running(model)
        return {"rcc_homes_running": running} if running.any() else {}
