"""Distances, bearings, boxes, the service area and walking times."""

from __future__ import annotations

import math

import pytest
from shapely.geometry import LineString, Point, Polygon

from geo.errors import CoordinateError, GeoError, OutOfAreaError
from geo.measure import (
    NORMAL_PACE_KMH,
    RELAXED_PACE_KMH,
    ServiceArea,
    bbox_of,
    bearing_deg,
    compass_point,
    distance_m,
    is_valid_lonlat,
    line_length_m,
    local_transformers,
    parse_bbox,
    parse_lonlat,
    validate_lonlat,
    walking_minutes,
)

WINTERTHUR = {
    "type": "Polygon",
    "coordinates": [[[8.62, 47.42], [8.85, 47.42], [8.85, 47.57], [8.62, 47.57], [8.62, 47.42]]],
}


def test_one_degree_of_latitude_at_the_equator():
    # Independently known: the WGS84 meridian arc from 0° to 1° is 110,574 m.
    assert distance_m((0, 0), (0, 1)) == pytest.approx(110_574, rel=0.001)


def test_one_degree_of_latitude_near_47_degrees():
    # Meridian arc per degree at 47° N is about 111,180 m (it grows towards the poles).
    assert distance_m((8.7, 46.5), (8.7, 47.5)) == pytest.approx(111_180, rel=0.001)


def test_one_degree_of_longitude_at_the_equator():
    # Equatorial circumference 40,075,017 m / 360.
    assert distance_m((0, 0), (1, 0)) == pytest.approx(111_319.5, rel=0.001)


def test_winterthur_to_zurich_is_about_19_5_km():
    assert distance_m((8.7241, 47.5000), (8.5402, 47.3782)) == pytest.approx(19_500, rel=0.02)


def test_line_length():
    line = LineString([(8.7, 46.5, 400), (8.7, 47.0, 500), (8.7, 47.5, 450)])
    assert line_length_m(line) == pytest.approx(111_180, rel=0.001)
    assert line_length_m([(8.7, 46.5), (8.7, 47.5)]) == pytest.approx(111_180, rel=0.001)
    assert line_length_m([(8.7, 47.5)]) == 0.0


@pytest.mark.parametrize(
    ("b", "expected", "name"),
    [
        ((8.72, 47.51), 0, "N"),
        ((8.73, 47.50), 90, "E"),
        ((8.72, 47.49), 180, "S"),
        ((8.71, 47.50), 270, "W"),
    ],
)
def test_bearing_cardinal(b, expected, name):
    bearing = bearing_deg((8.72, 47.50), b)
    assert min(abs(bearing - expected), 360 - abs(bearing - expected)) < 0.5
    assert compass_point(bearing) == name


def test_bearing_north_east_and_same_point():
    # Equal metres north and east: lon step scaled by 1/cos(lat).
    east = 0.001 / math.cos(math.radians(47.5)) * (111_180 / 111_320)
    bearing = bearing_deg((8.72, 47.5), (8.72 + east, 47.501))
    assert bearing == pytest.approx(45, abs=1)
    assert compass_point(bearing) == "NE"
    assert bearing_deg((8.72, 47.5), (8.72, 47.5)) is None
    assert compass_point(359) == "N" and compass_point(-90) == "W"


def test_bbox_of_geometries():
    box = bbox_of([Point(8.7, 47.5), LineString([(8.72, 47.49), (8.75, 47.52)]), Polygon()])
    assert box == (8.7, 47.49, 8.75, 47.52)
    with pytest.raises(GeoError):
        bbox_of([])


def test_parse_lonlat():
    assert parse_lonlat("8.7241,47.4997") == (8.7241, 47.4997)
    assert parse_lonlat(" -180 , 90 ") == (-180.0, 90.0)


@pytest.mark.parametrize(
    ("text", "shape"),
    [("", True), ("8.7", True), ("8.7,47.5,3", True), ("a,b", True), ("8.7;47.5", True),
     ("nan,47.5", False), ("8.7,inf", False), ("181,0", False), ("0,-90.5", False)],
)
def test_parse_lonlat_refuses_naming_shape_or_range(text, shape):
    with pytest.raises(CoordinateError) as refused:
        parse_lonlat(text)
    assert refused.value.code == "bad_coordinates"
    assert refused.value.params["shape"] is shape


def test_parse_bbox():
    assert parse_bbox("8.70,47.48, 8.76 ,47.52") == (8.70, 47.48, 8.76, 47.52)
    assert parse_bbox("-180,-90,180,90") == (-180, -90, 180, 90)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "1,2,3",
        "1,2,3,4,5",
        "a,b,c,d",
        "nan,0,1,1",
        "0,0,inf,1",
        "-181,0,0,1",
        "0,-91,1,0",
        "2,0,1,1",
        "0,2,1,1",
    ],
)
def test_parse_bbox_refuses(text):
    with pytest.raises(GeoError) as info:
        parse_bbox(text)
    assert info.value.code == "bad_bbox"
    assert "bbox" in info.value.message


@pytest.mark.parametrize(
    ("lon", "lat"),
    [
        (181, 0),
        (-180.0001, 0),
        (0, 90.5),
        (0, -91),
        (float("nan"), 0),
        (0, float("inf")),
        ("x", 1),
        (None, 1),
    ],
)
def test_validate_lonlat_refuses(lon, lat):
    with pytest.raises(CoordinateError):
        validate_lonlat(lon, lat)
    assert not is_valid_lonlat(lon, lat)


def test_validate_lonlat_accepts_edges_and_strings():
    assert validate_lonlat(180, -90) == (180.0, -90.0)
    assert validate_lonlat("8.7", "47.5") == (8.7, 47.5)


def test_service_area_polygon_and_bbox():
    area = ServiceArea(WINTERTHUR)
    assert area.contains(8.7241, 47.5)
    assert area.contains(8.62, 47.5)  # on the edge
    assert not area.contains(8.5402, 47.3782)  # Zürich
    assert not area.contains(float("nan"), 47.5)
    assert area.bounds == (8.62, 47.42, 8.85, 47.57)
    assert ServiceArea({"type": "Feature", "geometry": WINTERTHUR}).contains(8.7, 47.5)
    boxed = ServiceArea.from_bbox("8.62,47.42,8.85,47.57")
    assert boxed.contains(8.7, 47.5) and not boxed.contains(8.9, 47.5)
    assert ServiceArea.from_bbox((8.62, 47.42, 8.85, 47.57)).bounds == area.bounds


def test_service_area_multipolygon_with_hole():
    outer = [[8.6, 47.4], [8.9, 47.4], [8.9, 47.6], [8.6, 47.6], [8.6, 47.4]]
    hole = [[8.7, 47.45], [8.8, 47.45], [8.8, 47.55], [8.7, 47.55], [8.7, 47.45]]
    far = [[9.0, 47.0], [9.1, 47.0], [9.1, 47.1], [9.0, 47.1], [9.0, 47.0]]
    area = ServiceArea({"type": "MultiPolygon", "coordinates": [[outer, hole], [far]]})
    assert area.contains(8.65, 47.5) and area.contains(9.05, 47.05)
    assert not area.contains(8.75, 47.5)


def test_service_area_require():
    area = ServiceArea(WINTERTHUR)
    assert area.require(8.7, 47.5) == (8.7, 47.5)
    with pytest.raises(OutOfAreaError) as info:
        area.require(8.54, 47.38)
    assert info.value.code == "outside_area"
    with pytest.raises(CoordinateError):
        area.require(8.7, 123)


@pytest.mark.parametrize(
    "geojson",
    [
        {"type": "Point", "coordinates": [8.7, 47.5]},
        {"type": "Polygon", "coordinates": "nope"},
        {"type": "Polygon", "coordinates": []},
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]},  # bow tie
        {"type": "Polygon", "coordinates": [[[170, 0], [190, 0], [190, 1], [170, 1], [170, 0]]]},
        "Polygon",
    ],
)
def test_service_area_refuses_bad_geojson(geojson):
    with pytest.raises(GeoError) as info:
        ServiceArea(geojson)
    assert info.value.code == "bad_area"


def test_walking_minutes():
    assert NORMAL_PACE_KMH == 4.5 and RELAXED_PACE_KMH == 3.0
    assert walking_minutes(4500) == pytest.approx(60)
    assert walking_minutes(1500, RELAXED_PACE_KMH) == pytest.approx(30)
    assert walking_minutes(0) == 0
    for bad in ((-1, 4.5), (100, 0), (100, -3), (float("nan"), 4.5), (100, float("inf"))):
        with pytest.raises(GeoError):
            walking_minutes(*bad)


def test_local_plane_is_metric():
    to_local, to_lonlat = local_transformers(8.72, 47.5)
    x0, y0 = to_local.transform(8.72, 47.5)
    x1, y1 = to_local.transform(8.73, 47.51)
    assert math.hypot(x1 - x0, y1 - y0) == pytest.approx(
        distance_m((8.72, 47.5), (8.73, 47.51)), rel=1e-4
    )
    lon, lat = to_lonlat.transform(x1, y1)
    assert (lon, lat) == pytest.approx((8.73, 47.51))


def test_errors_are_value_errors_with_code_and_message():
    err = GeoError("Something is wrong.", code="x", limit=3)
    assert isinstance(err, ValueError)
    assert (err.code, err.message, str(err), err.params) == (
        "x",
        "Something is wrong.",
        "Something is wrong.",
        {"limit": 3},
    )
    assert "x" in repr(err)
