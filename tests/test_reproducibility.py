"""Same seed and inputs give identical output; different scenarios share their random numbers."""

from __future__ import annotations

import numpy as np
import pytest
from rccsim.base.rng import Streams, keyed_uniform
from rccsim.sim.scenario import Scenario
from rccsim.sim.simulation import Simulation

REGION = "E08000009"  # Trafford: one LA keeps these fast


def _run(seed: int, scenario="baseline", years: int = 2):
    sim = Simulation(region=REGION, years=years, seed=seed, scenario=scenario, verbose=False)
    return sim.model, sim.run().record


@pytest.fixture(scope="module")
def seed7():
    return _run(7)


def test_same_seed_gives_byte_identical_json(seed7):
    _, first = seed7
    _, again = _run(7)
    assert first.to_json() == again.to_json()


def test_a_different_seed_gives_a_different_run(seed7):
    _, first = seed7
    _, other = _run(8)
    assert first.to_dict()["metrics"] != other.to_dict()["metrics"]
    assert first.to_dict()["seed"] == 7 and other.to_dict()["seed"] == 8


def test_a_no_op_scenario_gives_identical_metrics(seed7):
    _, first = seed7
    same = Scenario(name="same_as_baseline", parameters={})
    _, again = _run(7, scenario=same)
    assert first.to_dict()["metrics"] == again.to_dict()["metrics"]
    assert first.to_dict()["parameter_hash"] == again.to_dict()["parameter_hash"]


def test_common_random_numbers_keep_entries_when_the_market_changes(seed7):
    """A market parameter changes where children go, not who enters care or when."""
    base_model, base = seed7
    dearer = Scenario(name="dearer", parameters={"market.competition_markup": 0.25})
    model, result = _run(7, scenario=dearer)
    assert result.to_dict()["parameter_hash"] != base.to_dict()["parameter_hash"]
    b, m = base_model.children, model.children
    new_b = ~b.initial[: b.n]
    new_m = ~m.initial[: m.n]
    # the same children enter on the same days with the same birth dates and needs
    np.testing.assert_array_equal(np.sort(b.entered[: b.n][new_b]), np.sort(m.entered[: m.n][new_m]))
    np.testing.assert_array_equal(np.sort(b.dob[: b.n][new_b]), np.sort(m.dob[: m.n][new_m]))
    # and the initial population is the same
    np.testing.assert_array_equal(b.dob[: b.n][~new_b], m.dob[: m.n][~new_m])


def test_named_streams_do_not_depend_on_the_order_they_are_made():
    a, b = Streams(11), Streams(11)
    a_first = a["entries"].random(5)
    b["market"].random(100)  # another stream used first
    np.testing.assert_array_equal(a_first, b["entries"].random(5))
    assert not np.array_equal(Streams(11)["entries"].random(5), Streams(12)["entries"].random(5))
    assert not np.array_equal(Streams(11)["entries"].random(5), Streams(11)["exits"].random(5))


def test_keyed_uniforms_are_fixed_by_their_key_and_uniform():
    ids = np.arange(200_000)
    u = keyed_uniform(3, "breakdown", ids, 2)
    np.testing.assert_array_equal(u[[5, 17]], keyed_uniform(3, "breakdown", np.array([5, 17]), 2))
    assert ((u > 0) & (u < 1)).all()
    # uniform: each decile holds a tenth, within sampling error (sd about 0.07%)
    deciles = np.bincount((u * 10).astype(int), minlength=10) / len(u)
    assert np.abs(deciles - 0.1).max() < 0.004
    assert not np.array_equal(u, keyed_uniform(3, "breakdown", ids, 3))
    assert not np.array_equal(u, keyed_uniform(4, "breakdown", ids, 2))
    assert abs(np.corrcoef(u, keyed_uniform(3, "breakdown", ids, 3))[0, 1]) < 0.01


def test_runs_copied_from_a_built_start_state_equal_fresh_builds(seed7):
    # rccsim compare builds a seed's start state once and copies it for each scenario; each copy
    # must be exactly the run a fresh build gives, however many copies were made before it
    from rccsim.sim.simulation import StartState

    _, fresh = seed7
    state = StartState(region=REGION, years=2, seed=7, start_year=2024)
    _, fresh_all = _run(7, scenario="all")
    for _ in range(2):
        assert state.run("baseline").to_json() == fresh.to_json()
        assert state.run("all").to_json() == fresh_all.to_json()
    # parameters shape the start state: a scenario that changes one cannot start from the copy
    with pytest.raises(ValueError, match="changes parameters"):
        state.run(Scenario(name="cheaper", parameters={"prices.ind_home_gbp": 4000.0}))
    with pytest.raises(ValueError, match="template"):
        state.template.run()


def test_keyed_uniforms_for_several_streams_equal_one_stream_at_a_time():
    from rccsim.base.rng import keyed_uniforms

    for n in (3, 40):  # the Python-int path and the array path
        ids = np.arange(n) * 7 + 3
        counter = np.arange(n) % 4
        got = keyed_uniforms(5, ("breakdown", "planned_move"), ids, counter)
        assert np.array_equal(got[0], keyed_uniform(5, "breakdown", ids, counter))
        assert np.array_equal(got[1], keyed_uniform(5, "planned_move", ids, counter))
        assert not np.array_equal(got[0], got[1])


def test_choice_index_draws_what_numpy_choice_draws():
    from rccsim.base.rng import choice_index

    weights = [3.0, 1.0, 0.5, 2.0]
    a, b = np.random.default_rng(11), np.random.default_rng(11)
    assert np.array_equal(choice_index(a, 500, weights), b.choice(4, size=500, p=np.array(weights) / sum(weights)))
    assert a.random() == b.random()  # and leaves the generator where numpy's does


def test_a_used_template_is_freed():
    # a comparison's workers build one template per seed: each must be freed once replaced
    import gc
    import weakref

    from rccsim.sim.simulation import StartState

    state = StartState(region=REGION, years=1, seed=3, start_year=2024)
    state.run("baseline")
    ref = weakref.ref(state.template)
    del state
    gc.collect()
    assert ref() is None
