import pytest

from critmin.data.units import UNITS, USGS_TOKENS, basis_factor, factor


def test_every_usgs_token_is_a_critmin_unit() -> None:
    assert set(USGS_TOKENS.values()) <= set(UNITS)


@pytest.mark.parametrize(
    ("src", "dst", "f"),
    [("kt", "t", 1000.0), ("kg", "t", 0.001), ("Mt", "kt", 1000.0), ("t", "t", 1.0)],
)
def test_mass_factors(src: str, dst: str, f: float) -> None:
    assert factor(src, dst) == pytest.approx(f, rel=1e-12)


def test_kt_is_kilotonne_not_knot() -> None:
    # pint reads "kt" as a knot: critmin spells the unit out.
    assert factor("kt", "kg") == pytest.approx(1e6)


def test_price_units() -> None:
    # 1 US cent per pound = 22.046 USD per tonne
    assert factor("USc/lb", "USD/t") == pytest.approx(22.0462262, rel=1e-9)


def test_incompatible_units_are_an_error() -> None:
    with pytest.raises(ValueError, match="different dimensions"):
        factor("kg", "USD/t")
    with pytest.raises(ValueError, match="unknown unit"):
        factor("furlong", "t")


def test_basis_factors_are_stoichiometric_and_invertible() -> None:
    f, why = basis_factor("Li2O", "Li")
    assert f == pytest.approx(0.4645, abs=1e-4)
    assert "stoichiometric" in why
    back, _ = basis_factor("Li", "Li2O")
    assert back * f == pytest.approx(1.0)
    with pytest.raises(ValueError, match="no sourced factor"):
        basis_factor("REO", "Nd")
