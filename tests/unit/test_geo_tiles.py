"""Slippy-map tile maths."""

from __future__ import annotations

import math

import pytest

from geo.errors import CoordinateError, TileError
from geo.tiles import (
    MAX_LATITUDE,
    ORIGIN_SHIFT_M,
    lonlat_to_tile,
    tile_bounds_3857,
    tile_bounds_lonlat,
    validate_tile,
)


def test_world_tile():
    assert tile_bounds_3857(0, 0, 0) == pytest.approx(
        (-ORIGIN_SHIFT_M, -ORIGIN_SHIFT_M, ORIGIN_SHIFT_M, ORIGIN_SHIFT_M)
    )
    assert abs(ORIGIN_SHIFT_M - 20_037_508.342789244) < 1e-6
    assert tile_bounds_lonlat(0, 0, 0) == pytest.approx((-180, -MAX_LATITUDE, 180, MAX_LATITUDE))
    assert abs(MAX_LATITUDE - 85.0511287798) < 1e-9


def test_zoom_one_quadrants():
    assert tile_bounds_3857(1, 0, 0) == pytest.approx((-ORIGIN_SHIFT_M, 0, 0, ORIGIN_SHIFT_M))
    assert tile_bounds_3857(1, 1, 1) == pytest.approx((0, -ORIGIN_SHIFT_M, ORIGIN_SHIFT_M, 0))


def test_winterthur_tile_round_trip():
    # The textbook formula (OSM wiki), written differently from the module's asinh form.
    lat = math.radians(47.5)
    expected_y = math.floor((1 - math.log(math.tan(lat) + 1 / math.cos(lat)) / math.pi) / 2 * 2**16)
    x, y = lonlat_to_tile(8.7241, 47.5000, 16)
    assert (x, y) == (math.floor((8.7241 + 180) / 360 * 2**16), expected_y) == (34356, 22916)
    minlon, minlat, maxlon, maxlat = tile_bounds_lonlat(16, x, y)
    assert minlon <= 8.7241 < maxlon and minlat < 47.5 <= maxlat


def test_edges_and_poles():
    assert lonlat_to_tile(-180, 0, 3) == (0, 4)
    assert lonlat_to_tile(180, 0, 3) == (7, 4)
    assert lonlat_to_tile(0, 90, 3) == (4, 0)
    assert lonlat_to_tile(0, -90, 3) == (4, 7)
    assert lonlat_to_tile(0, 0, 0) == (0, 0)


@pytest.mark.parametrize(
    ("z", "x", "y"),
    [
        (-1, 0, 0),
        (31, 0, 0),
        (1, 2, 0),
        (1, 0, 2),
        (2, -1, 0),
        (1.0, 0, 0),
        (True, 0, 0),
        ("3", 1, 1),
    ],
)
def test_invalid_tiles(z, x, y):
    with pytest.raises(TileError) as info:
        tile_bounds_3857(z, x, y)
    assert info.value.code == "bad_tile"
    with pytest.raises(TileError):
        tile_bounds_lonlat(z, x, y)


def test_validate_tile_with_lower_max_zoom():
    assert validate_tile(22, 0, 0) == (22, 0, 0)
    with pytest.raises(TileError):
        validate_tile(23, 0, 0, max_zoom=22)


def test_lonlat_to_tile_validates():
    with pytest.raises(CoordinateError):
        lonlat_to_tile(200, 0, 3)
    with pytest.raises(TileError):
        lonlat_to_tile(8.7, 47.5, 40)
