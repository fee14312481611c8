"""Reading the published tables the world is built from (copies under ``calibration/data/published``).

* DfE, "Children looked after in England including adoptions", November 2024 release, underlying
  data: children looked after at 31 March by age and by placement type and provider (national,
  2020-2024); and each LA's children at 31 March by placement, age, provider and UASC
  (``la_cla_on_31_march_by_characteristics``, 2021-2024, DfE's 2025 release of the LA tables).
* Ofsted, "Children's social care data in England 2023": every registered provider at 31 March 2023
  (children's homes with LA, sector, places, owner; fostering agencies with their LA) and the
  yearly joiners and leavers tables 2017-2023.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from rccsim.base.codes import N_KINDS, Kind
from rccsim.base.errors import InputError
from rccsim.base.paths import data_dir
from rccsim.inputs.geography import load_geography

FIRST_YEAR, LAST_YEAR = 2020, 2024  # years with LA-level and national placement tables

# Ofsted LA names that differ from the ONS names used in la_geography.csv
OFSTED_LA_ALIASES = {
    "Bournemouth, Christchurch & Poole": "Bournemouth, Christchurch and Poole",
    "Bournemouth": "Bournemouth, Christchurch and Poole",
    "Poole": "Bournemouth, Christchurch and Poole",
    "Bristol": "Bristol, City of",
    "Durham": "County Durham",
    "Herefordshire": "Herefordshire, County of",
    "Kingston upon Hull": "Kingston upon Hull, City of",
    "Southend on Sea": "Southend-on-Sea",
    "St Helens": "St. Helens",
}
# Areas since split: assign by parliamentary constituency
_SPLIT_BY_CONSTITUENCY = {
    "Cumbria": ("Cumberland", {"Barrow and Furness": "Westmorland and Furness",
                               "Westmorland and Lonsdale": "Westmorland and Furness",
                               "Penrith and The Border": "Westmorland and Furness"}),
    "Northamptonshire": ("North Northamptonshire", {"Daventry": "West Northamptonshire",
                                                    "Northampton North": "West Northamptonshire",
                                                    "Northampton South": "West Northamptonshire",
                                                    "South Northamptonshire": "West Northamptonshire"}),
    "Dorset": ("Dorset", {}),
}


def check_start_year(year: int) -> int:
    if not FIRST_YEAR <= int(year) <= LAST_YEAR:
        raise InputError(
            f"start year {year} is outside {FIRST_YEAR}-{LAST_YEAR}, the years with published LA-level and placement figures"
        )
    return int(year)


def _number(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series.astype(str).str.replace(",", ""), errors="coerce")


@functools.lru_cache(maxsize=8)
def national_stock(year: int) -> dict:
    """Children looked after at 31 March ``year``: counts by age band and by model kind.

    Kinds are built from the placement-type table and the provider table of the same year:
    kinship = foster placements with a relative or friend; LA foster = own-LA and other-LA foster
    provision less kinship; agency (IFA) foster = private and voluntary foster provision;
    LA homes = own/other-LA secure and children's homes; independent homes = private and
    voluntary; supported = independent/semi-independent/supported accommodation; unregistered =
    Ofsted's count of children in unregistered children's homes (2021-2024); other = placed for
    adoption is kept apart, the rest (other residential, residential schools, other placements).
    """
    pub = data_dir() / "published" / "dfe"
    ch = pd.read_csv(pub / "national_cla_on_31_march_by_characteristics.csv", encoding="utf-8-sig")
    ch = ch[ch.time_period == year]
    ch = ch.assign(n=_number(ch.number))

    def val(group: str, prefix: str) -> float:
        rows = ch[(ch.cla_group == group) & ch.characteristic.str.startswith(prefix)]
        if len(rows) == 0:
            raise RuntimeError(f"DfE table lacks {group} / {prefix} for {year}")
        return float(rows.n.iloc[0])

    age = np.array([val("Age group", p) for p in ("Under 1", "1 to 4", "5 to 9", "10 to 15", "16 years")])
    kin = val("Placement", "1a.1 ") + val("Placement", "1b.1 ")
    foster = val("Placement", "1. Total foster")
    adoption = val("Placement", "2. Total placed for adoption")
    parents = val("Placement", "3. Total placed with parents")
    homes = val("Placement", "4. Total secure")
    supported = val("Placement", "5. Total ")
    other = val("Placement", "6. Total other") + val("Placement", "7. Total residential schools") + val("Placement", "8. Total other")
    total = val("Placement", "Total children")

    pr = pd.read_csv(pub / "national_cla_on_31_march_by_placement_provider_placement_type_and_locality.csv", encoding="utf-8-sig")
    pr = pr[pr.time_period == year]
    pr = pr.assign(n=_number(pr.number).fillna(0.0))

    def prov(ptype_prefix: str, provider: str) -> float:
        rows = pr[pr.placement_type.str.startswith(ptype_prefix) & (pr.placement_provider == provider)]
        return float(rows.n.sum())

    def both(suffix: str, provider: str) -> float:
        return prov("2" + suffix, provider) + prov("3" + suffix, provider)

    la_foster_all = both("a.", "Own provision (by the LA)") + both("a.", "Other LA provision")
    ifa = both("a.", "Private provision") + both("a.", "Voluntary/third sector provision")
    la_homes = both("b.", "Own provision (by the LA)") + both("b.", "Other LA provision")
    # scale the provider split of homes to the placement-table total
    ind_homes = homes * (1 - la_homes / max(homes, 1))
    la_foster = max(la_foster_all - kin, 0.0)
    # foster split scaled to the placement-table total of mainstream foster care
    mainstream = foster - kin
    scale = mainstream / max(la_foster + ifa, 1)
    unregistered = _unregistered_children(year)
    kinds = np.zeros(N_KINDS)
    kinds[Kind.FOSTER_KIN] = kin
    kinds[Kind.FOSTER_LA] = la_foster * scale
    kinds[Kind.FOSTER_IFA] = ifa * scale
    kinds[Kind.HOME_LA] = homes - ind_homes
    kinds[Kind.HOME_IND] = ind_homes
    kinds[Kind.SUPPORTED] = supported
    kinds[Kind.WITH_PARENTS] = parents
    kinds[Kind.ADOPTION] = adoption
    kinds[Kind.UNREGISTERED] = min(unregistered, other)
    kinds[Kind.OTHER] = other - kinds[Kind.UNREGISTERED]
    return {"year": year, "total": total, "age": age, "kinds": kinds}


#: DfE's LA placement groups (la_cla_on_31_march_by_characteristics, cla_group "Placement"), in the
#: order of :func:`la_stock`'s ``groups``
LA_GROUPS = ("Foster placements", "Placed for adoption", "Placed with parents or other person with parental responsibility",
             "Secure homes and children's homes",
             "Independent and semi-independent living arrangements/supported accommodation",
             "Other placements", "Other residential settings", "Residential schools")
LA_AGES = ("Under 1 year", "1 to 4 years", "5 to 9 years", "10 to 15 years", "16 years and over")
_LA_FILE = "la_cla_on_31_march_by_characteristics_2021_2024.csv"
_LA_STARTS_FILE = "la_cla_started_during_year_2021_2024.csv"
LA_START_AGES = ("Under 1 year", "1 to 4 years", "5 to 9 years", "10 to 15 years", "16 years and over")


@functools.lru_cache(maxsize=2)
def _la_table(name: str = _LA_FILE) -> pd.DataFrame:
    d = pd.read_csv(data_dir() / "published" / "dfe" / name, encoding="utf-8-sig", dtype=str)
    d = d[d.geographic_level == "Local authority"]
    return d.assign(year=d.time_period.astype(int), n=_number(d.number))


@functools.lru_cache(maxsize=16)
def _la_cube(group: str, items: tuple, name: str = _LA_FILE) -> tuple:
    """One DfE group of the LA table ``name`` as arrays over (geography LA, year 2021-2024, item):
    counts (NaN where not published), whether suppressed ("c"), and the LA's total."""
    codes = list(load_geography().las.la_code)
    d = _la_table(name)
    d = d[d.cla_group == group]
    years = np.arange(2021, 2025)
    la = pd.Index(codes).get_indexer(d.new_la_code)
    yr = d.year.to_numpy() - 2021
    keep = (la >= 0) & (yr >= 0) & (yr < len(years))
    cube = np.full((len(codes), len(years), len(items) + 1), np.nan)
    hidden = np.zeros(cube.shape, bool)
    col = pd.Index(list(items) + ["Total"]).get_indexer(d.characteristic)
    keep &= col >= 0
    cube[la[keep], yr[keep], col[keep]] = d.n.to_numpy(float)[keep]
    hidden[la[keep], yr[keep], col[keep]] = d.number.str.strip().str.lower().eq("c").to_numpy()[keep]
    return cube[..., :-1], hidden[..., :-1], cube[..., -1]


def _la_counts(group: str, items: tuple, year: int, national: np.ndarray, name: str = _LA_FILE) -> np.ndarray:
    """Counts of ``items`` of one DfE ``group`` for each LA of the geography, in ``year`` (or the
    nearest year DfE publishes the LA in: Cumberland, Westmorland and Furness and the
    Northamptonshires appear only after their creation, 2021 stands in for 2020). A suppressed cell
    ("c", a few children) gets what the LA's total leaves over, split by ``national`` shares, and at
    least one child; an LA DfE never publishes (the Isles of Scilly) takes ``national`` shares."""
    cube, hidden, total = _la_cube(group, items, name)
    n_la, n_year, _ = cube.shape
    published = np.isfinite(total) & (total > 0)
    # the nearest published year, the later one on a tie
    gap = np.abs(np.arange(2021, 2021 + n_year) - year) - np.arange(n_year) * 1e-3
    pick = np.argmin(np.where(published, gap[None, :], np.inf), axis=1)
    rows = np.arange(n_la)
    row = np.nan_to_num(cube[rows, pick])
    hid = hidden[rows, pick]
    left = np.maximum(np.nan_to_num(total[rows, pick]) - row.sum(axis=1), 0.0)
    w = np.asarray(national, float) / max(float(np.sum(national)), 1e-12)
    share = np.where(hid, w[None, :], 0.0)
    share = np.where(hid & (share.sum(axis=1, keepdims=True) <= 0), 1.0, share)
    fill = left[:, None] * share / np.maximum(share.sum(axis=1, keepdims=True), 1e-12)
    row = row + np.where(hid, np.maximum(fill, 1.0), 0.0)
    none = ~published.any(axis=1)
    row[none] = w
    return row


@functools.lru_cache(maxsize=8)
def la_stock(year: int) -> dict:
    """Each LA's children at 31 March ``year`` (DfE, la_cla_on_31_march_by_characteristics,
    2021-2024): counts by placement group (:data:`LA_GROUPS`), by age group (:data:`LA_AGES`), by
    provider (LA's own or other LAs', private or voluntary) and UASC, as arrays over the geography's
    LAs. See :func:`_la_counts` for years DfE does not publish an LA and for suppressed cells."""
    d = _la_table()
    nat = d[d.year == min(max(year, 2021), 2024)]

    def national(group: str, items: tuple) -> np.ndarray:
        rows = nat[nat.cla_group == group]
        return np.array([rows[rows.characteristic == it].n.sum() for it in items], float)

    provs = ("Own provision (by the LA)", "Other LA provision", "Private provision", "Voluntary/third sector provision")
    return {
        "groups": _la_counts("Placement", LA_GROUPS, year, national("Placement", LA_GROUPS)),
        "age": _la_counts("Age group", LA_AGES, year, national("Age group", LA_AGES)),
        "providers": _la_counts("Place providers", provs, year, national("Place providers", provs)),
        "uasc": _la_counts("Unaccompanied asylum-seeking children", ("UASC", "Non-UASC"), year,
                           national("Unaccompanied asylum-seeking children", ("UASC", "Non-UASC")))[:, 0],
    }


@functools.lru_cache(maxsize=8)
def la_starts(year: int) -> dict:
    """Each LA's children starting to be looked after in the year to 31 March ``year`` (DfE,
    la_cla_started_during_year, 2021-2024; the nearest year outside them): counts by age on
    starting (:data:`LA_START_AGES`) and of unaccompanied asylum-seeking children, as arrays over
    the geography's LAs (suppressed cells and missing years as in :func:`_la_counts`)."""
    d = _la_table(_LA_STARTS_FILE)
    nat = d[d.year == min(max(year, 2021), 2024)]

    def national(group: str, items: tuple) -> np.ndarray:
        rows = nat[nat.cla_group == group]
        return np.array([rows[rows.characteristic == it].n.sum() for it in items], float)

    uasc = ("Unaccompanied asylum-seeking children", "Children excluding unaccompanied asylum-seeking children")
    return {
        "age": _la_counts("Age on starting", LA_START_AGES, year, national("Age on starting", LA_START_AGES),
                          _LA_STARTS_FILE),
        "uasc": _la_counts("Unaccompanied asylum-seeking children", uasc, year,
                           national("Unaccompanied asylum-seeking children", uasc), _LA_STARTS_FILE)[:, 0],
        "national_age": national("Age on starting", LA_START_AGES),
        "national_uasc": float(national("Unaccompanied asylum-seeking children", uasc)[0]),
    }


def _unregistered_children(year: int) -> float:
    """Children in unregistered children's homes (Ofsted via published_figures.csv)."""
    pf = published_figures()
    rows = pf[(pf.metric == "children_in_unregistered_childrens_homes") & (pf.geography == "England")]
    rows = rows.assign(gap=(rows.year - year).abs()).sort_values("gap")
    return float(rows.value.iloc[0]) if len(rows) else 0.0


def mainstream_households_ratio(year: int, anchor: int = 2024) -> float:
    """Ofsted's mainstream fostering households at 31 March ``year`` over those at ``anchor``.

    From published_figures.csv (metric ``mainstream_fostering_households``: 2021 37,325; 2023
    35,005; 2024 33,745; 2025 33,435); a year between two published ones is interpolated, a year
    outside them takes the nearest.
    """
    pf = published_figures()
    rows = pf[(pf.metric == "mainstream_fostering_households") & (pf.geography == "England")]
    years = rows.year.to_numpy(float)
    order = np.argsort(years)
    years, values = years[order], rows.value.to_numpy(float)[order]
    return float(np.interp(year, years, values) / np.interp(anchor, years, values))


@functools.lru_cache(maxsize=1)
def published_figures() -> pd.DataFrame:
    return pd.read_csv(data_dir() / "published" / "published_figures.csv")


def figure(metric: str, year: int, geography: str = "England") -> float:
    """One published figure (raises if absent)."""
    pf = published_figures()
    rows = pf[(pf.metric == metric) & (pf.year == year) & (pf.geography == geography)]
    if len(rows) == 0:
        raise KeyError(f"no published figure {metric} {year} {geography}")
    return float(rows.value.iloc[0])


def _ofsted_csv(name: str) -> pd.DataFrame:
    path = data_dir() / "published" / "ofsted" / name
    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        first = fh.readline()
    skip = 0 if first.startswith("URN") else 3
    return pd.read_csv(path, skiprows=skip, encoding="utf-8-sig", encoding_errors="replace")


def ofsted_la_code(df: pd.DataFrame, geo) -> np.ndarray:
    """ONS code of each provider's LA from Ofsted's LA name (and constituency for split areas)."""
    names = df["Local authority"].fillna("").astype(str).str.strip()
    const = df.get("Parliamentary constituency", pd.Series([""] * len(df))).fillna("").astype(str).str.strip()
    by_name = dict(zip(geo.las.la_name, geo.las.la_code))
    out = []
    for name, cons in zip(names, const):
        if name in _SPLIT_BY_CONSTITUENCY:
            default, table = _SPLIT_BY_CONSTITUENCY[name]
            name = table.get(cons, default)
        name = OFSTED_LA_ALIASES.get(name, name)
        out.append(by_name.get(name))
    return np.array(out, dtype=object)


@functools.lru_cache(maxsize=8)
def homes_at(year: int) -> pd.DataFrame:
    """Children's homes (including secure homes, excluding short-break-only homes) open at 31 March.

    From Ofsted's provider list at 31 March 2023; for earlier years, homes registered after
    31 March ``year`` are removed and homes that left between then and 2023 (joiners and
    leavers tables) are added back. For 2024, the 2023 list plus the 2023 joiners less leavers
    pattern repeated once (Ofsted's 2024 provider table is not in the bundled data).
    """

    geo = load_geography()
    p = _ofsted_csv("providers_at_31_march_2023.csv")
    types = ["Children's home", "Children's Home", "Secure children's home"]
    short = p["Short-break-only children's home"].fillna("").astype(str).str.len() > 0
    h = p[p["Provision type"].isin(types) & ~short].copy()
    h["la_code"] = ofsted_la_code(h, geo)
    h["registered"] = pd.to_datetime(h["Registration date"], format="%d/%m/%Y", errors="coerce")
    h["secure"] = h["Provision type"] == "Secure children's home"
    h = h[["URN", "la_code", "Sector", "Places", "registered", "secure", "Organisation which owns the provider"]]
    h = h.rename(columns={"Organisation which owns the provider": "owner", "Places": "places", "Sector": "sector"})
    if year <= 2023:
        h = h[h.registered.isna() | (h.registered <= pd.Timestamp(year, 3, 31))]
        back = []
        for y in range(year + 1, 2024):
            jl = _ofsted_csv(f"joiners_leavers_{y}.csv")
            jl = jl[jl["Provision type"].isin(types) & (jl["Leaver status"] == "Leaver")]
            if "Short-break-only children's home" in jl:
                jl = jl[jl["Short-break-only children's home"].fillna("").astype(str).str.len() == 0]
            col = next(c for c in jl.columns if "became active" in c or c == "Registration date")
            active = pd.to_datetime(jl[col], format="%d/%m/%Y", errors="coerce")
            jl = jl[active.isna() | (active <= pd.Timestamp(year, 3, 31))]
            jl = jl.assign(la_code=ofsted_la_code(jl, geo), secure=jl["Provision type"] == "Secure children's home", owner=None)
            back.append(jl.rename(columns={"Sector": "sector", "Places": "places"})[["URN", "la_code", "sector", "places", "secure", "owner"]])
        if back:
            h = pd.concat([h] + back, ignore_index=True).drop_duplicates("URN")
    else:
        jl = _ofsted_csv("joiners_leavers_2023.csv")
        jl = jl[jl["Provision type"].isin(types)]
        joiners = jl[jl["Joiner status"] == "Joiner"]
        joiners = joiners.assign(la_code=ofsted_la_code(joiners, geo), secure=False, owner=None)
        joiners = joiners.rename(columns={"Sector": "sector", "Places": "places"})[["URN", "la_code", "sector", "places", "secure", "owner"]]
        joiners = joiners.assign(URN="2024-" + joiners.URN.astype(str))
        n_leave = int((jl["Leaver status"] == "Leaver").sum())
        h = pd.concat([h, joiners], ignore_index=True)
        # a year of closures like 2023's: drop that many homes, oldest-registered first among the smallest
        if n_leave:
            h = h.sort_values(["places", "URN"]).iloc[n_leave:].reset_index(drop=True)
    h = h[h.la_code.notna() & h.sector.isin(["Private", "Voluntary", "Local Authority", "Health Authority"])]
    h["places"] = _number(h.places).fillna(4).clip(lower=1).astype(int)
    return h.reset_index(drop=True)


@functools.lru_cache(maxsize=1)
def fostering_agencies() -> pd.DataFrame:
    """Independent fostering agencies registered at 31 March 2023, with their LA and sector."""

    geo = load_geography()
    p = _ofsted_csv("providers_at_31_march_2023.csv")
    f = p[p["Provision type"] == "Independent Fostering Agency"].copy()
    f["la_code"] = ofsted_la_code(f, geo)
    f = f[f.la_code.notna()]
    f["owner"] = f["Organisation which owns the provider"].fillna(f["Name"])
    return f[["URN", "la_code", "Sector", "owner"]].rename(columns={"Sector": "sector"}).reset_index(drop=True)
