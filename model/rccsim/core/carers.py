"""Foster carers: recruitment, assessment, leaving, kinship carers and staying put.

Mainstream fostering households are approved by an LA or by an independent fostering agency.
Each month (a SimPy process):

* Recruitment. Each LA and each agency receives applications in proportion to its size; agencies
  recruit harder where their fee margin is wider. An application becomes an approved household
  after an assessment lag of several months (a SimPy timeout), with a number of approved places
  and a skill level (which needs it can meet). New households live near their LA or agency
  (:func:`home_las`): in its own area or a neighbouring one, more often where homes are cheaper
  and the neighbour is close, so that a small, dear London borough's carers mostly live outside it
  and a large county's inside.
* Leaving. Households leave (retirement, burnout, dissatisfaction) at a base rate that rises with
  the breakdowns they have had in the last year; a household with children placed leaves more
  rarely and the children move (reason CLOSE, resignation of the provision).

Kinship (connected person) carers are approved for one child when that child is placed with them,
and close when the placement ends. A young person who turns 18 in foster care may stay put: the
place stays filled for a while after they leave care.
"""

from __future__ import annotations

import numpy as np

from rccsim.base.codes import Kind, Sector, UnitType
from rccsim.base.rng import choice_index
from rccsim.base.tables import weighted_bincount


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
    hh = u.open[:n] & (u.utype[:n] == UnitType.FOSTER) & ~u.kinship[:n]
    # LA carers of LAs outside the run are not recruited either: leave them as they are
    la_carer = u.sector[:n] == Sector.LA
    hh &= ~la_carer | model.world.simulated[np.maximum(u.owner_la[:n], 0)]
    hh = np.flatnonzero(hh)
    if len(hh) == 0:
        return
    rate = p.leave_rate_per_year * (1.0 + p.leave_breakdown_effect * u.breakdowns[hh])
    # a household fostering another LA's child (a regional run's background) has a child placed too
    placed = (u.occupied[hh] + u.bg_occupied[hh]) > 0
    rate = np.where(placed, rate * p.leave_with_children_factor, rate)
    for lever in model.levers:  # e.g. a fostering hub's support
        rate = lever.carer_leave_rate(model, hh, rate)
    leave = hh[rng.random(len(hh)) < 1 - np.exp(-rate / 12.0)]
    if len(leave):
        model.provision.close_units(leave, day)
        model.recorder.count("carers_left", day, u.sector[leave], u.la[leave])


def recruitment_signals(model) -> tuple[np.ndarray, np.ndarray]:
    """Each LA's need for in-house carers and each agency's occupancy (drivers of recruitment).

    LA: the LA's children in mainstream foster care (its own carers' and agencies') over the
    places its own carers offer; above 1, it needs more carers of its own. Agency: filled over
    available places.
    """
    u, c = model.units, model.children
    n = u.n
    geo = model.geo
    hh = u.open[:n] & (u.utype[:n] == UnitType.FOSTER) & ~u.kinship[:n]
    la_hh = hh & (u.sector[:n] == Sector.LA)
    avail = (u.places[:n] - u.unavailable[:n]).astype(float)
    la_avail = weighted_bincount(u.owner_la[:n][la_hh], weights=avail[la_hh], minlength=geo.n)
    kind = c.kind[: c.n]
    fostered = c.in_care[: c.n] & ((kind == Kind.FOSTER_LA) | (kind == Kind.FOSTER_IFA))
    la_need = np.bincount(c.la[: c.n][fostered], minlength=geo.n).astype(float)
    la_ratio = (la_need + 1.0) / (la_avail + 1.0)
    ag_hh = hh & (u.sector[:n] != Sector.LA)
    prov = u.provider[:n][ag_hh]
    ag_avail = weighted_bincount(prov, weights=avail[ag_hh], minlength=len(model.providers))
    ag_filled = weighted_bincount(prov, weights=(u.occupied[:n] + u.bg_occupied[:n] + u.staying_put[:n])[ag_hh],
                            minlength=len(model.providers))
    ag_occ = ag_filled / np.maximum(ag_avail, 1.0)
    return la_ratio, ag_occ


def _apply(model, day: int) -> None:
    """This month's applications; each is assessed and approved after a lag.

    LA applications come from the LA's population, more when the LA is short of carers of its
    own relative to where it stood at the start; agency applications come in proportion to the
    agency's size, more when its carers are fuller than at the start and when fees leave a wider
    margin. Both responses are self-limiting: new carers fill the gap that drew them.
    """
    p = model.p.carers
    u = model.units
    n = u.n
    rng = model.streams["carers_recruit"]
    geo = model.geo
    la_ratio, ag_occ = recruitment_signals(model)
    ref = model.recruitment_reference
    pop = geo.las.population_0_17.to_numpy(float)
    la_effort = np.clip((la_ratio / ref["la_ratio"]) ** p.recruitment_response, 0.25, 4.0)
    la_rate = p.la_approvals_per_1000_children * pop / 1000.0 * la_effort
    cut = model.budgets.recruitment_factor()  # an LA over budget recruits fewer carers (core.budgets)
    if cut is not None:
        la_rate = la_rate * cut
    la_rate[~model.world.simulated] = 0.0
    la_apps = rng.poisson(la_rate / 12.0)
    hh = u.open[:n] & (u.utype[:n] == UnitType.FOSTER) & ~u.kinship[:n]
    prov = u.provider[:n][hh & (u.sector[:n] != Sector.LA)]
    agencies = model.agency_ids
    ag_size = np.bincount(prov, minlength=len(model.providers)).astype(float)[agencies]
    fee = model.market.list_price[model.market.pool_id(1, np.arange(geo.n))].mean()
    margin_factor = max(0.0, 1.0 + p.agency_margin_response * ((fee - p.carer_fee_gbp) / fee - p.agency_reference_margin))
    ag_effort = np.clip((ag_occ[agencies] / ref["agency_occupancy"]) ** p.recruitment_response, 0.25, 4.0)
    ag_apps = rng.poisson(np.maximum(ag_size, 1.0) * p.agency_approval_rate_per_year / 12.0 * margin_factor * ag_effort)
    who = np.concatenate([
        np.repeat(-1 - np.arange(model.geo.n), la_apps),
        np.repeat(agencies, ag_apps),
    ]).astype(np.int64)
    lag_lo, lag_hi = p.assessment_lag_days
    # assessment panels sit weekly: approvals come in weekly batches
    lags = 7 * np.round(rng.integers(int(lag_lo), int(lag_hi) + 1, size=len(who)) / 7).astype(np.int64)
    for lever in model.levers:  # e.g. a fostering hub's recruits and faster assessment
        who, lags = lever.applications(model, who, lags)
    if len(who) == 0:
        return
    model.env.process(_assess(model, who, lags))


def _assess(model, who: np.ndarray, lags: np.ndarray):
    """SimPy process: a month's applications, each approved when its assessment ends."""
    order = np.argsort(lags, kind="stable")
    who, lags = who[order], lags[order]
    cut = np.flatnonzero(np.diff(lags)) + 1
    start = int(model.env.now)
    for lag, group in zip(lags[np.r_[0, cut]].tolist(), np.split(who, cut)):
        yield model.wait_until(start + lag)
        model.approvals_due.append(group)


def approve_due(model, day: int) -> None:
    """The weekly panel: approve every assessment that ended this tick, in one batch."""
    if model.approvals_due:
        who = np.concatenate(model.approvals_due)
        model.approvals_due.clear()
        approve(model, who, day)


LA_CARER_REACH = 7  # an LA's carers live in it or one of its six nearest neighbours


def home_las(model, rng: np.random.Generator, anchor: np.ndarray, reach, scale, inside=1.0) -> np.ndarray:
    """Where new fostering households live: the LA ``anchor`` (the approving LA, or the agency's
    office) or one of its ``reach`` - 1 nearest neighbours, chosen with weight

        children (0-17) x (median house price / the LA's) ** ``carers.housing_elasticity``
                        x exp(-miles from the anchor's centre to the LA's edge / ``scale``)

    (the anchor itself at 0 miles, a neighbour at least the mean distance between two points of
    the anchor's area; ``scale``: ``carers.home_distance_scale_miles`` for an LA's
    carers, ``carers.agency_distance_scale_miles`` for an agency's, which recruits over a wider
    area). People who foster need a spare bedroom: they live where homes
    are affordable, and near the service they foster for (an assumption, fitted to DfE's shares of
    each LA's children placed outside its boundary). Where an LA's neighbours are near and cheaper
    (an inner London borough) most of its carers live outside it; where they are far (a county),
    few do. ``inside`` multiplies the anchor's own weight: for an LA's carers, the LA's fitted
    weight (``Geography.carer_inside``, raised to ``carers.la_inside_exponent``), which the
    gravity rule's few parameters cannot give every LA."""
    geo, p = model.geo, model.p.carers
    anchor = np.asarray(anchor, dtype=np.int64)
    n = len(anchor)
    if n == 0:
        return anchor
    reach = np.broadcast_to(np.asarray(reach, dtype=np.int64), (n,))
    scale = np.broadcast_to(np.asarray(scale, dtype=float), (n,))
    k = int(reach.max())
    near = geo.neighbours[anchor, :k]
    cheap = (geo.house_price_median / geo.house_price) ** float(p.housing_elasticity)
    # how far a neighbour is: from the anchor's centre to the neighbour's nearest edge (a county
    # around a city is close to it), but no nearer than two points of the anchor's own area are
    # apart (a town inside a large county is not nearer than the county's own far side)
    within = np.diagonal(geo.distance)[anchor]
    miles = np.maximum(geo.edge_miles[anchor[:, None], near], within[:, None])
    miles[:, 0] = 0.0  # the anchor itself
    w = geo.population_0_17[near] * cheap[near] * np.exp(-miles / np.maximum(scale, 1e-6)[:, None])
    w[:, 0] *= np.broadcast_to(np.asarray(inside, dtype=float), (n,))
    w[np.arange(k)[None, :] >= reach[:, None]] = 0.0
    cum = np.cumsum(w, axis=1)
    pick = (rng.random(n)[:, None] * cum[:, -1:] > cum).sum(axis=1)
    return near[np.arange(n), np.minimum(pick, reach - 1)]


def la_inside_weight(model, la: np.ndarray) -> np.ndarray:
    """Weight on an LA's own carers living inside its boundary (see :func:`home_las`)."""
    return model.geo.carer_inside[np.asarray(la, dtype=np.int64)] ** float(model.p.carers.la_inside_exponent)


def _agency_anchor(model, agencies: np.ndarray, u: np.ndarray) -> np.ndarray:
    """For each agency, the LA of one of its open households (by uniform ``u``), or its office's LA."""
    units = model.units
    n = units.n
    mine = np.flatnonzero(units.open[:n] & (units.kind[:n] == Kind.FOSTER_IFA) & ~units.kinship[:n])
    prov = units.provider[mine]
    order = np.argsort(prov, kind="stable")
    mine, prov = mine[order], prov[order]
    lo = np.searchsorted(prov, agencies, side="left")
    hi = np.searchsorted(prov, agencies, side="right")
    count = hi - lo
    base = np.array([model.providers[a].base_la for a in agencies], dtype=np.int64)
    pick = lo + np.minimum((u * count).astype(np.int64), np.maximum(count - 1, 0))
    return np.where(count > 0, units.la[mine[np.minimum(pick, max(len(mine) - 1, 0))]] if len(mine) else base, base)


def approve(model, who: np.ndarray, day: int) -> np.ndarray:
    """New mainstream households for LAs (``who`` = -1 - LA index) or agencies (provider ids)."""
    p = model.p.carers
    geo = model.geo
    rng = model.streams["carers_recruit"]
    who = np.asarray(who, dtype=np.int64)
    n = len(who)
    is_la = who < 0
    owner = np.where(is_la, -1 - who, -1)
    # LA carers near their LA; agency carers where the agency's carers already live (word of
    # mouth), or near its office if it has none
    anchor = np.maximum(owner, 0)
    ag = np.flatnonzero(~is_la)
    if len(ag):
        anchor[ag] = _agency_anchor(model, who[ag], rng.random(len(ag)))
    la = home_las(model, rng, anchor, np.where(is_la, LA_CARER_REACH, int(p.agency_reach_las)),
                  np.where(is_la, p.home_distance_scale_miles, p.agency_distance_scale_miles),
                  np.where(is_la, la_inside_weight(model, anchor), 1.0))
    sector = np.full(n, Sector.LA, dtype=np.int64)
    if len(ag):
        sector[ag] = [model.providers[w].sector for w in who[ag]]
    places = 1 + choice_index(rng, n, p.places_shares)
    unavailable = rng.binomial(places, p.unavailable_share)
    skill = choice_index(rng, n, p.skill_shares)
    pc = geo.sample_points(la, rng.random(n))
    ids = model.units.append(
        n, utype=UnitType.FOSTER, kind=np.where(is_la, Kind.FOSTER_LA, Kind.FOSTER_IFA), sector=sector,
        owner_la=owner, provider=np.where(is_la, -1, who), la=la, pc=pc, east=geo.pc_e[pc], north=geo.pc_n[pc],
        places=places, unavailable=unavailable, max_need=skill, open=True, opened=day,
    )
    model.market.attach_units(ids)
    model.recorder.count("carers_approved", day, sector, la)
    return ids


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
        east=geo.pc_e[pc], north=geo.pc_n[pc], places=1, occupied=1, max_need=1, open=True, opened=day,
        kinship=True, for_child=ids,
    )
    model.market.attach_units(unit)
    return unit
