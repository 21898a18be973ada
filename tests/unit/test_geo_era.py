"""geo/era.py: every form the "when was this?" grammar accepts, and every one it refuses."""

from __future__ import annotations

import pytest

from geo.era import DECADE, RANGE, YEAR, Era, parse_era
from geo.errors import EraError, GeoError


@pytest.mark.parametrize("raw,expected", [
    ("1965", Era(1965, 1965, YEAR)),
    ("  1965\t", Era(1965, 1965, YEAR)),
    ("965", Era(965, 965, YEAR)),
    ("0965", Era(965, 965, YEAR)),
    ("7", Era(7, 7, YEAR)),
    ("-44", Era(-44, -44, YEAR)),
    ("9999", Era(9999, 9999, YEAR)),
    ("1960s", Era(1960, 1969, DECADE)),
    ("1960S", Era(1960, 1969, DECADE)),
    ("1960er", Era(1960, 1969, DECADE)),
    ("1960ER", Era(1960, 1969, DECADE)),
    ("1960's", Era(1960, 1969, DECADE)),
    ("1965s", Era(1960, 1969, DECADE)),  # the decade the year falls in
    ("-50s", Era(-50, -41, DECADE)),
    ("1900/1950", Era(1900, 1950, RANGE)),
    ("1950/1950", Era(1950, 1950, RANGE)),
    ("-100/100", Era(-100, 100, RANGE)),
])
def test_accepted_forms(raw, expected):
    assert parse_era(raw) == expected


@pytest.mark.parametrize("raw", [None, "", "   ", "\n"])
def test_empty_is_unknown(raw):
    assert parse_era(raw) is None


@pytest.mark.parametrize("raw", [
    "long ago", "19th century", "1960-1970", "1900/", "/1950", "1900//1950", "1900/1950/2000",
    "19 65", "1960 s", "12345", "+1965", "1_965", "1965.0", "1e3", "s", "'s", "1960's's",
    "1960x", "--44", "1960s/1970", "١٩٦٥",  # Arabic-Indic digits: int() would read them
    "1965\x00",
])
def test_refused_forms_say_what_is_accepted(raw):
    with pytest.raises(EraError) as refused:
        parse_era(raw)
    assert refused.value.code == "bad_era"
    assert "1900/1950" in refused.value.message


def test_a_range_that_ends_before_it_starts_is_refused():
    with pytest.raises(EraError) as refused:
        parse_era("1950/1900")
    assert refused.value.code == "bad_era" and "starts before it ends" in refused.value.message


def test_without_ranges_a_range_is_refused_with_the_forms_a_story_takes():
    assert parse_era("1965", ranges=False) == Era(1965, 1965, YEAR)
    assert parse_era("1960s", ranges=False) == Era(1960, 1969, DECADE)
    with pytest.raises(EraError) as refused:
        parse_era("1900/1950", ranges=False)
    assert refused.value.code == "bad_era"
    assert refused.value.message == "Give a year like 1965 or a decade like 1960s."


@pytest.mark.parametrize("raw", ["999", "2027", "1000/2027", "0s", "-44"])
def test_bounds_are_refused_with_their_own_code(raw):
    with pytest.raises(EraError) as refused:
        parse_era(raw, earliest=1000, latest=2026)
    assert refused.value.code == "era_out_of_range"
    assert refused.value.params == {"earliest": 1000, "latest": 2026}
    assert refused.value.message == "Give a year between 1000 and 2026."


@pytest.mark.parametrize("raw,expected", [
    ("1000", Era(1000, 1000, YEAR)),
    ("2026", Era(2026, 2026, YEAR)),
    ("2020s", Era(2020, 2029, DECADE)),  # a decade counts from its first year
    ("2029s", Era(2020, 2029, DECADE)),
    ("1000/2026", Era(1000, 2026, RANGE)),
])
def test_bounds_are_inclusive(raw, expected):
    assert parse_era(raw, earliest=1000, latest=2026) == expected


def test_era_errors_are_geo_errors_and_value_errors():
    with pytest.raises(GeoError):
        parse_era("long ago")
    with pytest.raises(ValueError, match="1965"):
        parse_era("long ago")


def test_the_stored_year_is_the_start():
    assert parse_era("1965s").year == 1960
    assert parse_era("1965").year == 1965


@pytest.mark.parametrize("raw", ["ca. 1965", "ca 1965", "c. 1965", "circa 1965", "um 1965",
                                 "~1965", "CA. 1965", "Um 1965"])
def test_circa_is_the_year_with_five_years_either_side(raw):
    from geo.era import CIRCA

    era = parse_era(raw)
    assert era == Era(1960, 1970, CIRCA) and era.year == 1965


@pytest.mark.parametrize("raw", ["ca.", "ca. 1960s", "ca. 1900/1950", "um  1965", "cca 1965",
                                 "~ ~1965"])
def test_circa_takes_one_year_only(raw):
    with pytest.raises(EraError) as refused:
        parse_era(raw)
    assert refused.value.code == "bad_era"


def test_circa_bounds_are_its_year_and_ranges_false_refuses_it():
    assert parse_era("ca. 1000", earliest=1000, latest=2026).year == 1000
    with pytest.raises(EraError) as refused:
        parse_era("ca. 2027", earliest=1000, latest=2026)
    assert refused.value.code == "era_out_of_range"
    with pytest.raises(EraError) as refused:
        parse_era("ca. 1965", ranges=False)
    assert refused.value.code == "bad_era"
