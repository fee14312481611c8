"""Foster carers: recruitment, assessment, leaving, kinship carers and staying put.

Mainstream fostering households are approved by an LA or by an independent fostering agency.
Each month (a SimPy process):

* Recruitment. Each LA and each agency receives applications in proportion to its size; agencies
  recruit harder where their fee margin is wider. An application becomes an approved household
  after an assessment lag of several months (a SimPy timeout), with a number of approved places
  and a skill level (which needs it can meet). New households live where their LA or agency is.
* Leaving. Households leave (retirement, burnout, dissatisfaction) at a base rate that rises with
  the breakdowns they have had in the last year; a household with children placed leaves more
  rarely and the children move (reason CLOSE, resignation of the provision).

Kinship (connected person) carers are approved for one child when that child is placed with them,
and close when the placement ends. A young person who turns 18 in foster care may stay put: the
place stays filled for a while after they leave care.
"""

from __future__ import annotations

import numpy as np

from .codes import Kind, Sector, UnitType


def monthly(model, day: int) -> None:
    """Leaving, then this month's applications (approved later by :func:`_assess`)."""
    _leave(model, day)
    _apply(model, day)
    u = model.units
    u.breakdowns[: u.n] = np.floor(u.breakdowns[: u.n] * model.p.carers.breakdown_memory_monthly).astype(np.int16)


def _leave(model, day: int) -> None:
    p = model.p.carers
    u = model.units
    n = u.n
    rng = model.streams["carers_leave"]
    hh = np.flatnonzero(u.open[:n] & (u.utype[:n] == UnitType.FOSTER) & ~u.kinship[:n])
    if len(hh) == 0:
        return
    rate = p.leave_rate_per_year * (1.0 + p.leave_breakdown_effect * u.breakdowns[hh])
    rate = np.where(u.occupied[hh] > 0, rate * p.leave_with_children_factor, rate)
    leave = hh[rng.random(len(hh)) < 1 - np.exp(-rate / 12.0)]
    if len(leave):
        model.close_units(leave, day)
        model.recorder.count("carers_left", day, u.sector[leave])


def _apply(model, day: int) -> None:
    """Applications this month; each cohort is assessed and approved after a lag."""
    p = model.p.carers
    u = model.units
    n = u.n
    rng = model.streams["carers_recruit"]
    hh = u.open[:n] & (u.utype[:n] == UnitType.FOSTER) & ~u.kinship[:n]
    # LA recruitment: in proportion to the LA's households (simulated LAs only)
    la_owner = u.owner_la[:n][hh & (u.sector[:n] == Sector.LA)]
    la_size = np.bincount(la_owner, minlength=model.geo.n).astype(float)
    la_size[~model.world.simulated] = 0.0
    # keep a floor so an LA that lost its carers can recruit again
    la_base = np.where(model.world.simulated, np.maximum(la_size, p.la_min_households), 0.0)
    la_apps = rng.poisson(la_base * p.la_approval_rate_per_year / 12.0)
    # agency recruitment: in proportion to size, stronger where fees leave a wider margin
    prov = u.provider[:n][hh & (u.sector[:n] != Sector.LA)]
    agencies = np.array([i for i, pr in enumerate(model.providers) if pr.utype == UnitType.FOSTER], dtype=np.int64)
    ag_size = np.bincount(prov, minlength=len(model.providers)).astype(float)[agencies]
    fee = model.market.list_price[model.market.pool_id(1, np.arange(model.geo.n))].mean()
    margin_factor = max(0.0, 1.0 + p.agency_margin_response * ((fee - p.carer_fee_gbp) / fee - p.agency_reference_margin))
    ag_apps = rng.poisson(np.maximum(ag_size, 1.0) * p.agency_approval_rate_per_year / 12.0 * margin_factor)
    lag_lo, lag_hi = p.assessment_lag_days
    cohort = []
    for la in np.flatnonzero(la_apps).tolist():
        for _ in range(int(la_apps[la])):
            cohort.append((int(rng.uniform(lag_lo, lag_hi)), -1 - la))
    for j in np.flatnonzero(ag_apps).tolist():
        for _ in range(int(ag_apps[j])):
            cohort.append((int(rng.uniform(lag_lo, lag_hi)), int(agencies[j])))
    if cohort:
        cohort.sort()
        model.env.process(_assess(model, cohort))


def _assess(model, cohort: list[tuple[int, int]]):
    """SimPy process: approve each application of a cohort when its assessment ends."""
    waited = 0
    for lag, who in cohort:
        if lag > waited:
            yield model.env.timeout(lag - waited)
            waited = lag
        approve(model, who, int(model.env.now))


def approve(model, who: int, day: int) -> int:
    """A new mainstream household for an LA (``who`` = -1 - LA index) or an agency (provider id)."""
    p = model.p.carers
    geo = model.geo
    rng = model.streams["carers_recruit"]
    if who < 0:
        owner = -1 - who
        la = owner if rng.random() >= p.la_carers_outside_share else int(geo.neighbours[owner, 1 + rng.integers(0, 5)])
        extra = {"sector": Sector.LA, "owner_la": owner, "kind": Kind.FOSTER_LA, "provider": -1}
    else:
        base = model.providers[who].base_la
        k = int(p.agency_reach_las)
        near = geo.neighbours[base, :k]
        w = geo.las.population_0_17.to_numpy(float)[near]
        la = int(near[rng.choice(k, p=w / w.sum())])
        extra = {"sector": model.providers[who].sector, "owner_la": -1, "kind": Kind.FOSTER_IFA, "provider": who}
    places = int(rng.choice(np.arange(1, 5), p=np.asarray(p.places_shares) / np.sum(p.places_shares)))
    unavailable = int(rng.binomial(places, p.unavailable_share))
    skill = int(rng.choice(3, p=np.asarray(p.skill_shares) / np.sum(p.skill_shares)))
    pc = int(geo.sample_points(np.array([la]), rng.random(1))[0])
    ids = model.units.append(
        1, utype=UnitType.FOSTER, la=la, pc=pc, e=geo.pc_e[pc], n=geo.pc_n[pc], places=places,
        unavailable=unavailable, max_need=skill, open=True, opened=day, **extra,
    )
    model.market.attach_units(ids)
    model.recorder.count("carers_approved", day, np.array([extra["sector"]]))
    return int(ids[0])


def new_kinship_carers(model, ids: np.ndarray, day: int) -> np.ndarray:
    """Approve a relative or friend for each child ``ids``; returns the new unit ids."""
    p = model.p.carers
    geo = model.geo
    c = model.children
    n = len(ids)
    la_home = c.la[ids].astype(np.int64)
    u = model.streams.keyed_uniform("kin_place", ids, c.n_placements[ids])
    inside = u < p.kin_inside_la_share
    k = 8
    nb = geo.neighbours[la_home, 1 + (u * 1000).astype(np.int64) % (k - 1)]
    la = np.where(inside, la_home, nb)
    u2 = model.streams.keyed_uniform("kin_point", ids, c.n_placements[ids])
    pc = geo.sample_points(la, u2)
    unit = model.units.append(
        n, utype=UnitType.FOSTER, kind=Kind.FOSTER_KIN, sector=Sector.LA, owner_la=la_home, la=la, pc=pc,
        e=geo.pc_e[pc], n=geo.pc_n[pc], places=1, occupied=1, max_need=1, open=True, opened=day,
        kinship=True, for_child=ids,
    )
    model.market.attach_units(unit)
    return unit
