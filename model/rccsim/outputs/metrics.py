"""Metrics from the run's records, with DfE's definitions where DfE publishes the figure.

All are computed for the run's LAs (the simulated children) per run year (1 April to 31 March):

* stocks at 31 March: children in care, shares by placement group (fostering, residential,
  supported, with parents, other);
* flows in the year: children starting and ceasing care;
* cost: placement spend in the year (weekly prices pro rata to days, plus the running cost of the
  LAs' own children's homes, which are staffed whether full or empty), and per child-week in care;
* distance at 31 March: mean miles from home to placement, share more than 20 miles away, share
  placed outside the responsible LA (as DfE, straight-line distance between postcodes);
* stability: placement moves per child-year in care; share of children in care at 31 March with
  three or more placements during the year; share of children under 16 in care for 2.5 years or
  more who have been in the same placement for 2 years (DfE long-term stability);
* sufficiency: share of new placements that were emergency or unregistered, children waiting in
  such settings at 31 March, children's homes and fostering households in the run's LAs, homes
  opened and closed, carers approved and leaving.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from rccsim.base.codes import GROUP_OF_KIND, GROUPS, N_KINDS, Kind, Sector, UnitType
from rccsim.base.tables import weighted_bincount
from rccsim.levers import report_defaults
from rccsim.levers.base import cost_items
from rccsim.outputs import sufficiency

NEVER = 2**31 - 1
HIGH_COST_GBP_WEEK = 10_000.0  # the LGA's high-cost placement line (placements costing GBP 10k+ a week)
HEADLINE = (
    "children_in_care_end",
    "entries_per_year",
    "exits_per_year",
    "share_fostering_end",
    "share_residential_end",
    "share_supported_end",
    "cost_total_gbp",
    "cost_per_child_week_gbp",
    "mean_distance_miles",
    "share_over_20_miles",
    "share_out_of_la",
    "moves_per_child_year",
    "share_3plus_placements",
    "share_emergency_placements",
    "children_homes_end",
    "foster_households_end",
)
# distance from home of children placed at the end of the run (miles; DfE's 20-mile line is a bound)
DISTANCE_BANDS = np.array([0.0, 5.0, 10.0, 20.0, 50.0, np.inf])
DISTANCE_BAND_LABELS = ("0-5", "5-10", "10-20", "20-50", "50+")
# moves per child in care at any time during the run (placements started after the first)
MOVE_BANDS = ("0", "1", "2", "3", "4+")
AGE_BAND_EDGES = np.array([1.0, 5.0, 10.0, 16.0])  # upper edges of DfE's age bands but the last
AGE_BAND_LABELS = ("under_1", "1_4", "5_9", "10_15", "16_17")
GROUP_INDEX = np.array([GROUPS.index(GROUP_OF_KIND[k]) for k in range(N_KINDS)])
# the placement groups for which DfE publishes distance and durations nationally, year by year
TYPE_GROUPS = ("fostering", "residential", "supported")


def _margin(sums: dict, year: int | None) -> float:
    """Operating margin (income - cost) / income of independent homes, in one run year or all."""
    inc, cost = sums.get("home_income_gbp", {}), sums.get("home_cost_gbp", {})
    income = sum(inc.values()) if year is None else inc.get(year, 0.0)
    spent = sum(cost.values()) if year is None else cost.get(year, 0.0)
    return _safe(income - spent, income)


def _safe(num: float, den: float) -> float:
    return float(num) / float(den) if den > 0 else 0.0


def _budget_year(model, k: int) -> dict:
    """Run year ``k``'s placement budgets of the RCC's members (rccsim.core.budgets)."""
    b = model.budgets.yearly(k)
    mem = model.rcc.member_index
    budget = b["budget"][mem]
    total = float(budget.sum())

    def weighted(x):  # by budget: a small LA's large ratio does not outweigh a large LA's
        return float((x[mem] * budget).sum() / total) if total > 0 else 0.0
    return {
        "members_budget_gbp": total,
        "members_overspend": weighted(b["overspend"]),
        "members_budget_pressure": weighted(b["pressure"]),
    }


def _vacancy(by_region: dict, regions: list[str]) -> float:
    """Care staff vacancy rate over ``regions`` (posts-weighted) from a year's workforce snapshot."""
    posts = sum(by_region[r]["posts"] for r in regions if r in by_region)
    staff = sum(by_region[r]["staff"] for r in regions if r in by_region)
    return float(max(posts - staff, 0.0) / posts) if posts > 0 else 0.0


def compute(model) -> tuple[dict, list[dict]]:
    """Whole-run metrics and one dict of metrics per year."""
    c, log, u = model.children, model.recorder.placements, model.units
    n = c.n
    la = c.la[:n].astype(np.int64)
    # the reported LAs' children (all the simulated children but in a run such as "GM in england"):
    # the others count as never in care, and their placements are left out
    mine = model.world.reported[la]
    entered = np.where(mine, c.entered[:n], NEVER).astype(np.int64)
    exited = np.where(mine, c.exited[:n], -1).astype(np.int64)
    initial = c.initial[:n] & mine
    exited_eff = np.where(exited < 0, NEVER, exited)
    rows = np.flatnonzero(mine[log.child[: log.n]])
    l_child = log.child[rows].astype(np.int64)
    l_start = log.start[rows].astype(np.int64)
    l_end_raw = log.end[rows].astype(np.int64)  # NEVER while open
    l_end = np.minimum(l_end_raw, model.horizon)
    l_kind = log.kind[rows].astype(np.int64)
    l_price = log.price[rows]
    l_first = log.first[rows]
    l_initial = log.initial[rows]
    l_dist = log.distance[rows]
    l_place_la = log.place_la[rows].astype(np.int64)
    dob = c.dob[:n].astype(np.int64)

    # LA-run homes of the run's LAs: fixed running costs
    un = u.n
    la_home = (u.utype[:un] == UnitType.HOME) & (u.sector[:un] == Sector.LA) & (u.owner_la[:un] >= 0)
    la_home &= model.world.reported[np.maximum(u.owner_la[:un], 0)]
    la_home &= u.regional[:un] == 0  # the RCC's capital homes are the RCC's cost (its lever's)
    h_open = np.maximum(u.opened[:un][la_home].astype(np.int64), 0)
    h_close = np.where(u.closed[:un][la_home] < 0, model.horizon, u.closed[:un][la_home]).astype(np.int64)
    h_cost = u.weekly_cost[:un][la_home]

    # the levers' own costs (capital, block payments, hub, RCC running costs): what they charged as
    # the run went, then what they work out at the end (rccsim.levers.base: costs)
    lever_items = cost_items(model)
    whole_defaults, yearly_defaults = report_defaults()
    l_unit = log.unit[rows].astype(np.int64)
    l_regional = log.regional[rows].copy()  # placed in a bed the RCC held (it may since have let it go)

    l_payer = log.payer[rows].astype(np.int64)
    h_owner = u.owner_la[:un][la_home].astype(np.int64)
    n_la = model.geo.n
    spend_la = np.zeros((model.years, n_la))  # who pays: placements by payer, LA homes by owner
    recharge_la = np.zeros((model.years, n_la))  # of which recharges for RCC beds (paid back to the RCC)

    sums = model.recorder.sums
    years = []
    bounds = model.year_bounds
    # the workforce regions of the RCC's members (a workforce academy recruits there)
    wf = model.workforce
    rcc_regions = sorted({wf.regions[i] for i in wf.region_of_la[model.rcc.member_index].tolist()})
    for k in range(model.years):
        y0, y1 = int(bounds[k]), int(bounds[k + 1])
        d = y1 - 1  # 31 March
        in_care = (entered <= d) & (exited_eff > d)
        stock = int(in_care.sum())
        open_rows = (l_start <= d) & (l_end > d) & (l_end_raw > d)
        kinds_at = l_kind[open_rows]
        groups = np.bincount(GROUP_INDEX[kinds_at], minlength=len(GROUPS))
        by_kind = np.bincount(kinds_at, minlength=N_KINDS)
        dist = l_dist[open_rows]
        out_la = l_place_la[open_rows] != la[l_child[open_rows]]
        # by placement type, DfE's national tables: over 20 miles at 31 March, and the median
        # duration of placements that ended in the year (those begun before the run included)
        group_at = GROUP_INDEX[kinds_at]
        ended_year = (l_end_raw >= y0) & (l_end_raw < y1) & (l_end_raw < model.horizon)
        group_ended = GROUP_INDEX[l_kind[ended_year]]
        days_ended = l_end_raw[ended_year].astype(np.int64) - l_start[ended_year]
        first_group = GROUP_INDEX[l_kind[l_first & ~l_initial & (l_start >= y0) & (l_start < y1)]]
        by_type = {}
        for g in TYPE_GROUPS:
            gi = GROUPS.index(g)
            here, done = group_at == gi, group_ended == gi
            by_type[f"share_over_20_miles_{g}"] = _safe((dist[here] > 20.0).sum(), here.sum())
            by_type[f"median_days_ending_{g}"] = float(np.median(days_ended[done])) if done.any() else 0.0
            by_type[f"placements_ending_{g}"] = int(done.sum())
            by_type[f"share_ending_under_1y_{g}"] = _safe((days_ended[done] < 365).sum(), done.sum())
            # children whose period of care began in the year with a placement of this type (DfE's
            # national starts table, "placement on starting")
            by_type[f"first_placements_{g}"] = int((first_group == gi).sum())
        # placements during the year, per child in care at 31 March
        during = (l_start <= d) & (l_end_raw > y0)
        per_child = np.bincount(l_child[during], minlength=n)
        three_plus = int((per_child[in_care] >= 3).sum())
        # child-days in care during the year
        lo = np.maximum(entered, y0)
        hi = np.minimum(exited_eff, y1)
        child_days = float(np.maximum(hi - lo, 0).sum())
        # spend: placement prices pro rata, plus LA homes' running costs
        o_lo = np.maximum(l_start, y0)
        o_hi = np.minimum(l_end, y1)
        overlap = np.maximum(o_hi - o_lo, 0)
        active = overlap > 0  # placements in force at some time in the year
        unreg = active & (l_kind == Kind.UNREGISTERED)
        unregistered = np.unique(l_child[unreg])
        # the same, counting only children whose emergency placements in the year added up to four
        # weeks or more (a setting Ofsted would find operating, not a night's emergency bed)
        unreg_days = weighted_bincount(l_child[unreg], overlap[unreg], n)
        unregistered_4w = int((unreg_days >= 28).sum())
        costly = int((active & (l_price >= HIGH_COST_GBP_WEEK)).sum())
        # a member's recharge for a child in an RCC bed is paid back to the RCC, whose homes and
        # contracts are counted as its levers' costs: the whole run counts it once (who pays counts
        # the members' recharges)
        market_weeks = np.where(l_regional, 0.0, overlap / 7.0)
        spend_kind = weighted_bincount(l_kind, weights=l_price * market_weeks, minlength=N_KINDS)
        weeks_kind = weighted_bincount(l_kind, weights=market_weeks, minlength=N_KINDS)  # placement-weeks
        recharges = float((l_price * (overlap / 7.0 - market_weeks)).sum())
        home_days = np.maximum(np.minimum(h_close, y1) - np.maximum(h_open, y0), 0)
        la_home_cost = float((h_cost * home_days / 7.0).sum())
        spend_kind[Kind.HOME_LA] += la_home_cost
        spend_la[k] = weighted_bincount(l_payer, weights=l_price * overlap / 7.0, minlength=n_la)[:n_la]
        spend_la[k] += weighted_bincount(h_owner, weights=h_cost * home_days / 7.0, minlength=n_la)[:n_la]
        recharge_la[k] = weighted_bincount(l_payer, weights=l_price * (overlap / 7.0 - market_weeks), minlength=n_la)[:n_la]
        lever_year = {name: float(arr[k]) for name, arr in lever_items.items()}
        cost = float(spend_kind.sum()) + sum(lever_year.values())
        starts_in_year = (l_start >= y0) & (l_start < y1) & ~l_initial
        moves = int((starts_in_year & ~l_first).sum())
        emergency = int((starts_in_year & (l_kind == Kind.UNREGISTERED)).sum())
        # long-term stability (DfE): under 16, in care 2.5+ years, same placement 2+ years
        age_d = (d - dob) / 365.25
        # DfE's age bands at 31 March (under 1, 1-4, 5-9, 10-15, 16-17)
        bands = np.bincount(np.searchsorted(AGE_BAND_EDGES, age_d[in_care], side="right"), minlength=5)[:5]
        long_term = in_care & (age_d < 16) & ((d - entered) >= 913)
        cur_start = np.full(n, NEVER, dtype=np.int64)
        cur_start[l_child[open_rows]] = l_start[open_rows]
        stable = long_term & ((d - cur_start) >= 730)
        snap = model.recorder.snapshots[k] if k < len(model.recorder.snapshots) else {}
        counts = model.recorder.counts
        years.append(
            {
                "year": k + 1,
                "year_ending": f"{model.start_year + k + 1}-03-31",
                "children_in_care_end": stock,
                "entries_per_year": int(((entered >= y0) & (entered < y1) & ~initial).sum()),
                "exits_per_year": int(((exited >= y0) & (exited < y1)).sum()),
                "share_fostering_end": _safe(groups[GROUPS.index("fostering")], stock),
                "share_residential_end": _safe(groups[GROUPS.index("residential")], stock),
                "children_residential_end": int(groups[GROUPS.index("residential")]),
                "share_supported_end": _safe(groups[GROUPS.index("supported")], stock),
                "share_with_parents_end": _safe(groups[GROUPS.index("with_parents")], stock),
                "share_other_end": _safe(groups[GROUPS.index("other")], stock),
                "share_foster_kinship_end": _safe(by_kind[Kind.FOSTER_KIN], stock),
                "share_foster_la_end": _safe(by_kind[Kind.FOSTER_LA], stock),
                "share_foster_agency_end": _safe(by_kind[Kind.FOSTER_IFA], stock),
                **{f"share_aged_{lab}_end": _safe(bands[i], stock) for i, lab in enumerate(AGE_BAND_LABELS)},
                "cost_total_gbp": cost,
                "cost_per_child_week_gbp": _safe(cost, child_days / 7.0),
                "mean_distance_miles": float(dist.mean()) if len(dist) else 0.0,
                "share_over_20_miles": _safe((dist > 20.0).sum(), len(dist)),
                "share_out_of_la": _safe(out_la.sum(), len(dist)),
                **by_type,
                "moves_per_child_year": _safe(moves, child_days / 365.25),
                "share_3plus_placements": _safe(three_plus, stock),
                "share_long_term_stable": _safe(stable.sum(), long_term.sum()),
                "share_emergency_placements": _safe(emergency, starts_in_year.sum()),
                "placements_started": int(starts_in_year.sum()),
                "children_waiting_end": int(snap.get("waiting", 0)),
                # children in emergency or unregistered settings at any time in the year (Ofsted
                # counts children found in unregistered children's homes in the year), and
                # placements in force in the year at GBP 10,000 a week or more (the LGA's count)
                "children_unregistered_in_year": int(len(unregistered)),
                "children_unregistered_4w_in_year": unregistered_4w,
                "placements_10k_plus_in_year": costly,
                **snap.get("workforce_england", {}),
                "workforce_by_region": snap.get("workforce", {}),
                "rcc_region_staff_vacancy_rate": _vacancy(snap.get("workforce", {}), rcc_regions),
                # need against supply in the area at 31 March, by placement kind (outputs.sufficiency)
                "sufficiency": sufficiency.by_kind(snap.get("sufficiency")),
                "children_homes_end": int(snap.get("children_homes", 0)),
                "children_homes_places_end": int(snap.get("children_homes_places", 0)),
                "children_homes_la_end": int(snap.get("children_homes_la", 0)),
                "foster_households_end": int(snap.get("foster_households", 0)),
                "homes_opened": int(counts.get("homes_opened", {}).get(k + 1, np.zeros(3)).sum()),
                "homes_closed": int(counts.get("homes_closed", {}).get(k + 1, np.zeros(3)).sum()),
                "carers_approved": int(counts.get("carers_approved", {}).get(k + 1, np.zeros(3)).sum()),
                "carers_left": int(counts.get("carers_left", {}).get(k + 1, np.zeros(3)).sum()),
                # the average weekly price paid over the year's placement-weeks, by kind (before
                # LA homes' running costs are added to their spend)
                "price_home_ind_gbp_week": _safe(spend_kind[Kind.HOME_IND], weeks_kind[Kind.HOME_IND]),
                "price_ifa_gbp_week": _safe(spend_kind[Kind.FOSTER_IFA], weeks_kind[Kind.FOSTER_IFA]),
                # operating margin of the independent children's homes in the run's LAs (quarterly
                # census of income and running costs, rccsim/core/providers.py: _tally_margins)
                "provider_margin_home": _margin(sums, k + 1),
                "spend_by_kind_gbp": {Kind.NAMES[i]: float(v) for i, v in enumerate(spend_kind)},
                "lever_costs_gbp": lever_year,
                **_yearly_reports(model, k, yearly_defaults),
                "placements_in_rcc_homes": int((starts_in_year & l_regional).sum()),
                "rcc_recharges_gbp": recharges,
                # the RCC's members' placement budgets (rccsim.core.budgets): their total, and the
                # average monthly forecast of each member's own overspend and of the pressure on
                # its choices (under a pooled budget, the pot's), weighted by the members' budgets
                **_budget_year(model, k),
            }
        )

    # growth of the weekly price of independent homes on the year before (year 1: on the prices
    # of the start's placements)
    start_home = l_initial & (l_kind == Kind.HOME_IND) & (l_start <= 0) & (l_end > 0)
    before = float(l_price[start_home].mean()) if start_home.any() else 0.0
    for y in years:
        now = y["price_home_ind_gbp_week"]
        y["price_home_ind_growth"] = _safe(now - before, before) if before > 0 and now > 0 else 0.0
        before = now
    last = years[-1]
    d_end = int(bounds[-1]) - 1
    in_care_end = (entered <= d_end) & (exited_eff > d_end)
    open_end = (l_start <= d_end) & (l_end > d_end)
    by_group = {}
    # placements that ended in the run's last year, those that began before the run included
    # (their start back-dated: DfE counts every placement ceasing in the year)
    ended = (l_end_raw < model.horizon) & (l_end_raw >= int(bounds[-2]))
    duration = (l_end_raw - l_start)
    for g, name in enumerate(GROUPS):
        at_end = open_end & (GROUP_INDEX[l_kind] == g)
        done = ended & (GROUP_INDEX[l_kind] == g)
        by_group[name] = {
            "children_end": int(at_end.sum()),
            "share_over_20_miles": _safe((l_dist[at_end] > 20.0).sum(), at_end.sum()),
            "share_out_of_la": _safe((l_place_la[at_end] != la[l_child[at_end]]).sum(), at_end.sum()),
            "mean_duration_days": float(duration[done].mean()) if done.any() else 0.0,
            "median_duration_days": float(np.median(duration[done])) if done.any() else 0.0,
        }
    # by LA (the run's LAs): stock, flows, distance and stability over the run
    by_la = {}
    budget_years = [model.budgets.yearly(k) for k in range(model.years)]
    codes = model.geo.las.la_code.to_numpy()
    stock_la = np.bincount(la[in_care_end], minlength=model.geo.n)
    starts_la = np.bincount(la[~initial & (entered < model.horizon)], minlength=model.geo.n)
    ceases_la = np.bincount(la[(exited >= 0)], minlength=model.geo.n)
    rows_la = la[l_child[open_end]]
    out_la = weighted_bincount(rows_la, weights=(l_place_la[open_end] != rows_la), minlength=model.geo.n)
    far_la = weighted_bincount(rows_la, weights=(l_dist[open_end] > 20.0), minlength=model.geo.n)
    placed_la = np.bincount(rows_la, minlength=model.geo.n)
    # children placed within each LA's boundary, and those of them other LAs' (DfE's "LA of placement")
    # (every simulated child placed there: in "GM in england", England's children in GM's LAs)
    a_n = log.n
    a_open = (log.start[:a_n] <= d_end) & (np.minimum(log.end[:a_n].astype(np.int64), model.horizon) > d_end)
    a_place = log.place_la[:a_n][a_open].astype(np.int64)
    a_own = a_place == c.la[log.child[:a_n][a_open]]
    inside_la = np.bincount(a_place[a_place >= 0], minlength=model.geo.n)
    hosted_la = inside_la - np.bincount(a_place[a_own & (a_place >= 0)], minlength=model.geo.n)
    y0 = int(bounds[-2])
    during = (l_start <= d_end) & (l_end_raw > y0)
    per_child = np.bincount(l_child[during], minlength=n)
    three_la = np.bincount(la[in_care_end & (per_child >= 3)], minlength=model.geo.n)
    for i in model.region.reported:
        by_la[str(codes[i])] = {
            "children_in_care_end": int(stock_la[i]),
            "starts": int(starts_la[i]),
            "ceases": int(ceases_la[i]),
            "share_out_of_la": _safe(out_la[i], placed_la[i]),
            "share_over_20_miles": _safe(far_la[i], placed_la[i]),
            "share_3plus_placements": _safe(three_la[i], stock_la[i]),
            # of the run's children placed within the LA's boundary at the end, the share who are
            # other LAs' (meaningful in an England run: a regional run leaves out the background's)
            "share_hosted_from_other_las": _safe(hosted_la[i], inside_la[i]),
            # placement budget (rccsim.core.budgets): the LA's own forecast overspend and the
            # pressure on its choices, averaged over the run's months
            "budget_overspend_mean": float(np.mean([b["overspend"][i] for b in budget_years])),
            "budget_pressure_mean": float(np.mean([b["pressure"][i] for b in budget_years])),
        }
    # distributions for the report: distance from home at the end, moves per child over the run
    dist_end = l_dist[open_end & (l_dist >= 0)]
    band_counts = np.histogram(dist_end, bins=DISTANCE_BANDS)[0]
    moved = (~l_initial) & (~l_first) & (l_start < model.horizon)
    moves_child = np.bincount(l_child[moved], minlength=n)
    in_run = (entered < model.horizon) & (exited_eff > 0)
    move_counts = np.bincount(np.minimum(moves_child[in_run], len(MOVE_BANDS) - 1), minlength=len(MOVE_BANDS))
    total_cost = float(sum(y["cost_total_gbp"] for y in years))
    child_weeks = float(sum(_safe(y["cost_total_gbp"], y["cost_per_child_week_gbp"]) for y in years))
    started_all = ~l_initial & (l_start < model.horizon)
    weekly_price = {}
    for kind in range(N_KINDS):
        sel = started_all & (l_kind == kind) & (l_price > 0)
        weekly_price[Kind.NAMES[kind]] = float(l_price[sel].mean()) if sel.any() else 0.0
    n_initial = int(initial.sum())
    uu = np.maximum(l_unit, 0)
    in_house = started_all & (l_unit >= 0) & (u.sector[uu] == Sector.LA) & ~u.kinship[uu] & (u.regional[uu] == 0)
    other_la = in_house & (u.owner_la[uu] != la[np.maximum(l_child, 0)])
    metrics = {
        "children_in_care_start": n_initial,
        "children_in_care_end": last["children_in_care_end"],
        "entries_per_year": float(np.mean([y["entries_per_year"] for y in years])),
        "exits_per_year": float(np.mean([y["exits_per_year"] for y in years])),
        "share_fostering_end": last["share_fostering_end"],
        "share_residential_end": last["share_residential_end"],
        "share_supported_end": last["share_supported_end"],
        "share_with_parents_end": last["share_with_parents_end"],
        "share_other_end": last["share_other_end"],
        "cost_total_gbp": total_cost,
        "cost_per_child_week_gbp": _safe(total_cost, child_weeks),
        "mean_distance_miles": float(np.mean([y["mean_distance_miles"] for y in years])),
        "share_over_20_miles": float(np.mean([y["share_over_20_miles"] for y in years])),
        "share_out_of_la": float(np.mean([y["share_out_of_la"] for y in years])),
        "moves_per_child_year": float(np.mean([y["moves_per_child_year"] for y in years])),
        "share_3plus_placements": float(np.mean([y["share_3plus_placements"] for y in years])),
        "share_long_term_stable": float(np.mean([y["share_long_term_stable"] for y in years])),
        "share_emergency_placements": float(np.mean([y["share_emergency_placements"] for y in years])),
        # children in children's homes more than 20 miles from home at each 31 March, and children
        # 4+ weeks in unregistered settings in a year (means over the run's years)
        "share_residential_over_20_miles": float(np.mean([y["share_over_20_miles_residential"] for y in years])),
        "children_unregistered_4w": float(np.mean([y["children_unregistered_4w_in_year"] for y in years])),
        "children_waiting_end": last["children_waiting_end"],
        "children_homes_end": last["children_homes_end"],
        "children_homes_places_end": last["children_homes_places_end"],
        "foster_households_end": last["foster_households_end"],
        "homes_opened": int(sum(y["homes_opened"] for y in years)),
        "provider_margin_home": _margin(sums, None),
        "homes_closed": int(sum(y["homes_closed"] for y in years)),
        "carers_approved": int(sum(y["carers_approved"] for y in years)),
        "carers_left": int(sum(y["carers_left"] for y in years)),
        "weekly_price_gbp_by_kind": weekly_price,
        "lever_costs_gbp": {name: float(arr.sum()) for name, arr in lever_items.items()},
        "placements_in_rcc_homes": int(sum(y["placements_in_rcc_homes"] for y in years)),
        "rcc_recharges_gbp": float(sum(y["rcc_recharges_gbp"] for y in years)),
        "mean_distance_rcc_homes_miles": float(l_dist[started_all & l_regional].mean()) if (started_all & l_regional).any() else 0.0,
        # in-house placements made over the run, and those with another LA's carers or homes
        "in_house_placements": int(in_house.sum()),
        "placements_with_other_members": int(other_la.sum()),
        "mean_distance_other_members_miles": float(l_dist[other_la].mean()) if other_la.any() else 0.0,
        "distance_bands_end": {lab: int(v) for lab, v in zip(DISTANCE_BAND_LABELS, band_counts)},
        "moves_per_child_dist": {lab: int(v) for lab, v in zip(MOVE_BANDS, move_counts)},
        "by_placement_type": by_group,
        "by_la": by_la,
    }
    # what each lever reports (defaults for the levers a run does not have: the same keys in every run)
    accounts = SimpleNamespace(spend_la=spend_la, recharge_la=recharge_la, lever_items=lever_items, l_payer=l_payer, l_price=l_price,
                               l_initial=l_initial, l_start=l_start, l_end=l_end, h_owner=h_owner, h_cost=h_cost,
                               h_open=h_open)
    reports = dict(whole_defaults)
    for lever in model.levers:
        reports.update(lever.report(model, accounts))
    metrics.update(reports)
    return metrics, years


def _yearly_reports(model, k: int, defaults: dict) -> dict:
    out = dict(defaults)
    for lever in model.levers:
        out.update(lever.yearly_report(model, k))
    return out
