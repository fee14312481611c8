"""Children: entering care, what they need, their care plans, placement endings, leaving care.

Entry. Each LA's children start to be looked after as a Poisson process at the LA's published
yearly rate (DfE starts by LA), with the national age mix of starts. On entry a child gets a
home postcode in the LA, a need level, risk flags (UASC, disability, youth justice, exploitation),
a legal status and a first care plan: placed with parents, with a relative or friend (kinship),
in another setting (hospital, mother-and-baby unit), or a search for a placement.

Leaving care. The time and route out of care follow competing hazards that depend on age band
and on time in care (returning home is most likely in the first weeks): return home, to
relatives, adoption, special guardianship, child arrangements order, independent living at 16-17,
transfer to another LA, other reasons; at the 18th birthday every remaining child leaves (staying
put with foster carers, or into independent living). Draws are keyed to the child (see
:mod:`rccsim.base.rng`), so the same child leaves at the same time in every scenario unless a policy
changes its path.

Placement endings. When a placement starts, its end is drawn from two hazards: an unplanned
ending (breakdown), which rises with a poor fit between the child's needs and the placement, with
distance from home, with age and with earlier breakdowns and falls with the carer's skill; and a
planned move (change of care plan). Every ending carries an SSDA903 REASON_PLACE_CHANGE code.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from rccsim.base.codes import (
    EXIT,
    FLAG_DISABILITY,
    FLAG_EXPLOITATION,
    FLAG_JUSTICE,
    FLAG_SOLO,
    FLAG_UASC,
    N_KINDS,
    REASON,
    Kind,
)
from rccsim.inputs.published import la_starts

DAYS_PER_YEAR = 365.25
AGE_EDGES = np.array([0.0, 1.0, 5.0, 10.0, 16.0, 18.0])  # DfE age bands: <1, 1-4, 5-9, 10-15, 16-17
ADOPTION_MIN_DAYS = 70  # 10 weeks with the adopters before an application (Adoption and Children Act 2002, s.42(2))
PHASE_EDGES = np.array([0.0, 0.25, 1.0, np.inf])  # years in care: first 3 months, rest of year 1, after
EXIT_ROUTES = ("return_home", "relatives", "adoption", "special_guardianship", "child_arrangements",
               "independent", "transfer", "other")
ROUTE_CODE = {"return_home": "E4A", "relatives": "E13", "adoption": "E11", "special_guardianship": "E45",
              "child_arrangements": "E41", "independent": "E5", "transfer": "E3", "other": "E8"}
FAMILY_ROUTES = ("return_home", "relatives", "adoption", "special_guardianship", "child_arrangements")
LEGAL_CODES = ("V2", "C1", "C2", "L1", "J1", "E1")  # s20, interim care order, care order, police protection, remand (J1), placement order
UNPLANNED_REASONS = ("CREQB", "CREQO", "CHILD", "ALLEG", "STAND", "LAREQ")
NEVER = 2**31 - 1
# the NTS threshold rose from 0.07% to 0.1% of the child population on this day (Home Office; CYP Now,
# "Asylum transfer reforms prompt questions over commissioning", 2022)
NTS_THRESHOLD_RAISED = dt.date(2022, 8, 24)
COMPLEXITY_BASE_YEAR = 2024  # entries.need*_by_band describe the starts of the year to 31 March 2024


def age_band(age_years: np.ndarray) -> np.ndarray:
    return np.clip(np.searchsorted(AGE_EDGES, age_years, side="right") - 1, 0, len(AGE_EDGES) - 2)


def ages(model, ids: np.ndarray, day: int | np.ndarray) -> np.ndarray:
    """Age in years on ``day``."""
    return (np.asarray(day) - model.children.dob[ids]) / DAYS_PER_YEAR


# --------------------------------------------------------------------------------------------
# Entry
# --------------------------------------------------------------------------------------------

def draw_entry_days(model, year_start: int, year_days: int, la_index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """How many children start care in each LA this year, and on which days (stream ``entries``)."""
    p = model.p.demand
    rng = model.streams["entries"]
    year = (year_start - 0) / DAYS_PER_YEAR
    rate = model.world.starts_per_year[la_index] * p.entry_multiplier * (1.0 + p.trend) ** year
    counts = rng.poisson(rate * year_days / DAYS_PER_YEAR)
    las = np.repeat(la_index, counts)
    days = year_start + rng.integers(0, year_days, size=len(las))
    return days, las


def create_entrants(model, las: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Create the children who will enter care on ``days`` in LAs ``las``; returns their ids.

    A year's entrants are created in one batch when the year begins (stream
    ``entry_attributes``), and come into care on their day. Their exits are drawn from their
    entry day.
    """
    p = model.p.entries
    rng = model.streams["entry_attributes"]
    n = len(las)
    days = np.asarray(days, dtype=np.int64)
    year_ending = model.start_year + model.year_of_day(int(days.min())) if n else None
    cum, uasc_scale = entry_mix(model, year_ending if n else model.start_year)
    band = (rng.random(n)[:, None] > cum[las]).sum(axis=1).clip(0, 4)
    within = rng.random(n)
    within = np.where(band == 0, within ** p.infant_age_skew, within)  # many babies enter at birth
    age = AGE_EDGES[band] + within * (AGE_EDGES[band + 1] - AGE_EDGES[band])
    age = np.minimum(age, 18.0 - 7.0 / DAYS_PER_YEAR)  # under 18 by the calendar too (DfE rule 352)
    attrs = draw_attributes(model, rng, band, age, n, year_ending=year_ending, uasc_scale=uasc_scale[las])
    pc = model.geo.sample_points(las, rng.random(n))
    ids = model.children.append(
        n,
        la=las,
        home_pc=pc,
        home_e=model.geo.pc_e[pc],
        home_n=model.geo.pc_n[pc],
        dob=days - np.round(age * DAYS_PER_YEAR).astype(np.int64),
        entered=days,
        in_care=False,
        **attrs,
    )
    uasc = (attrs["flags"] & FLAG_UASC) > 0
    plan_u = rng.random(n)
    parents = ~uasc & (plan_u < p.parents_share)
    kin = ~uasc & ~parents & (plan_u < p.parents_share + p.kin_share) & (attrs["need"] < 2)
    other = ~parents & ~kin & (rng.random(n) < np.asarray(p.other_share_by_band)[band])
    c = model.children
    c.plan_parents[ids] = parents
    c.plan_kin[ids] = kin
    c.plan_other[ids] = other
    schedule_exits(model, ids, days)
    return ids


def national_transfer(model, ids: np.ndarray, days: np.ndarray) -> None:
    """The National Transfer Scheme: an LA already looking after more unaccompanied asylum-seeking
    children than ``exits.nts_threshold_share`` of its child population (the first value before
    24 August 2022, the second from then: 0.07% and 0.1%) refers its new arrivals,
    whose care passes to another LA ``exits.nts_transfer_days`` after they arrive (they leave this
    LA's care with DfE's reason E3, care taken by another LA). Arrivals that bring an LA up to the
    threshold stay. The receiving LAs' share of them is in their own published starts, so no child
    is created for them here. ``ids`` came into care this tick, on ``days``."""
    c = model.children
    new_uasc = (c.flags[ids] & FLAG_UASC) > 0
    if not new_uasc.any():
        return
    p = model.p.exits
    arrivals, arrival_days = ids[new_uasc], np.asarray(days)[new_uasc]
    n_la = model.geo.n
    held = np.bincount(c.la[: c.n][c.in_care[: c.n] & ((c.flags[: c.n] & FLAG_UASC) > 0)], minlength=n_la)
    la = c.la[arrivals].astype(np.int64)
    before = held - np.bincount(la, minlength=n_la)  # the LA's unaccompanied children before these arrived
    today = model.date_of_day(int(np.max(days)))
    share = p.nts_threshold_share[0] if today < NTS_THRESHOLD_RAISED else p.nts_threshold_share[1]
    room = np.maximum(np.floor(share * model.geo.population_0_17) - before, 0)
    order = np.lexsort((arrivals, la))  # within each LA, by id (the order they were created)
    rank = np.empty(len(la), dtype=np.int64)
    starts = np.searchsorted(la[order], np.arange(n_la))
    rank[order] = np.arange(len(la)) - starts[la[order]]
    go = rank >= room[la]
    if not go.any():
        return
    who, when = arrivals[go], arrival_days[go]
    lo, hi = p.nts_transfer_days
    u = model.streams.keyed_uniform("nts_transfer", who)
    day = when + np.maximum(np.round(lo + u * (hi - lo)).astype(np.int64), 1)
    sooner = day < c.exit_day[who]
    who, day = who[sooner], day[sooner]
    if len(who):
        c.exit_day[who] = model.calendar.schedule("exit", day, who)
        c.exit_route[who] = EXIT_ROUTES.index("transfer")
        c.adopt_move_day[who] = NEVER  # leaving by transfer, no move to adopters first


def complexity_factor(model, year_ending: int) -> float:
    """How much commoner complex and intensive needs are among children starting care in the year
    to 31 March ``year_ending`` than in 2023-24 (``entries.complexity_trend_per_year``)."""
    return float((1.0 + model.p.entries.complexity_trend_per_year) ** (year_ending - COMPLEXITY_BASE_YEAR))


def entry_mix(model, year_ending: int) -> tuple[np.ndarray, np.ndarray]:
    """Each LA's entrants in the year to 31 March ``year_ending``: the cumulative shares of the five
    age bands (LAs x bands) and the factor on ``entries.uasc_share_by_band`` for its unaccompanied
    children (per LA), from DfE's LA starts table (:func:`rccsim.inputs.published.la_starts`).

    An LA's age shares are ``entries.age_shares`` tilted by the LA's own shares over England's
    (Kent's starts are two-thirds 16-17-year-olds, most of them unaccompanied; a shire's are
    younger). The factor makes the LA's expected unaccompanied entrants its published count, each
    band's share at most 95%."""
    cache = model.__dict__.setdefault("_entry_mix", {})
    if year_ending in cache:
        return cache[year_ending]
    p = model.p.entries
    st = la_starts(int(year_ending))
    nat = st["national_age"] / max(st["national_age"].sum(), 1e-12)
    own = st["age"] / np.maximum(st["age"].sum(axis=1, keepdims=True), 1e-12)
    w = np.asarray(p.age_shares, float)[None, :] / np.sum(p.age_shares) * own / np.maximum(nat, 1e-12)[None, :]
    w = w / np.maximum(w.sum(axis=1, keepdims=True), 1e-12)
    cum = np.cumsum(w, axis=1)
    cum[:, -1] = 1.0
    # the factor: expected unaccompanied entrants over the LA's published count, solved in a few steps
    # because each band's share is capped
    base = np.asarray(p.uasc_share_by_band, float)[None, :]
    national_share = st["national_uasc"] / max(st["national_age"].sum(), 1e-12)
    expected_national = float((base[0] * nat).sum())
    target = st["uasc"] / np.maximum(st["age"].sum(axis=1), 1e-12) * (expected_national / max(national_share, 1e-12))
    f = np.ones(len(w))
    for _ in range(20):
        got = (np.minimum(base * f[:, None], 0.95) * w).sum(axis=1)
        f = np.where(got > 0, f * target / np.maximum(got, 1e-12), f)
        f = np.clip(f, 0.0, 50.0)
    cache[year_ending] = (cum, f)
    return cum, f


def draw_attributes(model, rng: np.random.Generator, band: np.ndarray, age: np.ndarray, n: int,
                    year_ending: int | None = None, uasc_scale: np.ndarray | None = None) -> dict:
    """Sex, need level, risk flags and legal status for new children of the given ages (entering
    care in the year to 31 March ``year_ending``: complex and intensive needs follow its trend;
    ``uasc_scale``: a factor per child on the share of unaccompanied children, see :func:`entry_mix`)."""
    p = model.p.entries
    male = rng.random(n) < p.male_share
    uasc_p = np.asarray(p.uasc_share_by_band)[band]
    if uasc_scale is not None:
        uasc_p = np.minimum(uasc_p * uasc_scale, 0.95)
    uasc = rng.random(n) < uasc_p
    male |= uasc & (rng.random(n) < 0.9)  # nine in ten UASC are boys (first guess)
    u = rng.random(n)
    need1, need2 = np.asarray(p.need1_by_band)[band], np.asarray(p.need2_by_band)[band]
    if year_ending is not None:
        f = complexity_factor(model, year_ending)
        need1, need2 = np.minimum(need1 * f, 0.6), np.minimum(need2 * f, 0.3)
    need = np.where(u < need2, 2, np.where(u < need2 + need1, 1, 0)).astype(np.int8)
    need[uasc] = np.minimum(need[uasc], 1)
    flags = np.where(uasc, FLAG_UASC, 0)
    flags |= np.where(rng.random(n) < p.disability_share, FLAG_DISABILITY, 0)
    teen = age >= 10
    flags |= np.where(teen & ~uasc & (rng.random(n) < p.justice_share_10plus), FLAG_JUSTICE, 0)
    flags |= np.where(teen & (need > 0) & (rng.random(n) < p.exploitation_share_complex), FLAG_EXPLOITATION, 0)
    legal_u = rng.random(n)
    shares = np.cumsum(np.asarray(p.legal_shares) / np.sum(p.legal_shares))
    legal = np.searchsorted(shares, legal_u, side="right").clip(0, 4)
    legal = np.where(flags & FLAG_JUSTICE, 4, legal)
    legal = np.where(uasc, 0, legal)
    if p.solo_share_intensive > 0:
        # a child with intensive needs aged 10+ who can live only alone (drawn last, so that a share
        # of 0 leaves every other draw as it was)
        flags |= np.where(teen & (need == 2) & (rng.random(n) < p.solo_share_intensive), FLAG_SOLO, 0)
    return {"male": male, "need": need, "flags": flags.astype(np.int16), "legal": legal.astype(np.int8)}


# --------------------------------------------------------------------------------------------
# Leaving care
# --------------------------------------------------------------------------------------------

def hazard_table(model) -> np.ndarray:
    """Hazard per year [route, age band, care phase]."""
    p = model.p.exits
    table = np.zeros((len(EXIT_ROUTES), 5, 3))
    for r, route in enumerate(EXIT_ROUTES):
        table[r] = np.outer(np.asarray(getattr(p.rate, route)), np.asarray(getattr(p.phase, route)))
    return table


def schedule_exits(model, ids: np.ndarray, day: int | np.ndarray, placed_for_adoption: np.ndarray | None = None) -> None:
    """Draw when and how each child leaves care (competing piecewise-constant hazards).

    Children in care since ``entered`` are followed from their age and time in care on ``day``
    (one day for all, or one per child). Draws are keyed to the child id, so they are common
    across scenarios. ``placed_for_adoption``: for the start state, which children start placed
    for adoption (the others' moves to adopters spread from the start, see below).
    """
    if len(ids) == 0:
        return
    c = model.children
    table = model.exit_hazards
    uasc = (c.flags[ids] & FLAG_UASC) > 0
    family_mult = np.where(uasc, model.p.exits.uasc_family_multiplier, 1.0)
    route_is_family = np.isin(np.arange(len(EXIT_ROUTES)), [EXIT_ROUTES.index(r) for r in FAMILY_ROUTES])
    transfer = EXIT_ROUTES.index("transfer")  # unaccompanied children transfer through the NTS instead

    age = (day - c.dob[ids]) / DAYS_PER_YEAR
    tic = (day - c.entered[ids]) / DAYS_PER_YEAR
    t = np.zeros(len(ids))  # years from ``day``
    exit_t = np.full(len(ids), np.nan)
    route = np.full(len(ids), -1, dtype=np.int64)
    active = np.ones(len(ids), dtype=bool)
    piece = 0
    while active.any():
        a = np.flatnonzero(active)
        cur_age, cur_tic = age[a] + t[a], tic[a] + t[a]
        band = age_band(cur_age)
        phase = np.clip(np.searchsorted(PHASE_EDGES, cur_tic, side="right") - 1, 0, 2)
        to_age = AGE_EDGES[band + 1] - cur_age
        to_phase = PHASE_EDGES[phase + 1] - cur_tic
        length = np.maximum(np.minimum(to_age, to_phase), 1e-9)
        h = table[:, band, phase].T.copy()  # (n, routes)
        h[:, route_is_family] *= family_mult[a, None]
        h[uasc[a], transfer] = 0.0
        h *= model.exit_multiplier[c.la[ids[a]], band][:, None]  # 1 unless estimated from a return
        total = h.sum(axis=1)
        u = model.streams.keyed_uniform("exit_time", ids[a], piece)
        with np.errstate(divide="ignore"):
            wait = np.where(total > 0, -np.log(u) / total, np.inf)
        hit = wait < length
        if hit.any():
            hi = a[hit]
            exit_t[hi] = t[hi] + wait[hit]
            cum = np.cumsum(h[hit], axis=1) / total[hit, None]
            u2 = model.streams.keyed_uniform("exit_route", ids[hi], piece)
            route[hi] = (u2[:, None] > cum).sum(axis=1)
            active[hi] = False
        miss = a[~hit]
        t[miss] += length[~hit]
        reached_18 = age[miss] + t[miss] >= 18.0 - 1e-9
        if reached_18.any():
            done = miss[reached_18]
            exit_t[done] = 18.0 - age[done]
            route[done] = -2  # decided on the day (depends on the placement then)
            active[done] = False
        piece += 1
    exit_day = day + np.maximum(np.ceil(exit_t * DAYS_PER_YEAR).astype(np.int64), 1)
    # adoption: the move to the adoptive family comes months before the order
    adopt = route == EXIT_ROUTES.index("adoption")
    move = None
    if adopt.any():
        ai = ids[adopt]
        u = model.streams.keyed_uniform("adoption_move", ai)
        lead = model.p.exits.adoption_placement_months[0] + u * (
            model.p.exits.adoption_placement_months[1] - model.p.exits.adoption_placement_months[0]
        )
        move = exit_day[adopt] - np.round(lead * DAYS_PER_YEAR / 12).astype(np.int64)
        # an adoption order follows a placement for adoption, by at least 10 weeks (Adoption and
        # Children Act 2002, s.42(2)): when the lead would reach back before the child's next
        # placement search (the market's next tick), the move comes at a uniform time from that
        # tick, and the order no sooner than 10 weeks after it (children at the start included)
        today = np.broadcast_to(day, ids.shape)[adopt]
        ticks = np.append(model.ticks, model.horizon)
        soonest = ticks[np.minimum(np.searchsorted(ticks, today, side="right"), len(ticks) - 1)]
        short = move < soonest
        if short.any():
            v = model.streams.keyed_uniform("adoption_move_short", ai)
            room = np.maximum(exit_day[adopt] - soonest - ADOPTION_MIN_DAYS, 0)
            # a child of the start state not yet placed for adoption whose move would come before
            # the start would already have moved (DfE counts those children placed for adoption,
            # and so does the start state): its move spreads over the lead from the start, and the
            # order follows, rather than every such child moving in the first weeks
            start = c.initial[ai] & (today <= 0)
            if placed_for_adoption is not None:
                start &= ~np.asarray(placed_for_adoption, dtype=bool)[adopt]
            room = np.where(start, np.round(lead * DAYS_PER_YEAR / 12).astype(np.int64), room)
            move = np.where(short, soonest + np.floor(v * room).astype(np.int64), move)
            exit_day[adopt] = np.where(short, np.maximum(exit_day[adopt], move + ADOPTION_MIN_DAYS), exit_day[adopt])
    exit_day = model.calendar.schedule("exit", exit_day, ids)
    c.exit_day[ids] = exit_day
    c.exit_route[ids] = route
    if move is not None:
        later = move < model.horizon
        move[later] = model.calendar.schedule("adoption_move", move[later], ai[later])
        c.adopt_move_day[ai] = move


def exit_code_at_18(model, ids: np.ndarray) -> np.ndarray:
    """REC code index for children leaving at their 18th birthday, from where they live then."""
    c = model.children
    p = model.p.exits
    kind = c.kind[ids]
    u = model.streams.keyed_uniform("exit_at_18", ids)
    foster = (kind == Kind.FOSTER_KIN) | (kind == Kind.FOSTER_LA) | (kind == Kind.FOSTER_IFA)
    stay = foster & (u < p.staying_put_share)
    u2 = model.streams.keyed_uniform("exit_at_18_route", ids)
    shares = np.cumsum(p.route_shares_at_18) / np.sum(p.route_shares_at_18)
    route = np.array([EXIT["E5"], EXIT["E6"], EXIT["E8"]])[np.searchsorted(shares, u2).clip(0, 2)]
    code = np.where(stay, EXIT["E17"], route)
    return code.astype(np.int8)


_ROUTE_CODES = np.array([EXIT[ROUTE_CODE[r]] for r in EXIT_ROUTES], dtype=np.int8)


def route_to_code(route: np.ndarray) -> np.ndarray:
    """Exit route index (EXIT_ROUTES) to REC code index (codes.EXIT_CODES)."""
    return _ROUTE_CODES[route]


# --------------------------------------------------------------------------------------------
# Care plans: which kinds of placement a referral may go to, at what penalty
# --------------------------------------------------------------------------------------------

def care_plan(model, ids: np.ndarray, day: int) -> np.ndarray:
    """Penalty (GBP per week equivalent) of each placement kind for each child; inf = not in plan.

    Family placement first for children under 16 who can live in a family; children's homes for
    intensive needs and as a fallback for older children; supported accommodation from 16 for
    unaccompanied asylum seekers and for those whose plan is to move on to independence.
    """
    p = model.p.plan
    c = model.children
    n = len(ids)
    pen = np.full((n, N_KINDS), np.inf)
    age = ages(model, ids, day)
    need = c.need[ids]
    uasc = (c.flags[ids] & FLAG_UASC) > 0
    sixteen = age >= 16
    wants_supported = sixteen & (uasc | (model.streams.keyed_uniform("plan_supported", ids) < p.supported_share_16))
    foster_ok = need < 2
    pen[:, Kind.FOSTER_LA] = np.where(foster_ok, 0.0, np.inf)
    pen[:, Kind.FOSTER_IFA] = np.where(foster_ok, 0.0, np.inf)
    teen_complex = (need == 1) & (age >= p.residential_age)
    pen[teen_complex, Kind.FOSTER_LA] = p.teen_foster_penalty_gbp
    pen[teen_complex, Kind.FOSTER_IFA] = p.teen_foster_penalty_gbp
    home_pref = need >= 1
    home_fallback = (need == 0) & (age >= p.residential_age)
    pen[:, Kind.HOME_LA] = np.where(home_pref, 0.0, np.where(home_fallback, p.fallback_penalty_gbp, np.inf))
    pen[:, Kind.HOME_IND] = pen[:, Kind.HOME_LA]
    pen[:, Kind.SUPPORTED] = np.where(
        wants_supported, 0.0, np.where(sixteen & (need < 2), p.fallback_penalty_gbp, np.inf)
    )
    # a 16-17-year-old whose plan is independence still prefers supported accommodation
    pen[wants_supported & ~uasc, Kind.FOSTER_LA] += p.fallback_penalty_gbp * 0.5
    pen[wants_supported & ~uasc, Kind.FOSTER_IFA] += p.fallback_penalty_gbp * 0.5
    pen[uasc & sixteen, Kind.FOSTER_LA] = np.inf
    pen[uasc & sixteen, Kind.FOSTER_IFA] = np.inf
    return pen


# --------------------------------------------------------------------------------------------
# Placement endings
# --------------------------------------------------------------------------------------------

def _piecewise_wait(e: np.ndarray, rate: np.ndarray, elapsed: np.ndarray, settle: float, mult) -> np.ndarray:
    """Years until an event with unit-exponential draw ``e``, for a hazard that is ``rate`` until
    the placement is ``settle`` years old and ``rate * mult`` after, starting ``elapsed`` years in."""
    with np.errstate(divide="ignore", invalid="ignore"):
        early_left = np.maximum(settle - elapsed, 0.0)
        early_mass = rate * early_left
        t_early = np.where(rate > 0, e / rate, np.inf)
        late_rate = rate * mult
        t_late = early_left + np.where(late_rate > 0, (e - early_mass) / late_rate, np.inf)
        return np.where(e < early_mass, t_early, t_late)


def schedule_placement_end(model, ids: np.ndarray, day: int, elapsed: np.ndarray | None = None) -> None:
    """Draw the end of each child's placement: breakdown or planned move, with its reason.

    Both hazards fall once a placement has lasted ``stability.settle_years`` (placements that
    survive the first year are the stable ones), by :func:`settled_multiplier` (children's homes
    have their own). Moving on at 16-17 (:func:`move_on_rate`) is a third wait, from the 16th
    birthday, that does not settle. ``elapsed`` is how long the placement has already
    lasted (years; the start state's placements began before the run).
    """
    if len(ids) == 0:
        return
    p = model.p.stability
    c = model.children
    elapsed = np.zeros(len(ids)) if elapsed is None else np.asarray(elapsed, dtype=float)
    rate_u, rate_p = placement_hazards(model, ids, day, move_on=False)
    counter = c.n_placements[ids]
    u1, u2, u3, u4, u5 = model.streams.keyed_uniforms(
        ("breakdown", "planned_move", "end_reason", "rematch", "move_on"), ids, counter)
    e1 = -np.log(u1)
    e2 = -np.log(u2)
    settled = settled_multiplier(model, ids)
    t_u = _piecewise_wait(e1, rate_u, elapsed, p.settle_years, settled)
    t_p = _piecewise_wait(e2, rate_p, elapsed, p.settle_years, settled)
    # moving on at 16-17 (to supported accommodation, or home) is a stage of life, not a sign of
    # an unsettled placement: it starts at the 16th birthday, however long the placement has lasted
    rate_m = move_on_rate(model, ids)
    with np.errstate(divide="ignore"):
        t_m = np.maximum(16.0 - ages(model, ids, day), 0.0) + np.where(rate_m > 0, -np.log(u5) / np.where(rate_m > 0, rate_m, 1.0), np.inf)
    t_p = np.minimum(t_p, t_m)
    rate_r = rematch_hazard(model, ids)
    if rate_r.any():
        # a placement far from home is planned to end when a nearer one can be found, until it
        # has settled (a child settled far away is not moved for distance alone)
        e3 = -np.log(u4)
        t_r = _piecewise_wait(e3, rate_r, elapsed, p.settle_years, 0.0)
        rematch = t_r < np.minimum(t_u, t_p)
        t_p = np.minimum(t_p, t_r)
    else:
        rematch = np.zeros(len(ids), dtype=bool)
    # a short-term first placement: a child coming into care is often placed with foster carers
    # for days or weeks until a longer-term placement is found (a planned move)
    bridge = (c.n_placements[ids] == 1) & (elapsed == 0) & ~c.initial[ids] & (p.bridging_share > 0)
    bridge &= (c.kind[ids] == Kind.FOSTER_LA) | (c.kind[ids] == Kind.FOSTER_IFA)
    if bridge.any():
        ub, ud = model.streams.keyed_uniforms(("bridging", "bridging_days"), ids, counter)
        bridge &= ub < p.bridging_share
        t_b = -np.log(ud) * p.bridging_days / DAYS_PER_YEAR
        t_p = np.where(bridge, np.minimum(t_p, t_b), t_p)
        rematch &= ~bridge | (t_b > t_p)
    t = np.minimum(t_u, t_p)  # years from now (the waits already start ``elapsed`` years in)
    finite = np.isfinite(t)
    end = np.full(len(ids), NEVER, dtype=np.int64)
    day = np.asarray(day)
    end[finite] = (day[finite] if day.ndim else day) + np.maximum(np.ceil(t[finite] * DAYS_PER_YEAR), 1).astype(np.int64)
    end[finite] = model.calendar.floor_of(end[finite])
    unplanned = t_u < t_p
    shares = np.cumsum(np.asarray(p.unplanned_reason_shares) / np.sum(p.unplanned_reason_shares))
    reason_unplanned = _UNPLANNED_CODES[np.searchsorted(shares, u3).clip(0, 5)]
    reason = np.where(unplanned, reason_unplanned, REASON["CARPL"])
    # a placement that outlasts the child's time in care never "ends" as a placement change
    end = np.where(end >= c.exit_day[ids], NEVER, end)
    c.end_day[ids] = end
    c.end_reason[ids] = reason
    c.end_rematch[ids] = rematch & (end < NEVER)
    due = end < NEVER
    model.calendar.schedule("end", end[due], ids[due])


def rematch_hazard(model, ids: np.ndarray) -> np.ndarray:
    """Planned moves per year towards home, for placements in the market more than
    ``stability.rematch_miles`` from the child's home (LAs place children near home "so far as
    reasonably practicable", Children Act 1989 s.22C, and move them back when a nearer place
    frees up). Zero for kinship, parents, adoption, other and emergency settings."""
    p = model.p.stability
    if p.rematch_rate <= 0:
        return np.zeros(len(ids))
    c = model.children
    kind = c.kind[ids]
    market = (kind >= Kind.FOSTER_LA) & (kind <= Kind.SUPPORTED)
    # a children's home was chosen weighing distance less (market.home_distance_factor): a move
    # nearer home is worth as much less against the match it would give up
    rate = np.where(np.isin(kind, (Kind.HOME_LA, Kind.HOME_IND)), p.rematch_rate * model.p.market.home_distance_factor,
                    p.rematch_rate)
    return np.where(market & (c.distance[ids] > p.rematch_miles), rate, 0.0)


def settled_multiplier(model, ids: np.ndarray) -> np.ndarray:
    """Multiplier on each placement's breakdown and planned-move hazards once it has settled:
    ``stability.settled_multiplier``, and for a children's home ``stability.home_settled_multiplier``."""
    p = model.p.stability
    kind = model.children.kind[ids]
    home = (kind == Kind.HOME_LA) | (kind == Kind.HOME_IND)
    return np.where(home, p.home_settled_multiplier, p.settled_multiplier)


def move_on_rate(model, ids: np.ndarray) -> np.ndarray:
    """Planned moves per year, from the 16th birthday, out of family or residential care."""
    kind = model.children.kind[ids]
    movable = (kind == Kind.FOSTER_LA) | (kind == Kind.FOSTER_IFA) | (kind == Kind.HOME_LA) | (kind == Kind.HOME_IND)
    return np.where(movable, model.p.stability.move_on_rate_16, 0.0)


def placement_hazards(model, ids: np.ndarray, day, move_on: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Breakdown and planned-move hazards (per year, before settling) of each child's placement.

    Breakdowns rise with age (from 11), a misfit between the child's needs and the placement's
    skill, distance from home and a history of breakdowns, and fall when the placement's skill
    exceeds the child's needs. With ``move_on``, the planned moves include moving on for the
    16-17-year-olds (:func:`move_on_rate`) at today's age (the start state's back-dating).
    """
    p = model.p.stability
    c = model.children
    kind = c.kind[ids].astype(np.int64)
    age = ages(model, ids, day)
    base_u = np.asarray(p.unplanned_rate)[kind]
    base_p = np.asarray(p.planned_rate)[kind]
    unit = c.unit[ids]
    skill = np.where(unit >= 0, model.units.max_need[np.maximum(unit, 0)], 2)
    need = c.need[ids]
    misfit = need > skill
    mult = (
        np.where(age >= 11, p.teen_multiplier, 1.0)
        * np.where(misfit, p.misfit_multiplier, 1.0)
        * (1.0 + p.distance_effect * np.minimum(c.distance[ids], 200.0) / 20.0)
        * (1.0 + p.breakdown_history * np.minimum(c.n_breakdowns[ids], 5))
        * np.where(~misfit & (skill > need), p.skill_protection, 1.0)
    )
    rate_u = base_u * mult * np.where((kind == Kind.HOME_LA) | (kind == Kind.HOME_IND), p.home_breakdown_factor,
                                      np.where(kind == Kind.SUPPORTED, p.supported_breakdown_factor, 1.0))
    # 16-17-year-olds in family or residential care may move on to supported accommodation
    rate_p = base_p + np.where(age >= 16, move_on_rate(model, ids), 0.0) if move_on else base_p
    return rate_u, rate_p


_UNPLANNED_CODES = np.array([REASON[r] for r in UNPLANNED_REASONS])
_BREAKDOWN = np.zeros(max(REASON.values()) + 1, dtype=bool)  # reason code -> a breakdown
_BREAKDOWN[[REASON[r] for r in UNPLANNED_REASONS if r != "LAREQ"]] = True


def is_breakdown(reason: np.ndarray) -> np.ndarray:
    """True for endings the carer, child or standards caused (not plan changes or closures)."""
    reason = np.asarray(reason, dtype=np.int64)
    return (reason >= 0) & _BREAKDOWN[np.clip(reason, 0, len(_BREAKDOWN) - 1)]


def escalate_needs(model, ids: np.ndarray, day: int) -> None:
    """After a breakdown an older child's assessed need may rise (keyed draw)."""
    c = model.children
    age = ages(model, ids, day)
    u = model.streams.keyed_uniform("escalate", ids, c.n_breakdowns[ids])
    up = (age >= 10) & (u < model.p.stability.escalate_on_breakdown) & (c.need[ids] < 2)
    c.need[ids[up]] += 1
    share = model.p.entries.solo_share_intensive
    if share > 0:
        # a child whose needs became intensive may, like an entrant's, be one who can live only alone
        intense = ids[up & (c.need[ids] == 2)]
        solo = model.streams.keyed_uniform("solo", intense, c.n_breakdowns[intense]) < share
        c.flags[intense[solo]] |= FLAG_SOLO


def settle_needs(model, ids: np.ndarray) -> None:
    """A planned move out of residential care usually follows a fall in need (keyed draw)."""
    c = model.children
    u = model.streams.keyed_uniform("settle", ids, c.n_placements[ids])
    down = (u < model.p.stability.settle_on_planned_move) & (c.need[ids] > 0)
    c.need[ids[down]] -= 1
