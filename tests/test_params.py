"""Parameters: every one declared with unit, range, bounds and source; bad values refused."""

from __future__ import annotations

import pytest
from rccsim.base.errors import InputError
from rccsim.inputs.params import ParamSet, load_registry


def test_every_parameter_is_declared_with_unit_range_bounds_and_source():
    specs = load_registry()
    assert len(specs) > 100
    for name, spec in specs.items():
        assert spec.unit.strip(), name
        assert spec.source.strip(), name
        assert spec.bounds is not None, name
        lo, hi = spec.bounds
        values = spec.value if isinstance(spec.value, list) else [spec.value]
        assert all(lo <= v <= hi for v in values), f"{name} default outside its bounds"
        r_lo, r_hi = spec.range
        assert lo <= r_lo <= r_hi <= hi, f"{name} range outside its bounds"
        # the plausible range is the one a reader, a sweep and the fit rely on: the default is in it
        assert all(r_lo <= v <= r_hi for v in values), f"{name} default {spec.value} outside its plausible range {spec.range}"


def test_first_guesses_are_marked_as_to_be_fitted():
    specs = load_registry()
    guesses = [s for s in specs.values() if s.fitted]
    assert guesses, "the core has unfitted parameters; they must be marked"
    assert all("first guess" in s.source or "fitted" in s.source for s in guesses)


def test_updated_applies_a_value_and_changes_the_hash():
    p = ParamSet.defaults()
    q = p.updated({"market.competition_markup": 0.2})
    assert q["market.competition_markup"] == 0.2
    assert q.market.competition_markup == 0.2
    assert p["market.competition_markup"] != 0.2  # the original is untouched
    assert p.digest() != q.digest()
    assert p.digest() == ParamSet.defaults().digest()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"market.no_such": 1}, "unknown parameter 'market.no_such'"),
        ({"competition_markup": 1}, "did you mean market.competition_markup"),
        ({"entries.male_share": 1.5}, "impossible"),
        ({"entries.male_share": "half"}, "needs a number"),
        ({"entries.male_share": float("nan")}, "finite"),
        ({"entries.male_share": True}, "needs a number"),
        ({"carers.assessment_lag_days": [10]}, "list of 2 numbers"),
    ],
)
def test_bad_parameters_are_refused_with_their_name(overrides, message):
    with pytest.raises(InputError, match=message.replace("(", r"\(")):
        ParamSet.defaults().updated(overrides)


def test_installed_fit_values_carry_the_fit_as_their_source():
    from rccsim.inputs.params import _registry_path

    fitted = _registry_path().with_name("fitted.yaml")
    if not fitted.is_file():
        import pytest

        pytest.skip("no fit installed")
    import yaml
    from rccsim.inputs.params import ParamSet

    doc = yaml.safe_load(fitted.read_text())
    defaults = ParamSet.defaults()
    for name, value in doc["values"].items():
        assert defaults[name] == value
        assert defaults.specs[name].source.startswith("fitted: calibration/fitted.yaml")
    # and everything else keeps its registry source
    others = [n for n in defaults.specs if n not in doc["values"]]
    assert all(not defaults.specs[n].source.startswith("fitted: calibration") for n in others)
