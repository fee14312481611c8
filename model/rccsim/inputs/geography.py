"""England's children's services authorities, where they are, and how far apart.

Each of the 153 authorities (LAs) has its ONS code, name, region, under-18 population, the DfE
counts of children looked after, and a postcode-weighted centre. Points inside an LA (a child's
home, a foster carer's house, a children's home) are drawn from a committed random sample of the
LA's real postcodes (``calibration/data/derived/la_postcode_sample.csv``, built from the ONS
Postcode Directory by ``calibration/scripts/build_geography.py``). Distance is the straight line
between two postcodes in miles, as DfE computes PL_DISTANCE.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from rccsim.base.errors import InputError
from rccsim.base.paths import data_dir

METRES_PER_MILE = 1609.344


def miles(e1, n1, e2, n2) -> np.ndarray:
    """Straight-line distance in miles between OS grid points (metres)."""
    return np.hypot(np.asarray(e1, float) - e2, np.asarray(n1, float) - n2) / METRES_PER_MILE


# Names in the HM Land Registry table that differ from the ONS names
_HPI_ALIASES = {
    "Kingston upon Hull, City of": "City of Kingston upon Hull",
    "Derby": "City of Derby",
    "Nottingham": "City of Nottingham",
    "Herefordshire, County of": "Herefordshire",
    "Bristol, City of": "City of Bristol",
    "Plymouth": "City of Plymouth",
    "Peterborough": "City of Peterborough",
    "Bournemouth, Christchurch and Poole": "Bournemouth Christchurch and Poole",
    "St. Helens": "St Helens",
    "Westminster": "City of Westminster",
    "Isles of Scilly": "Cornwall",
}
# Authorities created after March 2021: unweighted mean of their former districts
_HPI_MERGED = {
    "North Northamptonshire": ["Corby", "East Northamptonshire", "Kettering", "Wellingborough"],
    "West Northamptonshire": ["Daventry", "Northampton", "South Northamptonshire"],
    "Cumberland": ["Allerdale", "Carlisle", "Copeland"],
    "Westmorland and Furness": ["Barrow-in-Furness", "Eden", "South Lakeland"],
}

PATHFINDERS = {"GM": "Greater Manchester RCC pathfinder (10 LAs)", "SE": "South East RCC pathfinder (19 LAs)"}


def _house_prices(names: pd.Series, path: Path) -> np.ndarray:
    """Average house price (GBP, March 2021) for each LA name.

    Source: HM Land Registry, UK House Price Index, "England annual price change by local
    authority", March 2021 (Open Government Licence).
    """
    hpi = pd.read_csv(path)
    price = dict(zip(hpi["Local authorities"].str.strip(), hpi["March 2021"]))
    out = []
    for name in names:
        if name in _HPI_MERGED:
            out.append(float(np.mean([price[d] for d in _HPI_MERGED[name]])))
        else:
            out.append(float(price[_HPI_ALIASES.get(name, name)]))
    return np.array(out)


# LAs reorganised since 2020. DfE publishes the years before the change under the predecessor's
# code (outside the 153-LA table) and shows its successors as "z" for them. Each predecessor's
# count is split between its successors by their shares in the first year DfE publishes every
# successor (DfE, "Children looked after in England including adoptions", LA-level table,
# cla_number_and_rate_per_10k_children, November 2024 release): Cumbria (E10000006) became
# Cumberland and Westmorland and Furness on 1 April 2023 (The Cumbria (Structural Changes) Order
# 2022), first published apart for 2024; Northamptonshire (E10000021) became North and West
# Northamptonshire on 1 April 2021 (The Northamptonshire (Structural Changes) Order 2020), first
# published apart for 2022. North Yorkshire and Somerset became unitary in 2023 within the same
# boundaries, and DfE's tables carry their new codes for every year.
SUCCESSORS = {
    "E10000006": ("E06000063", "E06000064"),  # Cumbria -> Cumberland, Westmorland and Furness
    "E10000021": ("E06000061", "E06000062"),  # Northamptonshire -> North, West Northamptonshire
}
# DfE suppresses small counts ("c"). Such a cell is the national total (rounded to the nearest
# 10) less the other LAs, kept within 1-5 (a suppressed count is a few children, never none):
# only the Isles of Scilly, 2020 (children looked after and starts) and 2021 (ceases).
SUPPRESSED_RANGE = (1, 5)


def split_whole(total: float, weights: np.ndarray) -> np.ndarray:
    """``total`` (a whole number) split in proportion to ``weights`` into whole numbers that add
    up to it (largest remainders first; ties to the earlier entry)."""
    w = np.asarray(weights, dtype=float)
    exact = float(total) * w / w.sum()
    out = np.floor(exact)
    short = int(round(float(total) - out.sum()))
    order = np.argsort(-(exact - out), kind="stable")
    out[order[:short]] += 1
    return out


def _dfe_la_counts(path: Path) -> pd.DataFrame:
    """Children looked after at 31 March, starts and ceases, by LA and year (DfE, Nov 2024), for
    every LA of today's table in every year: predecessors' counts split between their successors
    (:data:`SUCCESSORS`), suppressed small counts filled in (:data:`SUPPRESSED_RANGE`)."""
    d = pd.read_csv(path, encoding="utf-8-sig", dtype={"number": str})
    key = {
        "Children looked after at 31 March each year": "cla",
        "Children starting to be looked after each year": "starts",
        "Children ceasing to be looked after each year": "ceases",
    }
    d = d.assign(measure=d.population_count.map(key), value=pd.to_numeric(d["number"], errors="coerce"))
    nat = d[d.geographic_level == "National"].pivot_table(index="time_period", columns="measure", values="value",
                                                         aggfunc="first")
    d = d[d.geographic_level == "Local authority"]
    wide = d.pivot_table(index="new_la_code", columns=["measure", "time_period"], values="value", aggfunc="first")
    wide = wide.reindex(sorted(set(d.new_la_code)))
    for old, new in SUCCESSORS.items():
        for measure, year in wide.columns:
            if old not in wide.index or pd.isna(wide.at[old, (measure, year)]):
                continue
            # the successors' shares in the first year DfE publishes them all
            years = sorted(y for m, y in wide.columns if m == measure and wide.loc[list(new), (m, y)].notna().all())
            if not years:
                raise RuntimeError(f"DfE table: no year gives every successor of {old} ({measure})")
            shares = wide.loc[list(new), (measure, years[0])].to_numpy(float)
            wide.loc[list(new), (measure, year)] = split_whole(wide.at[old, (measure, year)], shares)
    wide = wide.drop(index=[c for c in SUCCESSORS if c in wide.index])
    suppressed = (d.number.str.strip().str.lower() == "c").groupby([d.new_la_code, d.measure, d.time_period]).any()
    for (code, measure, year), is_c in suppressed.items():
        if is_c and code in wide.index and pd.isna(wide.at[code, (measure, year)]):
            rest = float(wide[(measure, year)].sum())
            wide.at[code, (measure, year)] = float(np.clip(round(nat.at[year, measure] - rest), *SUPPRESSED_RANGE))
    wide.columns = [f"{m}_{y}" for m, y in wide.columns]
    return wide


@dataclass(frozen=True)
class Region:
    """A set of LAs chosen for a run."""

    label: str
    la_index: np.ndarray  # indices into Geography.las
    #: the LAs that belong to the region's RCC (its levers act for them); None: every LA of the region
    members: np.ndarray | None = None
    #: the LAs the run's outputs describe (``GM in england``: all of England simulated, GM reported);
    #: None: every LA of the region
    focus: np.ndarray | None = None

    @property
    def reported(self) -> np.ndarray:
        """The LAs whose children, homes and carers the run's metrics describe."""
        return self.la_index if self.focus is None else self.focus


def _carer_inside(path: Path, code_to_index: dict, n: int) -> np.ndarray:
    """Each LA's fitted weight on its own carers living inside it (ones without the file)."""
    out = np.ones(n)
    if not path.exists():
        return out
    t = pd.read_csv(path)
    known = t.la_code.map(code_to_index)
    w = pd.to_numeric(t.inside_weight, errors="coerce").to_numpy(float)
    if known.isna().any() or t.la_code.duplicated().any() or not (np.isfinite(w) & (w > 0)).all():
        raise RuntimeError(f"{path.name}: every row needs a known la_code, once, and a positive inside_weight")
    out[known.to_numpy(np.int64)] = w
    return out


class Geography:
    """The LA table, distances between LAs and a sample of postcodes in each LA."""

    def __init__(self, root: Path | None = None):
        root = root or data_dir()
        pub, der = root / "published", root / "derived"
        las = pd.read_csv(pub / "la_geography.csv")
        loc = pd.read_csv(der / "la_locations.csv")
        las = las.merge(loc, on="la_code", how="left", validate="one_to_one")
        if las.centroid_e.isna().any():
            raise RuntimeError("la_locations.csv does not cover every LA: rebuild the geography")
        las["house_price"] = _house_prices(las.la_name, pub / "hpi_average_price_by_la_2021_03.csv")
        counts = _dfe_la_counts(pub / "dfe" / "cla_number_and_rate_per_10k_children.csv")
        las = las.merge(counts, left_on="la_code", right_index=True, how="left", validate="one_to_one")
        gaps = [f"{r.la_name} {c}" for c in counts.columns for r in las[las[c].isna()].itertuples()]
        if gaps:  # a data fault, not the user's: an LA without DfE counts would start with no children
            raise RuntimeError(f"DfE LA counts missing for {', '.join(gaps[:5])}: check SUCCESSORS in rccsim/inputs/geography.py")
        self.las = las.reset_index(drop=True)
        self.n = len(self.las)
        self.population_0_17 = self.las.population_0_17.to_numpy(float)
        # average house price (GBP) by LA, and its median over LAs (home running costs read these)
        self.house_price = self.las.house_price.to_numpy(float)
        self.house_price_median = float(self.las.house_price.median())
        self.code_to_index = {c: i for i, c in enumerate(self.las.la_code)}

        e = self.las.centroid_e.to_numpy(float)
        nn = self.las.centroid_n.to_numpy(float)
        self.centroid_e, self.centroid_n = e, nn
        dist = miles(e[:, None], nn[:, None], e[None, :], nn[None, :])
        np.fill_diagonal(dist, self.las.mean_within_miles.to_numpy(float))
        #: miles between LA centres; the diagonal is the mean distance between two points in the LA
        self.distance = dist
        #: for each LA, all LAs ordered by distance (itself first)
        # (itself first: the diagonal holds the LA's own spread, which for a large county is wider
        # than the distance to a town inside it, so it is set below every distance for the sort)
        order = dist.copy()
        np.fill_diagonal(order, -1.0)
        self.neighbours = np.argsort(order, axis=1, kind="stable")

        sample = pd.read_csv(der / "la_postcode_sample.csv")
        sample["la"] = sample.la_code.map(self.code_to_index)
        sample = sample.sort_values(["la"], kind="stable").reset_index(drop=True)
        self.pc_code = sample.pcd.to_numpy(str)
        self.pc_e = sample.e.to_numpy(np.float64)
        self.pc_n = sample.n.to_numpy(np.float64)
        counts_per_la = np.bincount(sample.la.to_numpy(), minlength=self.n)
        self.pc_start = np.concatenate([[0], np.cumsum(counts_per_la)[:-1]])
        self.pc_count = counts_per_la
        #: miles from each LA's centre to the nearest sampled postcode of each other LA (0 to
        #: itself): how far its edge is, which for a city inside a county is much less than the
        #: distance between their centres
        edge = np.zeros((self.n, self.n))
        for j in range(self.n):
            lo, hi = self.pc_start[j], self.pc_start[j] + self.pc_count[j]
            if hi > lo:
                edge[:, j] = miles(e[:, None], nn[:, None], self.pc_e[None, lo:hi], self.pc_n[None, lo:hi]).min(axis=1)
            else:
                edge[:, j] = dist[:, j]
        np.fill_diagonal(edge, 0.0)
        self.edge_miles = edge
        self.region_names = sorted(self.las.region_name.unique())
        #: how much more (or less) an LA's own foster carers live inside its boundary than the
        #: gravity rule alone gives (``rccsim.core.carers.home_las``): fitted to DfE's share of each
        #: LA's children placed outside it (``calibration/scripts/fit_la_carers.py``); 1 where
        #: the file has no row
        self.carer_inside = _carer_inside(der / "la_carer_inside.csv", self.code_to_index, self.n)

    # -- points -------------------------------------------------------------------------------
    def sample_points(self, la: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Postcode-sample indices in the given LAs, chosen by uniforms ``u`` in (0, 1)."""
        la = np.asarray(la, dtype=np.int64)
        k = np.minimum((np.asarray(u) * self.pc_count[la]).astype(np.int64), self.pc_count[la] - 1)
        return self.pc_start[la] + k

    # -- regions ------------------------------------------------------------------------------
    def resolve_region(self, spec: str) -> Region:
        """Turn a ``--region`` value into a set of LAs.

        Accepts ``GM`` and ``SE`` (the RCC pathfinders' regions), ``GM members`` and ``SE members``
        (the LAs that belong to each co-operative in 2025), ``england``, an English region name
        (e.g. ``"North West"`` or ``north-west``), or a comma-separated list of LA codes (ONS
        E-codes, DfE three-digit codes) or names.

        Any of these followed by ``in england`` (``"GM in england"``) simulates every LA of England
        and reports on the named one: its children, homes and carers. Its RCC's levers act for the
        named region's members. Other LAs' children then compete for places one by one, as in an
        England run, instead of standing in as a background (slower: an England run's time).
        """
        text = spec.strip()
        if not text:
            raise InputError("empty --region: give GM, SE, england, a region name or LA codes")
        key = re.sub(r"[\s_-]+", " ", text).strip().lower()
        within = re.fullmatch(r"(.+?)[\s_-]+in[\s_-]+england", text, flags=re.IGNORECASE)
        if within:
            if re.search(r"[\s_-]in[\s_-]+england\s*$", within.group(1), flags=re.IGNORECASE):
                raise InputError(f"--region '{text}': 'in england' is given twice; give it once, at the end")
            inner = self.resolve_region(within.group(1))
            if len(inner.la_index) == self.n:
                raise InputError(f"--region '{text}': the region is all of England already; give england")
            members = inner.la_index if inner.members is None else inner.members
            return Region(f"{inner.label} in England", np.arange(self.n), members, inner.la_index)
        las = self.las
        if key.upper() in PATHFINDERS:
            idx = np.flatnonzero(las.rcc_pathfinder.fillna("").to_numpy() == key.upper())
            # the pathfinder's region; its co-operative's members (rcc_member_2025) are the LAs its
            # levers act for: in the South East, Hampshire, Kent and Slough are in the region only
            members = None
            if "rcc_member_2025" in las:
                m = np.flatnonzero(las.rcc_member_2025.fillna("").to_numpy() == key.upper())
                members = np.intersect1d(m, idx) if len(m) else None
            return Region(key.upper(), idx, members)
        members = {f"{k.lower()} members": k for k in PATHFINDERS}
        members["home and future"] = "SE"
        if key in members and "rcc_member_2025" in las:
            # the LAs that belong to the co-operative itself (rcc_member_2025): in the South East,
            # Hampshire, Kent and Slough are in the pathfinder's region but not members
            k = members[key]
            return Region(f"{k} members", np.flatnonzero(las.rcc_member_2025.fillna("").to_numpy() == k))
        if key == "england":
            return Region("england", np.arange(self.n))
        regions = {re.sub(r"[\s_-]+", " ", r).lower(): r for r in self.region_names}
        regions.update({k.replace("the ", ""): v for k, v in list(regions.items())})
        if key in regions:
            name = regions[key]
            return Region(name, np.flatnonzero(las.region_name.to_numpy() == name))
        names = {n.lower(): i for i, n in enumerate(las.la_name)}
        # short forms of names with a comma in them ("Bristol, City of" -> "bristol") and "St" for "St."
        for n, i in list(names.items()):
            if "," in n:
                names.setdefault(n.split(",")[0].strip(), i)
            if n.startswith("st. "):
                names.setdefault("st " + n[4:], i)
        if key in ("greater manchester", "south east rcc"):
            return self.resolve_region("GM" if key.startswith("greater") else "SE")
        if text.lower() in names:  # one LA whose name has a comma ("Bristol, City of")
            return self.resolve_region(las.la_code.iloc[names[text.lower()]])
        old = {str(int(c)): i for i, c in enumerate(las.old_la_code)}
        picked = []
        for part in (p.strip() for p in text.split(",")):
            if not part:
                continue
            if part.upper() in self.code_to_index:
                picked.append(self.code_to_index[part.upper()])
            elif part in old:
                picked.append(old[part])
            elif part.lower() in names:
                picked.append(names[part.lower()])
            else:
                pkey = re.sub(r"[\s_-]+", " ", part).strip().lower()
                if pkey.endswith(" in england"):
                    raise InputError(f"'{part}': 'in england' goes once at the end of the whole --region, after "
                                     "the LAs or region it reports on")
                if pkey.upper() in PATHFINDERS or pkey in ("england", "greater manchester") or pkey in regions:
                    raise InputError(f"'{part}' is a region of its own: give it alone, or list LAs (codes or names), "
                                     "comma-separated")
                close = difflib.get_close_matches(pkey, [*names, *regions, "england", "greater manchester"], n=1, cutoff=0.75)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                raise InputError(
                    f"unknown region or LA '{part}'{hint}: use GM, SE, england, a region name, or LAs by ONS code "
                    "(E08000003), DfE code (352) or name (Manchester), comma-separated"
                )
        idx = np.array(sorted(set(picked)), dtype=np.int64)
        label = ",".join(las.la_code.to_numpy()[idx]) if len(idx) <= 5 else f"{len(idx)} LAs"
        return Region(label, idx)


@functools.lru_cache(maxsize=2)
def load_geography(root: str | None = None) -> Geography:
    """The geography, loaded once per process."""
    return Geography(Path(root) if root else None)
