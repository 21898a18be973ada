"""Slippy-map tile maths (the z/x/y scheme of OpenStreetMap and vector tiles).

Tiles are squares of Web Mercator (EPSG:3857); x grows eastwards and y southwards from the
north-west corner at zoom 0. Bounds are ``(min_x, min_y, max_x, max_y)`` in metres for 3857
and ``(minlon, minlat, maxlon, maxlat)`` in degrees for WGS84.
"""

from __future__ import annotations

import math

from geo.errors import TileError
from geo.measure import validate_lonlat

# Half the circumference of the WGS84 sphere used by Web Mercator, in metres.
ORIGIN_SHIFT_M = math.pi * 6_378_137.0
# Latitude at which Web Mercator becomes a square; tiles stop there.
MAX_LATITUDE = math.degrees(math.atan(math.sinh(math.pi)))
MAX_ZOOM = 30


def validate_tile(z: int, x: int, y: int, *, max_zoom: int = MAX_ZOOM) -> tuple[int, int, int]:
    """Check a tile address and return it.

    Args:
        z: zoom level, 0..max_zoom.
        x: column, 0..2**z - 1.
        y: row, 0..2**z - 1.
        max_zoom: highest zoom accepted.

    Raises:
        TileError: a value is not an integer or out of range.
    """
    for label, value in (("z", z), ("x", x), ("y", y)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise TileError(f"Tile {label} must be an integer.")
    if not 0 <= z <= max_zoom:
        raise TileError(f"Zoom must be between 0 and {max_zoom}.", max_zoom=max_zoom)
    size = 1 << z
    if not (0 <= x < size and 0 <= y < size):
        raise TileError(f"Tile x and y must be between 0 and {size - 1} at zoom {z}.")
    return z, x, y


def tile_bounds_3857(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """Bounds of a tile in Web Mercator metres: ``(min_x, min_y, max_x, max_y)``.

    Raises:
        TileError: invalid tile address.
    """
    validate_tile(z, x, y)
    size_m = 2 * ORIGIN_SHIFT_M / (1 << z)
    min_x = -ORIGIN_SHIFT_M + x * size_m
    max_y = ORIGIN_SHIFT_M - y * size_m
    return min_x, max_y - size_m, min_x + size_m, max_y


def _tile_lon(x: int, z: int) -> float:
    return x / (1 << z) * 360.0 - 180.0


def _tile_lat(y: int, z: int) -> float:
    return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / (1 << z)))))


def tile_bounds_lonlat(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """Bounds of a tile in degrees: ``(minlon, minlat, maxlon, maxlat)``.

    Raises:
        TileError: invalid tile address.
    """
    validate_tile(z, x, y)
    return _tile_lon(x, z), _tile_lat(y + 1, z), _tile_lon(x + 1, z), _tile_lat(y, z)


def lonlat_to_tile(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The ``(x, y)`` of the tile at zoom ``z`` containing a position in degrees.

    Latitudes beyond ±85.0511° (where Web Mercator ends) fall in the top or bottom row;
    longitude 180 falls in the last column.

    Raises:
        CoordinateError: invalid position.
        TileError: invalid zoom.
    """
    lon, lat = validate_lonlat(lon, lat)
    validate_tile(z, 0, 0)
    size = 1 << z
    lat = max(-MAX_LATITUDE, min(MAX_LATITUDE, lat))
    x = int((lon + 180.0) / 360.0 * size)
    rad = math.radians(lat)
    y = int((1.0 - math.asinh(math.tan(rad)) / math.pi) / 2.0 * size)
    return min(max(x, 0), size - 1), min(max(y, 0), size - 1)
