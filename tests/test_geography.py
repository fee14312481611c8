"""Geography: the 153 LAs, the pathfinder regions, region names and LA codes, distances."""

from __future__ import annotations

import numpy as np
import pytest
from rccsim.base.errors import InputError
from rccsim.inputs.geography import load_geography, miles
from rccsim.sim.simulation import Simulation

# DfE, Children looked after in England incl. adoptions 2024, LA-level file: the sum over GM's ten
# LAs at 31 March 2024 (calibration/data/published/published_figures.csv, pathfinder facts)
GM_CLA_2024 = 6232


@pytest.fixture(scope="module")
def geo():
    return load_geography()


def test_every_childrens_services_authority_is_there_once(geo):
    assert geo.n == 153
    assert geo.las.la_code.is_unique
    assert geo.las.la_code.str.match(r"^E(06|08|09|10)\d{6}$").all()
    assert (geo.pc_count > 0).all()
    assert geo.las.cla_2024.notna().all()
    assert len(geo.region_names) == 9


def test_pathfinders(geo):
    gm = geo.resolve_region("GM")
    assert len(gm.la_index) == 10
    assert int(geo.las.cla_2024.to_numpy()[gm.la_index].sum()) == GM_CLA_2024
    # the South East pathfinder's region is 19 LAs, Hampshire included; 16 of them are members of
    # Home and Future in 2025 (Hampshire, Kent and Slough are not): ../shared/data's README
    se = set(geo.las.la_name.to_numpy()[geo.resolve_region("se").la_index])
    members = set(geo.las.la_name.to_numpy()[geo.resolve_region("SE members").la_index])
    assert len(se) == 19 and "Hampshire" in se
    assert len(members) == 16 and members < se
    assert se - members == {"Hampshire", "Kent", "Slough"}
    assert len(geo.resolve_region("gm members").la_index) == 10


def test_region_names_codes_and_names_resolve(geo):
    nw = geo.resolve_region("north-west")
    assert nw.label == "North West"
    assert set(geo.las.region_name.to_numpy()[nw.la_index]) == {"North West"}
    assert len(geo.resolve_region("England").la_index) == 153
    by_code = geo.resolve_region("E08000003, E08000009")
    by_name = geo.resolve_region("Manchester,Trafford")
    by_old = geo.resolve_region("352,358")  # DfE three-digit codes
    assert list(by_code.la_index) == list(by_name.la_index) == list(by_old.la_index)


def test_a_region_in_england_simulates_england_and_reports_the_region(geo):
    se = geo.resolve_region("SE")
    within = geo.resolve_region("SE in England")
    assert len(within.la_index) == 153
    assert list(within.reported) == list(se.la_index)
    assert list(within.members) == list(se.members)  # the co-operative's 16, not the region's 19
    one = geo.resolve_region("manchester_in_england")
    assert list(one.reported) == list(geo.resolve_region("Manchester").la_index)
    assert list(one.members) == list(one.reported)
    assert list(geo.resolve_region("GM").reported) == list(geo.resolve_region("GM").la_index)


@pytest.mark.parametrize("spec", ["", "Narnia", "E08000003,E12345678", "GM2", "england in england", "Narnia in england", "GM in england in england",
                                  "in england", "GM in england, E08000001"])
def test_unknown_regions_are_refused(geo, spec):
    with pytest.raises(InputError):
        geo.resolve_region(spec)


def test_distances_are_straight_miles_on_the_os_grid():
    # 1,609.344 metres to the mile; a 3-4-5 triangle
    assert miles(0, 0, 3 * 1609.344, 4 * 1609.344) == pytest.approx(5.0)


def test_la_centres_are_where_they_should_be(geo):
    i = geo.code_to_index
    # Manchester to Trafford about 5 miles; Manchester to Cornwall more than 200
    assert 2 < geo.distance[i["E08000003"], i["E08000009"]] < 8
    assert geo.distance[i["E08000003"], i["E06000052"]] > 200
    assert geo.neighbours[i["E08000003"], 0] == i["E08000003"]
    assert np.all(np.diag(geo.distance) > 0)


def test_gm_starts_from_its_published_count():
    """Acceptance of issue 2: GM's children in care at the start within 1% of DfE's 6,232."""
    model = Simulation(region="GM", years=1, seed=1, verbose=False).model
    c = model.children
    start = int(c.in_care[: c.n].sum())
    assert abs(start - GM_CLA_2024) <= 0.01 * GM_CLA_2024


def test_each_la_is_first_among_its_neighbours():
    """geo.neighbours[i, 0] is LA i itself, even for a county whose own spread (the diagonal of
    the distance matrix) is wider than the distance to a town inside it (North Yorkshire and York)."""
    import numpy as np
    from rccsim.inputs.geography import load_geography

    g = load_geography()
    assert (g.neighbours[:, 0] == np.arange(g.n)).all()
    i = list(g.las.la_name).index("North Yorkshire")
    york = list(g.las.la_name).index("York")
    assert g.distance[i, york] < g.distance[i, i]  # the case that broke the old sort


def test_carers_live_outside_a_small_dear_borough_and_inside_a_large_county():
    """Where fostering households live (carers.home_las) follows from geography alone: most of an
    inner London borough's carers live in a neighbouring borough, few of a large county's do."""
    from types import SimpleNamespace

    import numpy as np
    from rccsim.core.carers import LA_CARER_REACH, home_las
    from rccsim.inputs.geography import load_geography
    from rccsim.inputs.params import ParamSet

    g = load_geography()
    p = ParamSet.defaults()
    model = SimpleNamespace(geo=g, p=p)
    names = list(g.las.la_name)
    rng = np.random.default_rng(1)
    share_out = {}
    for name in ("Kensington and Chelsea", "Lambeth", "North Yorkshire", "Cornwall"):
        i = names.index(name)
        la = home_las(model, rng, np.full(4000, i), LA_CARER_REACH, p.carers.home_distance_scale_miles)
        share_out[name] = float((la != i).mean())
    assert share_out["Kensington and Chelsea"] > 0.5 and share_out["Lambeth"] > 0.5, share_out
    assert share_out["North Yorkshire"] < 0.2 and share_out["Cornwall"] < 0.2, share_out


def test_an_las_fitted_inside_weight_moves_its_carers_in_or_out():
    """carers.home_las's ``inside``: each LA's fitted weight on its own carers living inside it
    (Geography.carer_inside, raised to carers.la_inside_exponent) moves them across the
    boundary; a weight of 1 is the gravity rule alone. Every LA's weight is positive and finite."""
    from types import SimpleNamespace

    import numpy as np
    from rccsim.core.carers import LA_CARER_REACH, home_las, la_inside_weight
    from rccsim.inputs.geography import load_geography
    from rccsim.inputs.params import ParamSet

    g = load_geography()
    assert g.carer_inside.shape == (g.n,) and np.isfinite(g.carer_inside).all() and (g.carer_inside > 0).all()
    p = ParamSet.defaults()
    i = list(g.las.la_name).index("Lambeth")
    share_in = {}
    for w in (0.2, 1.0, 5.0):
        la = home_las(SimpleNamespace(geo=g, p=p), np.random.default_rng(1), np.full(4000, i), LA_CARER_REACH,
                      p.carers.home_distance_scale_miles, w)
        share_in[w] = float((la == i).mean())
    assert share_in[0.2] < share_in[1.0] - 0.05 and share_in[5.0] > share_in[1.0] + 0.1, share_in
    # the fitted weights are installed (not all 1), and the exponent scales them (0: the rule alone)
    assert (np.abs(np.log(g.carer_inside)) > 0.1).sum() > 50
    half = SimpleNamespace(geo=g, p=p.updated({"carers.la_inside_exponent": 0.5}))
    assert np.allclose(la_inside_weight(half, np.arange(g.n)), np.sqrt(g.carer_inside))
    assert np.allclose(la_inside_weight(SimpleNamespace(geo=g, p=p), np.arange(g.n)), g.carer_inside)
