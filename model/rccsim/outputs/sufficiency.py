"""The regional sufficiency statement: need against supply in a run's LAs, year by year.

An RCC publishes each year how many of its children need each kind of placement, how many places
its area has, and where the gaps are. From a finished run, :func:`statement` gives that at each 31
March of the run (the end of each run year), by placement kind and need level, from the counts the
recorder took on the day (:func:`rccsim.core.recorder.sufficiency_counts`):

``children``
    the run's children (of the reported LAs) placed in this kind, by their need level now;
``placed_in_area``, ``placed_outside_area``
    of them, those whose placement is inside the reported LAs, and outside;
``over_20_miles``
    of them, those placed more than 20 miles from home;
``places``
    places in the reported LAs of this kind, by the highest need level they are staffed for
    (fostering households: their approved places; kinship carers are not counted);
``filled_by_area``, ``filled_by_others``, ``free``, ``not_offered``
    those places filled by the area's children, by others (other LAs' children, young adults
    staying put), free, and not offered (no staff, a carer's choice, a home's matching). A home
    holding places back for a child who lives alone counts them as not offered;
``shortfall``
    the area's children in this kind and need level who could not be placed inside the area even
    with every free place there that could take them: children placed outside less the free places
    staffed for this need level or a higher one, if more (rows of one kind share their free places:
    a row's shortfall is what that need level alone would lack).

A row of kind ``unregistered`` gives the area's children in emergency or unregistered settings by
need level (its ``shortfall`` is all of them). Counts of 1 to 4 children are shown as they are:
simulated children are not persons; a run started from an SSDA903 return simulates from its
children, and :func:`statement` then suppresses them (``small_counts="hide"``), with the counts
they could be worked out from.
"""

from __future__ import annotations

import pandas as pd

from rccsim.base.codes import Kind, Need
from rccsim.core.recorder import SUFFICIENCY_KINDS

COLUMNS = ("children", "placed_in_area", "placed_outside_area", "over_20_miles", "places", "filled_by_area",
           "filled_by_others", "free", "not_offered", "shortfall")
CHILD_COLUMNS = ("children", "placed_in_area", "placed_outside_area", "over_20_miles", "filled_by_area", "shortfall")
SMALL = 5


def statement(model, small_counts: str = "show") -> pd.DataFrame:
    """The sufficiency statement of a finished run: one row per 31 March, placement kind and need
    level. ``small_counts="hide"`` blanks counts of children from 1 to 4."""
    rows = []
    for snap in model.recorder.snapshots:
        s = snap.get("sufficiency")
        if s is None:
            continue
        date = model.date_of_day(int(snap["day"])).isoformat()
        for i, kind in enumerate(SUFFICIENCY_KINDS):
            for need, need_name in enumerate(Need.NAMES):
                children, inside = s["children"][i][need], s["inside"][i][need]
                free = s["free"][i][need]
                can_take = sum(s["free"][i][need:])  # free places staffed for this need level or higher
                rows.append({
                    "area": model.region.label, "date": date, "kind": Kind.NAMES[kind], "need": need_name,
                    "children": children, "placed_in_area": inside, "placed_outside_area": children - inside,
                    "over_20_miles": s["over_20_miles"][i][need], "places": s["places"][i][need],
                    "filled_by_area": s["filled_region"][i][need], "filled_by_others": s["filled_others"][i][need],
                    "free": free, "not_offered": s["not_offered"][i][need],
                    "shortfall": max(children - inside - can_take, 0.0),
                })
        for need, need_name in enumerate(Need.NAMES):
            n = s["unregistered"][need]
            rows.append({"area": model.region.label, "date": date, "kind": "unregistered", "need": need_name,
                         "children": n, "placed_in_area": None, "placed_outside_area": None, "over_20_miles": None,
                         "places": None, "filled_by_area": None, "filled_by_others": None, "free": None,
                         "not_offered": None, "shortfall": n})
    frame = pd.DataFrame(rows, columns=["area", "date", "kind", "need", *COLUMNS])
    for col in COLUMNS:
        frame[col] = frame[col].astype("Float64").round(0).astype("Int64")
    if small_counts == "hide":
        for col in CHILD_COLUMNS:
            small = (frame[col] > 0) & (frame[col] < SMALL)
            frame[col] = frame[col].mask(small.fillna(False))
        # a count hidden must not follow from those shown: children = inside + outside, and the
        # shortfall is worked from them
        split = frame.placed_in_area.isna() | frame.placed_outside_area.isna() | frame.children.isna()
        split &= frame.kind != "unregistered"
        for col in ("placed_in_area", "placed_outside_area", "shortfall"):
            frame[col] = frame[col].mask(split)
    return frame


def by_kind(counts: dict | None) -> dict:
    """One 31 March's statement summed over need levels, by placement kind (for the run record's
    ``by_year``): children, placed outside the area, places, free places and the shortfall (the
    children placed outside less all the kind's free places, if more: a free place for any need
    level counts, where :func:`statement`'s rows count those for the row's level or higher); and
    the children in emergency or unregistered settings."""
    if counts is None:
        return {}
    out = {}
    for i, kind in enumerate(SUFFICIENCY_KINDS):
        children, inside, free = (float(sum(counts[key][i])) for key in ("children", "inside", "free"))
        out[Kind.NAMES[kind]] = {"children": children, "placed_outside_area": children - inside,
                                 "places": float(sum(counts["places"][i])), "free": free,
                                 "shortfall": max(children - inside - free, 0.0)}
    out["unregistered"] = {"children": float(sum(counts["unregistered"]))}
    return out
