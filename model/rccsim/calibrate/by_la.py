"""Each LA against DfE's LA tables: the share of its children placed outside its boundary.

England's average can be right while its parts are wrong in opposite directions, so the fit and its
report also judge the model LA by LA. DfE publishes, for every LA at 31 March, its children placed
inside and outside its boundary (``la_cla_on_31_march_by_characteristics_2021_2024.csv``, cla_group
"Locality of placement", counts rounded to the nearest 10). For the LAs with 100 or more children,
two numbers sum the comparison up:

* ``la_outside_rank_correlation``: Spearman's rank correlation of the model's shares with DfE's;
* ``la_outside_median_error``: the median absolute difference, as a fraction (0.05 = 5 points).

Where the places are is checked the same way, from the other side of the boundary: of the children
placed within each LA's boundary, the share who are other LAs' children (cla_group "LA of
placement": own LA's children placed internally, other LAs' children placed within the boundary),
in ``la_hosted_rank_correlation`` and ``la_hosted_median_error``. A county ringed by London's
placements hosts many; a city whose carers live in its county hosts few.

Both are measured at the end of a run (its ``by_la`` metrics), so a target on them names the run's
last year.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from rccsim.base.paths import data_dir

#: the per-LA metrics a target can name (see the module docstring)
LA_METRICS = ("la_outside_rank_correlation", "la_outside_median_error", "la_hosted_rank_correlation",
              "la_hosted_median_error")
MIN_CHILDREN = 100  # LAs with fewer children at 31 March (DfE's total) are left out: their shares are noise
KIND_OF_CODE = {"E09": "London", "E08": "metropolitan", "E06": "unitary", "E10": "county"}


@functools.lru_cache(maxsize=8)
def dfe_outside_shares(year: int) -> pd.DataFrame:
    """DfE's children placed outside the LA boundary at 31 March ``year``, by LA: ``la_code``,
    ``la_name``, children in care (``total``) and the share outside (``dfe_share_out``, of those
    placed inside or outside). Empty for a year DfE's LA table does not hold."""
    raw = pd.read_csv(data_dir() / "published" / "dfe" / "la_cla_on_31_march_by_characteristics_2021_2024.csv",
                      dtype=str, encoding="utf-8-sig")
    sel = raw[(raw.time_period == str(year)) & (raw.geographic_level == "Local authority")
              & (raw.cla_group == "Locality of placement")]
    if sel.empty:
        return pd.DataFrame(columns=["la_code", "la_name", "total", "inside", "outside", "dfe_share_out", "dfe_hosted"])
    wide = sel.pivot_table(index=["new_la_code", "la_name"], columns="characteristic", values="number", aggfunc="first")
    num = wide.apply(pd.to_numeric, errors="coerce")
    out = pd.DataFrame({
        "total": num["Total"],
        "inside": num["Placed inside the local authority boundary"],
        "outside": num["Placed outside the local authority boundary"],
    }).reset_index().rename(columns={"new_la_code": "la_code"})
    out["dfe_share_out"] = out.outside / (out.inside + out.outside)
    hosted = raw[(raw.time_period == str(year)) & (raw.geographic_level == "Local authority")
                 & (raw.cla_group == "LA of placement")]
    h = hosted.pivot_table(index="new_la_code", columns="characteristic", values="number", aggfunc="first")
    h = h.apply(pd.to_numeric, errors="coerce")
    own = h.filter(like="Own LA children placed internally")
    other = h.filter(like="Other LA children externally placed")
    if own.shape[1] and other.shape[1]:
        own, other = own.iloc[:, 0], other.iloc[:, 0]
        out["dfe_hosted"] = out.la_code.map(other / (own + other))
    else:  # a year without DfE's 'LA of placement' rows: nothing to compare, not an error
        out["dfe_hosted"] = np.nan
    return out.dropna(subset=["dfe_share_out"])


def outside_table(by_la: list[dict], year: int) -> pd.DataFrame:
    """Model against DfE for each LA with :data:`MIN_CHILDREN` or more children at 31 March
    ``year``: ``by_la`` is one run's (or several seeds') ``metrics["by_la"]``, averaged here."""
    rows = [{"la_code": code, "sim_children": v["children_in_care_end"], "sim_share_out": v["share_out_of_la"],
             "sim_over_20": v["share_over_20_miles"], "sim_hosted": v.get("share_hosted_from_other_las", np.nan)}
            for one in by_la for code, v in one.items()]
    if not rows:
        return pd.DataFrame()
    sim = pd.DataFrame(rows).groupby("la_code", as_index=False).mean()
    t = dfe_outside_shares(year).merge(sim, on="la_code", how="inner")
    t = t[t.total >= MIN_CHILDREN].copy()
    t["error_pts"] = 100 * (t.sim_share_out - t.dfe_share_out)
    t["hosted_error_pts"] = 100 * (t.sim_hosted - t.dfe_hosted)
    t["kind"] = t.la_code.str[:3].map(KIND_OF_CODE).fillna("other")
    return t.reset_index(drop=True)


def outside_summary(table: pd.DataFrame) -> dict:
    """The two per-LA metrics (:data:`LA_METRICS`) of an :func:`outside_table`, and how many LAs."""
    from scipy.stats import spearmanr

    out = {"n_las": len(table)}
    for name, dfe, sim in (("outside", "dfe_share_out", "sim_share_out"), ("hosted", "dfe_hosted", "sim_hosted")):
        t = table.dropna(subset=[dfe, sim]) if len(table) else table
        if len(t) < 3:
            out[f"la_{name}_rank_correlation"] = out[f"la_{name}_median_error"] = float("nan")
            continue
        out[f"la_{name}_rank_correlation"] = float(spearmanr(t[dfe], t[sim]).statistic)
        out[f"la_{name}_median_error"] = float(np.median(np.abs(t[sim] - t[dfe])))
    return out


def scatter(table: pd.DataFrame, path, caption: str) -> None:
    """Each LA's share placed outside its boundary, DfE against the model, by kind of LA (a PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = outside_summary(table)
    fig, ax = plt.subplots(figsize=(6.5, 6))
    for kind, g in table.groupby("kind"):
        ax.scatter(100 * g.dfe_share_out, 100 * g.sim_share_out, s=18, label=f"{kind} ({len(g)})")
    ax.plot([0, 100], [0, 100], color="grey", lw=0.8)
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    ax.set_xlabel("DfE: % placed outside the LA")
    ax.set_ylabel("model: % placed outside the LA")
    ax.set_title(f"Children placed outside their LA, {len(table)} LAs with {MIN_CHILDREN}+ children\n"
                 f"rank correlation {s['la_outside_rank_correlation']:.2f}; "
                 f"median error {100 * s['la_outside_median_error']:.1f} points", fontsize=10)
    ax.legend(fontsize=8, loc="upper left")
    fig.text(0.01, 0.01, caption, fontsize=7, color="grey")
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)
