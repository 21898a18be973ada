"""Distances, bearings, boxes, the service area and walking times.

Coordinates are always ``(lon, lat)`` in degrees on WGS84 (EPSG:4326); distances are metres.
Distances are geodesic on the WGS84 ellipsoid (pyproj ``Geod``), not spherical: a tour's
length is shown to people who walk it, and the ellipsoid is exact where haversine is off by
up to 0.5 %.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

import shapely
from pyproj import Geod, Transformer
from shapely.geometry import LineString, Point, box, shape
from shapely.geometry.base import BaseGeometry

from geo.errors import CoordinateError, GeoError, OutOfAreaError

GEOD = Geod(ellps="WGS84")

NORMAL_PACE_KMH = 4.5
RELAXED_PACE_KMH = 3.0

BBox = tuple[float, float, float, float]
LonLat = tuple[float, float]

_COMPASS = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")


def validate_lonlat(lon: Any, lat: Any) -> LonLat:
    """Check one position and return it as floats.

    Args:
        lon: longitude in degrees, -180..180.
        lat: latitude in degrees, -90..90.

    Returns:
        ``(lon, lat)`` as floats.

    Raises:
        CoordinateError: not a number, not finite, or out of range.
    """
    try:
        x = float(lon)
        y = float(lat)
    except (TypeError, ValueError):
        raise CoordinateError(
            f"Coordinates must be numbers (got lon={lon!r}, lat={lat!r})."
        ) from None
    if not (math.isfinite(x) and math.isfinite(y)):
        raise CoordinateError("Coordinates must be finite numbers (not NaN or infinity).")
    if not -180.0 <= x <= 180.0:
        raise CoordinateError(f"Longitude {x} is outside -180..180.", lon=x)
    if not -90.0 <= y <= 90.0:
        raise CoordinateError(f"Latitude {y} is outside -90..90.", lat=y)
    return x, y


def parse_lonlat(text: str) -> LonLat:
    """Parse ``"lon,lat"`` (degrees), as used in ``?near=`` parameters.

    Raises:
        CoordinateError: code ``bad_coordinates`` with ``params["shape"]`` true when the text
            is not two comma-separated numbers, false when the numbers are out of range or
            not finite.
    """
    parts = str(text).split(",")
    try:
        if len(parts) != 2:
            raise ValueError
        lon, lat = float(parts[0]), float(parts[1])
    except ValueError:
        raise CoordinateError(
            "A position must be two numbers: longitude,latitude.", shape=True
        ) from None
    try:
        return validate_lonlat(lon, lat)
    except CoordinateError as exc:
        raise CoordinateError(exc.message, shape=False) from None


def is_valid_lonlat(lon: Any, lat: Any) -> bool:
    """Whether ``validate_lonlat`` would accept the position (degrees); never raises."""
    try:
        validate_lonlat(lon, lat)
    except CoordinateError:
        return False
    return True


def distance_m(a: Sequence[float], b: Sequence[float]) -> float:
    """Geodesic distance between two ``(lon, lat)`` points, in metres (WGS84)."""
    _, _, dist = GEOD.inv(a[0], a[1], b[0], b[1])
    return float(dist)


def line_length_m(line: LineString | Sequence[Sequence[float]]) -> float:
    """Geodesic length of a LineString (or a sequence of ``(lon, lat[, ...])``), in metres.

    Elevation (Z) is ignored: the length is measured on the ellipsoid surface.
    """
    coords = list(line.coords) if isinstance(line, BaseGeometry) else list(line)
    if len(coords) < 2:
        return 0.0
    lons = [c[0] for c in coords]
    lats = [c[1] for c in coords]
    return float(GEOD.line_length(lons, lats))


def bearing_deg(a: Sequence[float], b: Sequence[float]) -> float | None:
    """Initial bearing (forward azimuth) from ``a`` to ``b`` in degrees, 0..360 clockwise.

    0 is north, 90 east. Returns None when the points coincide (no direction exists).
    """
    if a[0] == b[0] and a[1] == b[1]:
        return None
    azimuth, _, _ = GEOD.inv(a[0], a[1], b[0], b[1])
    return float(azimuth) % 360.0


def compass_point(bearing: float) -> str:
    """Eight-wind compass name (``"N"``, ``"NE"``, ... ``"NW"``) for a bearing in degrees."""
    return _COMPASS[round((bearing % 360.0) / 45.0) % 8]


def bbox_of(geometries: Iterable[BaseGeometry]) -> BBox:
    """Bounding box ``(minlon, minlat, maxlon, maxlat)`` in degrees of non-empty geometries.

    Raises:
        GeoError: when there is no non-empty geometry.
    """
    bounds = [g.bounds for g in geometries if g is not None and not g.is_empty]
    if not bounds:
        raise GeoError("There is nothing to take a bounding box of.", code="empty")
    return (
        min(b[0] for b in bounds),
        min(b[1] for b in bounds),
        max(b[2] for b in bounds),
        max(b[3] for b in bounds),
    )


def parse_bbox(text: str) -> BBox:
    """Parse ``"minLon,minLat,maxLon,maxLat"`` (degrees) as used in ``?bbox=`` parameters.

    Raises:
        GeoError: code ``bad_bbox`` when there are not four numbers, a value is out of range
            or not finite, or a minimum exceeds its maximum (boxes across 180° are refused).
    """
    parts = [p.strip() for p in str(text).split(",")]
    if len(parts) != 4:
        raise GeoError(
            "bbox needs four comma-separated numbers: minLon,minLat,maxLon,maxLat.",
            code="bad_bbox",
        )
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise GeoError("bbox values must be numbers.", code="bad_bbox") from None
    try:
        min_lon, min_lat = validate_lonlat(values[0], values[1])
        max_lon, max_lat = validate_lonlat(values[2], values[3])
    except CoordinateError as exc:
        raise GeoError(f"bbox is out of range: {exc.message}", code="bad_bbox") from None
    if min_lon > max_lon or min_lat > max_lat:
        raise GeoError(
            "bbox minimum must not exceed maximum (minLon<=maxLon, minLat<=maxLat).",
            code="bad_bbox",
        )
    return min_lon, min_lat, max_lon, max_lat


class ServiceArea:
    """The region the site covers, e.g. Winterthur and surroundings.

    Built from a GeoJSON Polygon/MultiPolygon (a dict, or a Feature holding one) or from a
    bbox via ``ServiceArea.from_bbox``. Points on the boundary count as inside.
    """

    def __init__(self, geojson: Mapping[str, Any]) -> None:
        """Build the area from a GeoJSON Polygon or MultiPolygon dict (degrees).

        Raises:
            GeoError: code ``bad_area`` when the GeoJSON is not a valid (Multi)Polygon.
        """
        if isinstance(geojson, Mapping) and geojson.get("type") == "Feature":
            geojson = geojson.get("geometry") or {}
        if not isinstance(geojson, Mapping) or geojson.get("type") not in (
            "Polygon",
            "MultiPolygon",
        ):
            raise GeoError(
                "The service area must be a GeoJSON Polygon or MultiPolygon.", code="bad_area"
            )
        try:
            geometry = shape(geojson)
        except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
            raise GeoError(f"The service area GeoJSON is broken: {exc}", code="bad_area") from None
        self._init_geometry(geometry)

    @classmethod
    def from_bbox(cls, bbox: Sequence[float] | str) -> ServiceArea:
        """Build the area from ``(minlon, minlat, maxlon, maxlat)`` or its string form."""
        values = (
            parse_bbox(bbox)
            if isinstance(bbox, str)
            else parse_bbox(",".join(str(v) for v in bbox))
        )
        area = cls.__new__(cls)
        area._init_geometry(box(*values))
        return area

    def _init_geometry(self, geometry: BaseGeometry) -> None:
        if geometry.is_empty or not geometry.is_valid:
            raise GeoError("The service area polygon is empty or invalid.", code="bad_area")
        min_lon, min_lat, max_lon, max_lat = geometry.bounds
        if not (is_valid_lonlat(min_lon, min_lat) and is_valid_lonlat(max_lon, max_lat)):
            raise GeoError("The service area lies outside -180..180 / -90..90.", code="bad_area")
        self.geometry = geometry
        # Prepared geometries answer many point tests (every point of a GPX) quickly.
        shapely.prepare(self.geometry)

    @property
    def bounds(self) -> BBox:
        """``(minlon, minlat, maxlon, maxlat)`` of the area in degrees."""
        return tuple(float(v) for v in self.geometry.bounds)  # type: ignore[return-value]

    def contains(self, lon: float, lat: float) -> bool:
        """Whether the position (degrees) lies in the area or on its edge; False if invalid."""
        if not is_valid_lonlat(lon, lat):
            return False
        return bool(self.geometry.covers(Point(float(lon), float(lat))))

    def require(self, lon: float, lat: float) -> LonLat:
        """Return the validated ``(lon, lat)``, or raise OutOfAreaError if outside the area.

        Raises:
            CoordinateError: the position is not a valid coordinate.
            OutOfAreaError: the position is valid but outside the area.
        """
        point = validate_lonlat(lon, lat)
        if not self.contains(*point):
            raise OutOfAreaError("This position is outside the area this site covers.")
        return point

    def __repr__(self) -> str:
        return f"ServiceArea(bounds={self.bounds})"


def walking_minutes(length_m: float, speed_kmh: float = NORMAL_PACE_KMH) -> float:
    """Walking time in minutes for a distance in metres at a pace in km/h.

    Raises:
        GeoError: negative or non-finite length, or a pace that is not positive.
    """
    if not math.isfinite(length_m) or length_m < 0:
        raise GeoError("Length must be a finite number of metres >= 0.")
    if not math.isfinite(speed_kmh) or speed_kmh <= 0:
        raise GeoError("Walking speed must be a positive number of km/h.")
    return length_m / (speed_kmh * 1000.0 / 60.0)


def local_transformers(lon0: float, lat0: float) -> tuple[Transformer, Transformer]:
    """Transformers to and from a local azimuthal-equidistant plane centred near a point.

    Within a city (a few km from the centre) the plane distorts distances by far less than
    0.1 %, so planar Shapely operations there are "in metres". The centre is rounded to
    0.01° (about 1 km), which costs no accuracy and lets nearby calls share a cached pair.

    Returns:
        ``(to_local, to_lonlat)``, both with ``always_xy=True`` (lon/lat order, metres).
    """
    lon0, lat0 = validate_lonlat(lon0, lat0)
    return _transformers(round(lon0, 2), round(lat0, 2))


@lru_cache(maxsize=64)
def _transformers(lon0: float, lat0: float) -> tuple[Transformer, Transformer]:
    proj = f"+proj=aeqd +lat_0={lat0!r} +lon_0={lon0!r} +datum=WGS84 +units=m +no_defs"
    to_local = Transformer.from_crs("EPSG:4326", proj, always_xy=True)
    to_lonlat = Transformer.from_crs(proj, "EPSG:4326", always_xy=True)
    return to_local, to_lonlat
