"""The open-data query strings parsed into the typed values the services take; every refusal
names its parameter."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.api.query_params import (
    decode_cursor,
    encode_cursor,
    parse_bbox,
    parse_datetime,
    parse_era,
    parse_point,
    place_query,
    year_range,
)
from app.errors import ValidationError


def refused(call, *args) -> str:
    with pytest.raises(ValidationError) as caught:
        call(*args)
    return caught.value.field


def test_bbox_and_point():
    assert parse_bbox("8.7,47.4,8.8,47.5") == (8.7, 47.4, 8.8, 47.5)
    assert parse_bbox("8.7,47.4,0,8.8,47.5,100") == (8.7, 47.4, 8.8, 47.5)  # heights dropped
    for raw in ("1,2,3", "a,b,c,d", "8,47,7,48", "0,0,181,1", "nan,0,1,1"):
        assert refused(parse_bbox, raw) == "bbox"
    assert parse_point("8.7241,47.4997") == (8.7241, 47.4997)
    for raw in ("8.7", "200,47", "inf,1"):
        assert refused(parse_point, raw) == "near"


def test_era_filter_takes_the_one_era_grammar():
    assert parse_era("1950") == (1950, 1950)
    assert parse_era("1950s") == (1950, 1959)
    assert parse_era("1965s") == (1960, 1969)  # the decade the year falls in (geo/era.py)
    assert parse_era("1900/1950") == (1900, 1950)
    assert parse_era("-44") == (-44, -44)
    for raw in ("soon", "1950/1900", "1900/", "12345", " "):
        assert refused(parse_era, raw) == "era"


def test_cursor_round_trip_and_refusals():
    assert decode_cursor(encode_cursor("id", 42), "id", (int,)) == (42,)
    assert decode_cursor(encode_cursor("near", 12.5, 7), "near", (float, int)) == (12.5, 7)
    assert refused(decode_cursor, encode_cursor("id", 42), "near", (float, int)) == "cursor"
    assert refused(decode_cursor, "bm90LWEtY3Vyc29y", "id", (int,)) == "cursor"
    assert refused(decode_cursor, encode_cursor("near", "NaN", 1), "near", (float, int)) == "cursor"


def test_place_query_decodes_the_cursor_of_its_order():
    near = place_query({"limit": 5, "near": "8.7,47.5", "cursor": encode_cursor("near", 3.5, 9)})
    assert near.near == (8.7, 47.5) and near.after == (3.5, 9)
    by_id = place_query({"limit": 5, "cursor": encode_cursor("id", 9), "theme": "a, b,"})
    assert by_id.after == (9,) and by_id.themes == ["a", "b"]
    assert refused(place_query, {"limit": 5, "radius": 100}) == "radius"
    assert refused(place_query, {"limit": 5, "cursor": encode_cursor("near", 1.0, 2)}) == "cursor"


def test_datetime_intervals():
    day = datetime(2020, 1, 2, tzinfo=UTC)
    assert parse_datetime(None) is None
    assert parse_datetime("2020-01-02") == (day, day)
    assert parse_datetime("../2020-01-02") == (None, day)
    assert parse_datetime("2020-01-02T00:00:00") == (day, day)  # no zone: UTC
    assert year_range((None, day)) == (-9999, 2020)
    for raw in ("yesterday", "2020-01-02/2020-01-01", "/", ".."):
        assert refused(parse_datetime, raw) == "datetime"
