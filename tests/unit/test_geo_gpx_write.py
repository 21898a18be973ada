"""write_gpx: valid GPX 1.1 (checked against the XSD), re-readable, whatever the text."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from shapely.geometry import LineString, MultiLineString

from geo.errors import CoordinateError
from geo.gpx import read_gpx
from geo.gpx_write import write_gpx, xml_safe
from tests.conftest import CORPUS, need

XSD = CORPUS / "schemas" / "topografix__gpx-1.1.xsd"


@pytest.fixture(scope="module", autouse=True)
def _schema_present():
    """Every test here checks against the GPX 1.1 schema: it fails, naming the path, without."""
    need(XSD)


ROUTE = LineString([(8.7241, 47.5000, 445.0), (8.7290, 47.4990, 447.5), (8.7310, 47.5010, 450)])
STOPS = [
    {"name": "Hauptbahnhof", "description": "Start", "lon": 8.7241, "lat": 47.5, "link": None},
    {
        "name": "Stadthaus",
        "description": "Semper & <Co>",
        "lon": 8.7310,
        "lat": 47.5010,
        "link": 'https://example.org/places/2?a=1&b="x"',
    },
]


@cache
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD)))


def _validate(xml: str) -> None:
    doc = etree.fromstring(xml.encode("utf-8"))
    schema = _schema()
    assert schema.validate(doc), schema.error_log


def _normalised(text: str) -> str | None:
    """What a reader gets back: illegal characters gone, XML newline normalisation, trimmed."""
    cleaned = xml_safe(text).strip().replace("\r\n", "\n").replace("\r", "\n").strip()
    return cleaned or None


def test_tour_export_validates_and_round_trips():
    xml = write_gpx(
        "Altstadt Winterthur",
        "Ein Rundgang",
        ROUTE,
        STOPS,
        link="https://example.org/tours/1",
        time=datetime(2024, 5, 1, 10, 0, tzinfo=UTC),
    )
    _validate(xml)
    assert xml.index("<wpt") < xml.index("<trk>")
    gpx = read_gpx(xml.encode("utf-8"))
    assert gpx.name == "Altstadt Winterthur" and gpx.creator == "Stadtspur"
    assert [(w.name, w.lon, w.lat) for w in gpx.waypoints] == [
        ("Hauptbahnhof", 8.7241, 47.5),
        ("Stadthaus", 8.731, 47.501),
    ]
    assert gpx.waypoints[1].description == "Semper & <Co>"
    (segment,) = gpx.tracks[0].segments
    assert [(p.lon, p.lat, p.ele) for p in segment] == list(ROUTE.coords)
    assert 'href="https://example.org/places/2?a=1&amp;b=&quot;x&quot;"' in xml


def test_export_without_route_or_stops_or_text():
    xml = write_gpx(None, None, None)
    _validate(xml)
    assert "<metadata" not in xml
    xml2 = write_gpx("Only stops", None, None, STOPS)
    _validate(xml2)
    assert read_gpx(xml2.encode()).waypoint_count == 2


def test_multilinestring_becomes_segments_and_2d_has_no_ele():
    lines = MultiLineString([[(8.72, 47.5), (8.73, 47.5)], [(8.74, 47.5), (8.75, 47.51)]])
    xml = write_gpx("Two parts", None, lines)
    _validate(xml)
    assert "<ele>" not in xml
    assert read_gpx(xml.encode()).track_segment_count == 2


def test_numbers_are_plain_decimals():
    # xsd:decimal has no exponent: 1e-05 would be invalid.
    xml = write_gpx("tiny", None, LineString([(0.00001, 1e-7, 1e-6), (180.0, -90.0, -1e-9)]))
    _validate(xml)
    assert "e-" not in xml
    assert 'lon="-180"' in xml  # 180 is written as its equal, -180 (GPX allows -180..<180)


def test_invalid_coordinates_are_refused():
    with pytest.raises(CoordinateError):
        write_gpx("x", None, None, [{"lon": 8.7, "lat": 123}])
    with pytest.raises(CoordinateError):
        write_gpx("x", None, LineString([(8.7, 47.5), (200.0, 47.5)]))


def test_control_characters_are_stripped():
    nasty = "Bahn\x00hof\x1b[31m \ufffe\uffff\ud800 ok\tend"
    xml = write_gpx(nasty, nasty, ROUTE, [{"name": nasty, "lon": 8.7, "lat": 47.5}])
    _validate(xml)
    assert read_gpx(xml.encode()).waypoints[0].name == "Bahnhof[31m  ok\tend"


def test_xml_safe():
    assert xml_safe(None) == ""
    assert xml_safe("a\x01b\x7fc\U0001f600\ud83d") == "ab\x7fc\U0001f600"


# Every Unicode code point, including controls and lone surrogates.
ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=40)


@settings(max_examples=200, deadline=None)
@given(name=ANY_TEXT, description=ANY_TEXT, stop_name=ANY_TEXT, stop_desc=ANY_TEXT)
def test_any_text_exports_to_valid_rereadable_gpx(name, description, stop_name, stop_desc):
    stop = {"name": stop_name, "description": stop_desc, "lon": 8.7290, "lat": 47.4990}
    xml = write_gpx(name, description, ROUTE, [stop], link="https://example.org/t/1")
    _validate(xml)
    gpx = read_gpx(xml.encode("utf-8"))
    assert gpx.name == _normalised(name)
    assert gpx.description == _normalised(description)
    assert gpx.waypoints[0].name == _normalised(stop_name)
    assert gpx.waypoints[0].description == _normalised(stop_desc)
    assert gpx.track_point_count == 3
