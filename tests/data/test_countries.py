import pytest

from critmin.data.countries import iso3_from_code, resolve


@pytest.mark.parametrize(
    ("name", "iso3", "estimated"),
    [
        ("Congo (Kinshasa)", "COD", False),
        ("Congo (Brazzaville)", "COG", False),
        ("Burma", "MMR", False),
        ("Russiae", "RUS", True),
        ("Japane", "JPN", True),
        ("Korea, Republic ofe", "KOR", True),
        ("Korea, North", "PRK", False),
        ("New Caledonia9", "NCL", False),
        ("New Caledonia11", "NCL", False),
        ("United\u00a0States", "USA", False),
        ("Ukraine", "UKR", False),
        ("Chile", "CHL", False),
        ("Mozambique", "MOZ", False),
        ("Zimbabwe", "ZWE", False),
        ("Côte d'Ivoire", "CIV", False),
        ("Turkey", "TUR", False),
        ("Laos", "LAO", False),
        ("New Caledonia (overseas territory of France)", "NCL", False),
    ],
)
def test_source_names_map_to_iso3(name: str, iso3: str, estimated: bool) -> None:
    e = resolve(name)
    assert e is not None
    assert (e.kind, e.iso3, e.estimated) == ("country", iso3, estimated)


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("Other countries", "other"),
        ("Other countries4", "other"),
        ("World total (rounded)", "world"),
        ("World total (ilmenite, rounded)", "world"),
        ("United States and Canada", "region"),
        ("European Union", "region"),
    ],
)
def test_aggregates_are_never_countries(name: str, kind: str) -> None:
    e = resolve(name)
    assert e is not None
    assert e.kind == kind
    assert e.iso3 is None


def test_unknown_names_do_not_map() -> None:
    assert resolve("Atlantis") is None
    assert resolve("") is None


def test_world_bank_codes() -> None:
    assert iso3_from_code("ZAR") == "COD"
    assert iso3_from_code("ROM") == "ROU"
    assert iso3_from_code("USA") == "USA"
    assert iso3_from_code("QQQ") is None
