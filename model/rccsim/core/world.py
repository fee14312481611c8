"""The world at the start date: LAs, providers, homes, foster households and children in care.

Built from published figures for 31 March of the start year:

* LAs: the 153 children's services authorities; children looked after and starts per LA (DfE).
* Children's homes: every home Ofsted lists, in its LA, with its sector, places and owner,
  rolled back to the start year with Ofsted's joiners and leavers (:func:`rccsim.inputs.published.homes_at`).
* Fostering: households of each LA and of each of Ofsted's 313 independent fostering agencies,
  sized to the national counts of mainstream households, approved places and filled places
  (Ofsted fostering statistics via ``published_figures.csv``). No published table gives
  households by LA, so they follow each LA's children in foster care (LA carers) and each agency's
  neighbourhood (agency carers): an assumption, stated in the parameters.
* Supported accommodation: synthetic units of about two places sized to the national number of
  children placed there, standing where each LA's children in supported accommodation are; no
  provider-level table is bundled (assumption).
* Children: each simulated LA's published count at 31 March, with the LA's own placement mix, ages
  and unaccompanied children (DfE's LA table, :func:`la_kinds`); ages within each kind by iterative
  proportional fitting of England's joint mix to the LA's age groups, around a prior of which ages
  each kind serves. Children are then placed by the same market that runs the simulation, so where
  they live at the start follows where the places are.

In a regional run the rest of England's LAs are not simulated, but their children still fill
places: free places left after the region's children are placed are filled at the national
occupancy rate as *background* occupancy, which turns over weekly (see :mod:`rccsim.core.background`).
"""

from __future__ import annotations

import sys

import numpy as np

from rccsim.base.codes import FLAG_UASC, N_KINDS, Kind, Sector, UnitType
from rccsim.base.tables import weighted_bincount
from rccsim.core import children as ch
from rccsim.core.agents import LocalAuthority, new_provider
from rccsim.core.carers import LA_CARER_REACH, home_las, la_inside_weight, recruitment_signals
from rccsim.core.providers import home_weekly_cost, seed_pipeline
from rccsim.inputs.geography import split_whole
from rccsim.inputs.published import (
    fostering_agencies,
    homes_at,
    la_stock,
    mainstream_households_ratio,
    national_stock,
)

KIND_PRIOR = {  # relative weight of each age band (<1, 1-4, 5-9, 10-15, 16-17) in each kind
    Kind.FOSTER_KIN: [1, 1, 1, 0.8, 0.5],
    Kind.FOSTER_LA: [1, 1, 1, 0.9, 0.7],
    Kind.FOSTER_IFA: [0.6, 0.8, 1, 1, 0.8],
    Kind.HOME_LA: [0, 0, 0.05, 1, 0.8],
    Kind.HOME_IND: [0, 0, 0.05, 1, 0.8],
    Kind.SUPPORTED: [0, 0, 0, 0, 1],
    Kind.WITH_PARENTS: [1, 1, 1, 1, 1],
    Kind.ADOPTION: [1, 1.5, 0.2, 0, 0],
    Kind.UNREGISTERED: [0, 0, 0, 1, 1],
    Kind.OTHER: [1, 0.3, 0.3, 1, 1.5],
}


def ipf(prior: np.ndarray, rows: np.ndarray, cols: np.ndarray, iters: int = 200) -> np.ndarray:
    """Iterative proportional fitting of ``prior`` to row and column totals."""
    m = prior.astype(float).copy()
    for _ in range(iters):
        m *= (rows / np.maximum(m.sum(axis=1), 1e-12))[:, None]
        m *= (cols / np.maximum(m.sum(axis=0), 1e-12))[None, :]
    return m


class World:
    """What the builder made, for the engine: per-LA rates, the simulated mask and the reported
    mask (the LAs whose children, homes and carers the outputs describe: the simulated LAs, or
    fewer in a run such as ``GM in england``)."""

    def __init__(self, starts_per_year: np.ndarray, simulated: np.ndarray, reported: np.ndarray | None = None):
        self.starts_per_year = starts_per_year
        self.simulated = simulated
        self.reported = simulated if reported is None else reported


def la_kinds(geo, year: int) -> np.ndarray:
    """Each LA's children at 31 March ``year`` by model kind (LAs x kinds, summing to each LA's
    count), from DfE's LA placement groups (:func:`la_stock`).

    DfE's LA tables give foster care and children's homes whole: the split into kinship, LA and
    agency foster care, and into LA and independent homes, is England's (:func:`national_stock`),
    tilted by the LA's own use of private and voluntary providers (its odds of an independent
    provider against England's, over all its placements, bounded by 4 either way). Unregistered
    settings take England's count in proportion to each LA's "other placements"; the rest of
    DfE's other placements, other residential settings and residential schools are ``other``.
    """
    stock, la = national_stock(year), la_stock(year)
    k = stock["kinds"]
    g = la["groups"]
    prov = la["providers"]
    independent = prov[:, 2] + prov[:, 3]
    own = prov[:, 0] + prov[:, 1]
    odds_nat = independent.sum() / max(own.sum(), 1e-12)
    tilt = np.clip((independent + 0.5) / (own + 0.5) / odds_nat, 0.25, 4.0)

    def split(share_ind: float) -> np.ndarray:
        return share_ind * tilt / (1.0 - share_ind + share_ind * tilt)

    kinds = np.zeros((geo.n, N_KINDS))
    foster = g[:, 0]
    kin = k[Kind.FOSTER_KIN] / max(k[Kind.FOSTER_KIN] + k[Kind.FOSTER_LA] + k[Kind.FOSTER_IFA], 1e-12)
    ifa = split(k[Kind.FOSTER_IFA] / max(k[Kind.FOSTER_LA] + k[Kind.FOSTER_IFA], 1e-12))
    kinds[:, Kind.FOSTER_KIN] = foster * kin
    kinds[:, Kind.FOSTER_IFA] = foster * (1 - kin) * ifa
    kinds[:, Kind.FOSTER_LA] = foster * (1 - kin) * (1 - ifa)
    kinds[:, Kind.ADOPTION] = g[:, 1]
    kinds[:, Kind.WITH_PARENTS] = g[:, 2]
    ind = split(k[Kind.HOME_IND] / max(k[Kind.HOME_LA] + k[Kind.HOME_IND], 1e-12))
    kinds[:, Kind.HOME_IND] = g[:, 3] * ind
    kinds[:, Kind.HOME_LA] = g[:, 3] * (1 - ind)
    kinds[:, Kind.SUPPORTED] = g[:, 4]
    unreg = np.minimum(k[Kind.UNREGISTERED] * g[:, 5] / max(g[:, 5].sum(), 1e-12), g[:, 5])
    kinds[:, Kind.UNREGISTERED] = unreg
    kinds[:, Kind.OTHER] = g[:, 5:].sum(axis=1) - unreg
    counts = geo.las[f"cla_{year}"].to_numpy(np.int64)
    out = np.zeros_like(kinds)
    for i in np.flatnonzero(counts > 0):
        out[i] = split_whole(counts[i], kinds[i] + 1e-9)
    return out


def build(model) -> None:
    """Populate ``model`` with its start state."""
    geo = model.geo
    year = model.start_year
    rng = model.streams["world"]
    simulated = np.zeros(geo.n, dtype=bool)
    simulated[model.region.la_index] = True
    starts = geo.las[f"starts_{year}"].to_numpy(float).copy()
    rates = getattr(model, "rates", None)
    if rates is not None:  # LAs' own returns (model.ssda903.estimate_rates)
        for la, value in rates.starts_per_year.items():
            starts[la] = value
    reported = np.zeros(geo.n, dtype=bool)
    reported[model.region.reported] = True
    model.world = World(starts, simulated, reported)

    model.las = [
        LocalAuthority(model, i, r.la_code, r.la_name, r.region_name, bool(simulated[i]))
        for i, r in enumerate(geo.las.itertuples())
    ]
    _build_homes(model, rng, year)
    _build_supported(model, rng)
    _build_fostering(model, rng, year)
    model.workforce.seed()  # staff and managers of the homes: unstaffed places, labour costs
    model.market.attach_units(np.arange(model.units.n))
    _build_children(model, rng, year)
    if not simulated.all():
        model.background.seed_occupancy(simulated)

    model.agency_ids = np.array([i for i, pr in enumerate(model.providers) if pr.utype == UnitType.FOSTER], dtype=np.int64)
    la_ratio, ag_occ = recruitment_signals(model)
    sim = simulated & np.isfinite(la_ratio)
    model.recruitment_reference = {
        "la_ratio": float(np.median(la_ratio[sim])) if sim.any() else 1.0,
        "agency_occupancy": float(np.median(ag_occ[model.agency_ids])) if len(model.agency_ids) else 1.0,
    }
    seed_pipeline(model)  # homes registering at the start date


def _sector_code(text: str) -> int:
    return {"Private": Sector.PRIVATE, "Voluntary": Sector.VOLUNTARY}.get(text, Sector.LA)


def _draw_max_need(rng, n: int, shares) -> np.ndarray:
    shares = np.asarray(shares, float) / np.sum(shares)
    return rng.choice(3, size=n, p=shares).astype(np.int8)


def _build_homes(model, rng, year: int) -> None:
    geo, p = model.geo, model.p
    homes = homes_at(year)
    la = homes.la_code.map(geo.code_to_index).to_numpy(np.int64)
    sector = np.array([_sector_code(s) for s in homes.sector], dtype=np.int64)
    owners = homes.owner.fillna("").to_numpy(str)
    # providers: one agent per owning organisation; homes with no recorded owner are single-home providers
    pid = np.full(len(homes), -1, dtype=np.int64)
    by_owner: dict[str, int] = {}
    for i in np.flatnonzero(sector != Sector.LA):
        key = owners[i] or f"home {homes.URN.iloc[i]}"
        if key not in by_owner:
            by_owner[key] = new_provider(model, key, int(sector[i]), UnitType.HOME, int(la[i]))
        pid[i] = by_owner[key]
    pc = geo.sample_points(la, rng.random(len(homes)))
    max_need = _draw_max_need(rng, len(homes), p.providers.home_need_shares)
    max_need[homes.secure.to_numpy(bool)] = 2
    places = homes.places.to_numpy(np.int64)
    kind = np.where(sector == Sector.LA, Kind.HOME_LA, Kind.HOME_IND)
    ids = model.units.append(
        len(homes), utype=UnitType.HOME, kind=kind, sector=sector, owner_la=np.where(sector == Sector.LA, la, -1),
        provider=pid, la=la, pc=pc, east=geo.pc_e[pc], north=geo.pc_n[pc], places=places, max_need=max_need,
        unavailable=rng.binomial(places, p.providers.home_unavailable_share), open=True, opened=-365 * 5,
    )

    model.units.weekly_cost[ids] = home_weekly_cost(model, ids)


def _build_supported(model, rng) -> None:
    """Synthetic supported accommodation: enough beds for the national stock at the target occupancy."""
    geo, p = model.geo, model.p
    stock = national_stock(model.start_year)["kinds"][Kind.SUPPORTED]
    beds_needed = stock / p.providers.supported_occupancy
    size = p.providers.supported_beds_per_unit
    n_units = int(round(beds_needed / size))
    # located with the older children in care, leaning to cheaper property (assumption)
    hp = geo.las.house_price.to_numpy(float)
    # where each LA's children in supported accommodation are (DfE's LA table), leaning to cheaper
    # property; one child's worth everywhere so no LA is without
    here = la_kinds(geo, model.start_year)[:, Kind.SUPPORTED] + 1.0
    weight = here * (np.median(hp) / hp) ** p.providers.supported_cheapness
    # new supported accommodation opens where it is used, as the first was (providers._plan_openings)
    model.supported_demand = weight / weight.mean()
    la = rng.choice(geo.n, size=n_units, p=weight / weight.sum())
    places = np.maximum(1, rng.poisson(size - 1, n_units) + 1)
    n_prov = max(1, int(n_units / p.providers.supported_units_per_provider))
    sector_u = rng.random(n_prov)
    sectors = np.where(sector_u < p.providers.supported_voluntary_share, Sector.VOLUNTARY, Sector.PRIVATE)
    base = rng.choice(geo.n, size=n_prov, p=weight / weight.sum())
    pids = [new_provider(model, f"Supported accommodation provider {i + 1}", int(sectors[i]), UnitType.SUPPORTED, int(base[i]))
            for i in range(n_prov)]
    # each unit belongs to a provider based nearby
    owner = np.array([pids[j] for j in rng.integers(0, n_prov, n_units)])
    pc = geo.sample_points(la, rng.random(n_units))
    ids = model.units.append(
        n_units, utype=UnitType.SUPPORTED, kind=Kind.SUPPORTED, sector=np.array([model.providers[o].sector for o in owner]),
        provider=owner, la=la, pc=pc, east=geo.pc_e[pc], north=geo.pc_n[pc], places=places,
        max_need=_draw_max_need(rng, n_units, p.providers.supported_need_shares), open=True, opened=-365 * 3,
    )

    model.units.weekly_cost[ids] = home_weekly_cost(model, ids)


def _draw_households(rng, n: int, p) -> dict:
    places = rng.choice(np.arange(1, 5), size=n, p=np.asarray(p.places_shares) / np.sum(p.places_shares))
    unavailable = rng.binomial(places, p.unavailable_share)
    skill = _draw_max_need(rng, n, p.skill_shares)
    return {"places": places, "unavailable": unavailable, "max_need": skill}


def _build_fostering(model, rng, year: int) -> None:
    geo, p = model.geo, model.p.carers

    # the parameter is the count at 31 March 2024; another start year scales it by Ofsted's counts
    households = int(round(p.mainstream_households * mainstream_households_ratio(year)))
    la_share = p.la_household_share
    n_la_hh = int(round(households * la_share))
    n_ifa_hh = households - n_la_hh
    cla = geo.las[f"cla_{year}"].to_numpy(float) + 1.0
    # LA carers: in proportion to each LA's children with its own mainstream carers (DfE's LA
    # placement table, see la_kinds), living in or near it (home_las)
    own = la_kinds(geo, year)[:, Kind.FOSTER_LA] + 1.0
    owner = rng.choice(geo.n, size=n_la_hh, p=own / own.sum())
    la = home_las(model, rng, owner, LA_CARER_REACH, p.home_distance_scale_miles, la_inside_weight(model, owner))
    attrs = _draw_households(rng, n_la_hh, p)
    pc = geo.sample_points(la, rng.random(n_la_hh))
    model.units.append(
        n_la_hh, utype=UnitType.FOSTER, kind=Kind.FOSTER_LA, sector=Sector.LA, owner_la=owner, la=la, pc=pc,
        east=geo.pc_e[pc], north=geo.pc_n[pc], open=True, opened=-365 * 5, **attrs,
    )
    # agency carers: households live across England with the children in care, leaning to cheaper
    # housing; each belongs to one of the agencies registered nearest it (Ofsted's register of
    # offices), chosen by the agencies' sizes (log-normal)
    ifas = fostering_agencies()
    base = ifas.la_code.map(geo.code_to_index).to_numpy(np.int64)
    size = rng.lognormal(0.0, p.agency_size_sigma, len(ifas))
    pids = np.array([
        new_provider(model, str(r.owner), _sector_code(r.sector), UnitType.FOSTER, int(b))
        for r, b in zip(ifas.itertuples(), base)
    ], dtype=np.int64)
    cheap = (geo.house_price_median / geo.house_price) ** float(p.housing_elasticity)
    w = cla * cheap
    la = rng.choice(geo.n, size=n_ifa_hh, p=w / w.sum())
    provider = pids[_nearby_agency(geo, rng, la, base, size, int(p.agency_reach_las))]
    home = la
    attrs = _draw_households(rng, len(home), p)
    pc = geo.sample_points(la, rng.random(len(home)))
    sectors = np.array([model.providers[i].sector for i in provider], dtype=np.int64) if len(provider) else np.zeros(0)
    model.units.append(
        len(home), utype=UnitType.FOSTER, kind=Kind.FOSTER_IFA, sector=sectors, provider=provider, la=la, pc=pc,
        east=geo.pc_e[pc], north=geo.pc_n[pc], open=True, opened=-365 * 5, **attrs,
    )


def _nearby_agency(geo, rng, la: np.ndarray, base: np.ndarray, size: np.ndarray, reach: int) -> np.ndarray:
    """For households in LAs ``la``, an agency (index into ``base``) whose office is in one of the
    LA's ``reach`` nearest LAs (itself first), chosen by ``size``; failing that, one of the
    agencies nearest the LA."""
    out = np.empty(len(la), dtype=np.int64)
    order = np.argsort(la, kind="stable")
    bounds = np.searchsorted(la[order], np.arange(geo.n + 1))
    for i in range(geo.n):
        rows = order[bounds[i]:bounds[i + 1]]
        if len(rows) == 0:
            continue
        near = geo.neighbours[i, :reach]
        cand = np.flatnonzero(np.isin(base, near))
        if len(cand) == 0:
            d = geo.distance[i, base]
            cand = np.flatnonzero(d <= d.min())
        wt = size[cand]
        out[rows] = cand[rng.choice(len(cand), size=len(rows), p=wt / wt.sum())]
    return out


def _build_children(model, rng, year: int) -> None:
    """Children in care at 31 March of the start year, for the simulated LAs, and their placements."""
    geo, p = model.geo, model.p
    stock = national_stock(year)
    prior = ipf(np.array([KIND_PRIOR[k] for k in range(N_KINDS)]).T, stock["age"], stock["kinds"])
    sim = model.region.la_index
    counts = geo.las[f"cla_{year}"].to_numpy(np.int64)[sim]
    given = getattr(model, "start_population", None)  # from the LAs' own SSDA903 returns
    if given is not None:
        counts = np.where(np.isin(sim, given["la"].to_numpy()), 0, counts)
    # each LA's own placement mix exactly (DfE's LA table), its ages by fitting England's joint mix
    # of age and kind to the LA's age groups
    kinds = la_kinds(geo, year)[sim]
    ages = la_stock(year)["age"][sim]
    la_l, band_l, kind_l = [], [], []
    for i, code in enumerate(sim):
        if counts[i] == 0:
            continue
        col = kinds[i]
        row = ages[i] / max(ages[i].sum(), 1e-12) * col.sum()
        joint = ipf(prior, row, col, iters=50)
        for k in np.flatnonzero(col > 0):
            by_age = split_whole(col[k], joint[:, k] + 1e-9).astype(np.int64)
            band_l.append(np.repeat(np.arange(len(by_age)), by_age))
            kind_l.append(np.full(int(col[k]), k))
            la_l.append(np.full(int(col[k]), code))
    la = np.concatenate(la_l).astype(np.int64) if la_l else np.empty(0, np.int64)
    band = np.concatenate(band_l).astype(np.int64) if band_l else np.empty(0, np.int64)
    kind = np.concatenate(kind_l).astype(np.int64) if kind_l else np.empty(0, np.int64)
    n = len(la)
    edges = ch.AGE_EDGES
    age = edges[band] + rng.random(n) * (edges[band + 1] - edges[band])
    age = np.minimum(age, 18.0 - 2.0 / ch.DAYS_PER_YEAR)
    n_synthetic = n
    if given is not None and len(given):
        la = np.concatenate([la, given["la"].to_numpy(np.int64)])
        kind = np.concatenate([kind, given["kind"].to_numpy(np.int64)])
        age = np.concatenate([age, np.clip(given["age"].to_numpy(float), 0.0, 18.0 - 2.0 / ch.DAYS_PER_YEAR)])
        n = len(la)
        band = ch.age_band(age)
    attrs = ch.draw_attributes(model, rng, band, age, n)
    need = attrs["need"]
    # the start placement implies the need it meets (assumption, see parameters)
    q = p.initial
    u = rng.random(n)
    homes = np.isin(kind, [Kind.HOME_LA, Kind.HOME_IND, Kind.UNREGISTERED])
    hs = np.cumsum(q.home_need_shares) / np.sum(q.home_need_shares)
    need = np.where(homes, np.searchsorted(hs, u), need)
    foster = np.isin(kind, [Kind.FOSTER_LA, Kind.FOSTER_IFA])
    need = np.where(foster, np.where((u < q.foster_complex_share) & (age >= 5), 1, 0), need)
    need = np.where(np.isin(kind, [Kind.FOSTER_KIN, Kind.WITH_PARENTS, Kind.ADOPTION]), 0, need)
    need = np.where(kind == Kind.SUPPORTED, np.where(u < q.supported_complex_share, 1, 0), need)
    attrs["need"] = need.astype(np.int8)
    uasc_p = np.where(kind == Kind.SUPPORTED, q.uasc_share_supported,
                      np.where(foster & (age >= 16), q.uasc_share_foster_16, np.where(foster & (age >= 12), q.uasc_share_foster_12, 0.0)))
    # each LA's unaccompanied children as DfE counts them (Kent's and the ports' many, most LAs' few):
    # the kinds' shares scaled to the LA's count, at most 95% of a kind
    expected = weighted_bincount(la, uasc_p, minlength=geo.n)
    scale = np.where(expected > 0, la_stock(year)["uasc"] / np.maximum(expected, 1e-12), 0.0)
    uasc_p = np.minimum(uasc_p * scale[la], 0.95)
    uasc = rng.random(n) < uasc_p
    attrs["flags"] = np.where(uasc, attrs["flags"] | FLAG_UASC, attrs["flags"] & ~FLAG_UASC).astype(np.int16)
    tic = _time_in_care(model, age, rng.random(n))
    pc = geo.sample_points(la, rng.random(n))
    home_e, home_n = geo.pc_e[pc].copy(), geo.pc_n[pc].copy()
    real = np.arange(n) >= n_synthetic
    if real.any():
        # what the return says replaces what was drawn: sex, need proxy, legal status, time in
        # care, home location (the nearest postcode of the model's sample stands in for it)
        g = given
        attrs["male"][real] = g["male"].to_numpy(bool)
        attrs["need"][real] = np.maximum(attrs["need"][real], g["need"].to_numpy(np.int8))
        attrs["legal"][real] = _legal_index(g["legal"].to_numpy(str))
        tic[real] = np.clip(np.nan_to_num(g["years_in_care"].to_numpy(float), nan=0.0), 0.0, age[real])
        home_e[real], home_n[real] = g["home_e"].to_numpy(float), g["home_n"].to_numpy(float)
        pc[real] = _nearest_sample(geo, la[real], home_e[real], home_n[real])
    start = 0
    ids = model.children.append(
        n, la=la, home_pc=pc, home_e=home_e, home_n=home_n,
        dob=start - np.round(age * ch.DAYS_PER_YEAR).astype(np.int64),
        entered=start - np.round(tic * ch.DAYS_PER_YEAR).astype(np.int64),
        in_care=True, initial=True, **attrs,
    )
    c = model.children
    c.plan_parents[ids] = kind == Kind.WITH_PARENTS
    c.plan_kin[ids] = kind == Kind.FOSTER_KIN
    u_in_place = rng.random(n)  # how long each has been in the current placement (set once placed)
    c.n_placements[ids] = 0
    ch.schedule_exits(model, ids, 0, placed_for_adoption=kind == Kind.ADOPTION)

    # direct placements (no market): kinship, with parents, adoption, other, unregistered
    model.placements.place_direct(ids, kind, 0, initial=True)
    # market placements, most constrained first
    order = [Kind.HOME_LA, Kind.HOME_IND, Kind.SUPPORTED, Kind.FOSTER_LA, Kind.FOSTER_IFA]
    unplaced = []
    for k in order:
        sel = ids[kind == k]
        if len(sel) == 0:
            continue
        sel = sel[np.argsort(-c.need[sel], kind="stable")]
        pen = np.full((len(sel), N_KINDS), np.inf)
        pen[:, k] = 0.0
        left = model.market.clear(sel, 0, pen=pen, initial=True)
        while 0 < len(left) < len(sel):
            # a search has a few rounds; another finds the places the first left free
            sel = left
            left = model.market.clear(sel, 0, pen=pen[:len(sel)], initial=True)
        same = {Kind.HOME_LA: Kind.HOME_IND, Kind.HOME_IND: Kind.HOME_LA,
                Kind.FOSTER_LA: Kind.FOSTER_IFA, Kind.FOSTER_IFA: Kind.FOSTER_LA}.get(k)
        if len(left) and same is not None:
            # no place of that kind left anywhere: the other provider of the same placement type
            pen2 = np.full((len(left), N_KINDS), np.inf)
            pen2[:, same] = 0.0
            left = model.market.clear(left, 0, pen=pen2, initial=True)
            pen2[:, k] = 0.0
            while len(left) and (c.need[left] > 0).any():
                # the start placement implies the need it meets: a child no such place can take
                # at the need drawn has the highest need one of them meets
                c.need[left] = np.maximum(c.need[left] - 1, 0)
                left = model.market.clear(left, 0, pen=pen2[:len(left)], initial=True)
        if len(left):
            # none of that type either: fall back to the care plan
            left = model.market.clear(left, 0, initial=True)
        unplaced.append(left)
    unplaced = np.concatenate(unplaced) if unplaced else np.empty(0, dtype=np.int64)
    if len(unplaced):
        model.placements.place_direct(unplaced, np.full(len(unplaced), Kind.UNREGISTERED), 0, initial=True)
        if model.verbose:
            print(f"start state: {len(unplaced)} children found no place of their published kind and start unregistered",
                  file=sys.stderr)
    # back-date the start placements; their ends are drawn again knowing how long they have lasted
    placed = ids[c.kind[ids] >= 0]
    at = np.searchsorted(ids, placed)
    rate_u, rate_p = ch.placement_hazards(model, placed, 0)
    limit = tic[at].copy()
    # supported accommodation is for 16-17-year-olds (the care plan): it began at 16 or later
    sup = c.kind[placed] == Kind.SUPPORTED
    limit[sup] = np.minimum(limit[sup], np.maximum(ch.ages(model, placed[sup], 0) - 16.0 - 1.0 / ch.DAYS_PER_YEAR, 0.0))
    lasted = _elapsed_in_placement(model, rate_u + rate_p, limit, u_in_place[at], ch.settled_multiplier(model, placed))
    if real.any():
        from_return = real[at]
        years = given["years_in_placement"].to_numpy(float)[at[from_return] - n_synthetic]
        lasted[from_return] = np.clip(np.nan_to_num(years, nan=0.0), 0.0, tic[at][from_return])
        c.n_breakdowns[placed[from_return]] = given["moves_last_year"].to_numpy(np.int64)[at[from_return] - n_synthetic]
    lasted[c.kind[placed] == Kind.UNREGISTERED] = 0.0  # emergency settings: searched for from the start
    # in care on 31 March (day -1): every start placement began by then
    back = np.maximum(np.round(lasted * ch.DAYS_PER_YEAR).astype(np.int64), 1)
    # a baby of hours on 1 April was placed at birth: born on the day the placement began, not after
    c.dob[placed] = np.minimum(c.dob[placed], -back)
    c.entered[placed] = np.minimum(c.entered[placed], -back)  # in care by the day the placement began
    c.place_start[placed] = -back
    model.recorder.backdate_open_placements(placed, -back)
    scheduled = placed[c.kind[placed] != Kind.UNREGISTERED]
    ch.schedule_placement_end(model, scheduled, 0, elapsed=lasted[c.kind[placed] != Kind.UNREGISTERED])


def _elapsed_in_placement(model, rate: np.ndarray, tic: np.ndarray, u: np.ndarray, settled=None) -> np.ndarray:
    """Years each child at the start has already spent in the current placement.

    A child in care for ``tic`` years is still in the placement it entered care to with the chance
    that a placement survives ``tic`` years, S(tic); otherwise it has moved since, and the time
    since the last move (the backward recurrence time of the moves) has density proportional to
    S(a) below ``tic``. S comes from the same hazards that end placements during the run
    (``rate``: each placement's breakdown plus planned-move hazard,
    :func:`children.placement_hazards`, lower once settled; for a 16-17-year-old the hazard
    includes moving on over the whole placement and settles with it, an approximation of the run,
    where moving on starts at the 16th birthday and does not settle), so that the start state holds as
    many long-settled placements as the run's own dynamics would and the stability measures do
    not start with a transient.
    """
    p = model.p.stability
    r = np.asarray(rate, dtype=float)
    # m: each placement's settled multiplier (children.settled_multiplier), or the one for all
    s, m = float(p.settle_years), np.asarray(p.settled_multiplier if settled is None else settled, dtype=float)
    tic = np.maximum(np.asarray(tic, dtype=float), 0.0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        pos = r > 0
        rr = np.where(pos, r, 1.0)
        early = np.minimum(tic, s)
        i_early = np.where(pos, (1 - np.exp(-rr * early)) / rr, early)  # integral of S on [0, min(tic, s)]
        late_rate = rr * m
        surv_s = np.where(pos, np.exp(-rr * s), 1.0)
        late = np.maximum(tic - s, 0.0)
        i_late = np.where(pos & (late_rate > 0), surv_s * (1 - np.exp(-late_rate * late)) / np.where(late_rate > 0, late_rate, 1.0),
                          surv_s * late)
        # still in the first placement since entering care: the chance the placement survives
        # the whole time in care (an atom at a = tic); otherwise moved since, and the time since
        # the last move has density proportional to S(a) below tic
        surv_tic = np.where(tic <= s, np.exp(-np.where(pos, rr, 0.0) * tic),
                            surv_s * np.exp(-np.where(pos, late_rate, 0.0) * late))
        first = u < surv_tic
        u = np.where(first, 0.0, (u - surv_tic) / np.maximum(1.0 - surv_tic, 1e-300))
        target = u * (i_early + i_late)
        # invert: in the early piece, or past settling
        a_early = np.where(pos, -np.log(np.maximum(1 - rr * target, 1e-300)) / rr, target)
        rest = np.maximum(target - i_early, 0.0)
        a_late = s + np.where(pos & (late_rate > 0),
                              -np.log(np.maximum(1 - late_rate * rest / surv_s, 1e-300)) / np.where(late_rate > 0, late_rate, 1.0),
                              rest / surv_s)
        a = np.where(target <= i_early, a_early, a_late)
        a = np.where(first, tic, a)
    return np.clip(a, 0.0, tic)


def _time_in_care(model, age: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Years in care so far of each child at the start, given the child's age.

    In a steady state, a child aged ``a`` who is in care entered ``t`` years ago with probability
    proportional to the rate of entries at age ``a - t`` (``entries.age_shares``, with babies
    piling up near birth as ``entries.infant_age_skew`` says) times the chance of still being in
    care ``t`` years after entering at that age (the run's own exit hazards by age band and time
    in care, :func:`children.hazard_table`). Drawing from this makes the start state's time in
    care agree with the dynamics that follow, so that measures that look back (long-term
    stability: 2.5 years in care) do not start with a transient.
    """
    p = model.p.entries
    dt = 1.0 / 52.0
    grid = np.arange(0.0, 18.0, dt)  # entry ages and durations, weekly
    k = len(grid)
    # entry rate density by age
    band = ch.age_band(grid + dt / 2)
    shares = np.asarray(p.age_shares, dtype=float) / np.sum(p.age_shares)
    width = np.diff(ch.AGE_EDGES)
    dens = shares[band] / width[band]
    first = band == 0
    skew = float(p.infant_age_skew)
    mid = grid[first] + dt / 2
    dens[first] = shares[0] * (1.0 / skew) * mid ** (1.0 / skew - 1.0)
    # survival in care S[i, j]: entered at grid[i], still in care grid[j] years later
    total = model.exit_hazards.sum(axis=0)  # (age band, phase)
    entry = grid[:, None]
    dur = grid[None, :]
    phase = np.clip(np.searchsorted(ch.PHASE_EDGES, dur + dt / 2, side="right") - 1, 0, 2)
    h = total[ch.age_band(entry + dur + dt / 2), phase]
    surv = np.exp(-np.cumsum(h * dt, axis=1) + h * dt)  # survival at the start of each week
    # weight of (age index a, duration j): entry index a - j
    ia = np.arange(k)[:, None]
    j = np.arange(k)[None, :]
    entry_idx = ia - j
    ok = entry_idx >= 0
    w = np.where(ok, dens[np.maximum(entry_idx, 0)] * surv[np.maximum(entry_idx, 0), j], 0.0)
    cdf = np.cumsum(w, axis=1)
    cdf /= np.maximum(cdf[:, -1:], 1e-300)
    a_idx = np.clip((np.asarray(age) / dt).astype(np.int64), 0, k - 1)
    j_draw = (cdf[a_idx] < np.asarray(u)[:, None]).sum(axis=1)
    frac = (np.asarray(u) * 7919.0) % 1.0  # a position within the week, from the same draw
    return np.minimum((j_draw + frac) * dt, np.asarray(age))


def _legal_index(codes: np.ndarray) -> np.ndarray:
    """SSDA903 legal status (LS) to the model's legal status index (children.LEGAL_CODES)."""
    table = {"V2": 0, "V3": 0, "V4": 0, "C1": 1, "C2": 2, "L1": 3, "L2": 3, "L3": 3, "J1": 4, "J2": 4, "J3": 4,
             "E1": 5, "D1": 5}
    return np.array([table.get(x, 0) for x in codes], dtype=np.int8)


def _nearest_sample(geo, la: np.ndarray, e: np.ndarray, n: np.ndarray) -> np.ndarray:
    """The model's sample postcode nearest each point, within its LA."""
    out = np.empty(len(la), dtype=np.int64)
    for i, (a, x, y) in enumerate(zip(la.tolist(), e.tolist(), n.tolist())):
        lo, hi = int(geo.pc_start[a]), int(geo.pc_start[a + 1]) if a + 1 < len(geo.pc_start) else len(geo.pc_e)
        d = (geo.pc_e[lo:hi] - x) ** 2 + (geo.pc_n[lo:hi] - y) ** 2
        out[i] = lo + int(np.argmin(d))
    return out
