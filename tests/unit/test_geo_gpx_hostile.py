"""read_gpx refuses hostile and broken input before gpxpy ever sees it."""

from __future__ import annotations

import gzip
import io

import pytest
from PIL import Image

from geo.gpx import read_gpx

GPX_OPEN = '<gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1">'


def _gpx(body: str, prolog: str = '<?xml version="1.0" encoding="UTF-8"?>\n') -> bytes:
    return (prolog + GPX_OPEN + body + "</gpx>").encode("utf-8")


def _code(data: bytes, **kwargs) -> str:
    from geo.errors import GpxError

    with pytest.raises(GpxError) as info:
        read_gpx(data, **kwargs)
    assert info.value.message
    return info.value.code


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE gpx [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<gpx version="1.1" creator="t"><wpt lat="47.5" lon="8.7"><name>&lol9;</name></wpt></gpx>"""

QUADRATIC_BLOWUP = (
    b'<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY a "'
    + b"x" * 50_000
    + b'">]><gpx version="1.1" creator="t"><wpt lat="47.5" lon="8.7"><name>'
    + b"&a;" * 10_000
    + b"</name></wpt></gpx>"
)

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE gpx [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<gpx version="1.1" creator="t"><wpt lat="47.5" lon="8.7"><name>&xxe;</name></wpt></gpx>"""

PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE gpx [<!ENTITY % remote SYSTEM "http://example.invalid/evil.dtd"> %remote;]>
<gpx version="1.1" creator="t"/>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE gpx SYSTEM "http://example.invalid/gpx.dtd">
<gpx version="1.1" creator="t"><wpt lat="47.5" lon="8.7"/></gpx>"""


@pytest.mark.parametrize(
    "data",
    [BILLION_LAUGHS, QUADRATIC_BLOWUP, EXTERNAL_ENTITY, PARAMETER_ENTITY, EXTERNAL_DTD],
    ids=["billion-laughs", "quadratic-blowup", "external-entity", "parameter-entity", "dtd"],
)
def test_dtd_and_entities_are_refused(data):
    assert _code(data) == "unsafe_xml"


def test_too_large_is_refused_before_parsing():
    # Not even XML: the size check must come first.
    assert _code(b"\x00" * 2048, max_bytes=1024) == "too_large"
    assert _code(_gpx('<wpt lat="1" lon="1"/>' * 100), max_bytes=1000) == "too_large"


def test_too_many_points():
    data = _gpx('<wpt lat="47.5" lon="8.7"/>' * 11)
    assert _code(data, max_points=10) == "too_many_points"
    assert read_gpx(data, max_points=11).waypoint_count == 11


@pytest.mark.parametrize(
    ("attrs", "code"),
    [
        ('lat="123" lon="8.7"', "bad_coordinates"),
        ('lat="47.5" lon="200"', "bad_coordinates"),
        ('lat="NaN" lon="8.7"', "bad_coordinates"),
        ('lat="47.5" lon="inf"', "bad_coordinates"),
        ('lat="-Infinity" lon="8.7"', "bad_coordinates"),
        ('lat="abc" lon="8.7"', "bad_coordinates"),
        ('lon="8.7"', "bad_coordinates"),
    ],
)
def test_file_with_only_bad_coordinates_is_refused(attrs, code):
    for body in (f"<wpt {attrs}/>", f"<trk><trkseg><trkpt {attrs}/></trkseg></trk>"):
        assert _code(_gpx(body)) == code


def test_bad_points_next_to_good_ones_are_dropped_with_warning():
    body = (
        "<trk><trkseg>"
        '<trkpt lat="47.50" lon="8.72"/><trkpt lat="123" lon="8.72"/>'
        '<trkpt lat="NaN" lon="8.72"/><trkpt lat="47.51" lon="8.73"/>'
        "</trkseg></trk>"
    )
    gpx = read_gpx(_gpx(body))
    assert gpx.track_point_count == 2
    assert gpx.warnings[0].code == "dropped_points" and gpx.warnings[0].count == 2


def test_non_finite_elevation_becomes_none():
    gpx = read_gpx(_gpx('<wpt lat="47.5" lon="8.7"><ele>NaN</ele></wpt>'))
    assert gpx.waypoints[0].ele is None


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty"),
        (b"   \n\t ", "empty"),
        (b"hello, world", "not_xml"),
        (b'{"type": "FeatureCollection"}', "not_xml"),
        (b"<gpx><wpt></gpx>", "not_xml"),
        (b"<html><body>no</body></html>", "not_gpx"),
        (b'<kml xmlns="http://www.opengis.net/kml/2.2"/>', "kml"),
        (b"<TrainingCenterDatabase/>", "tcx"),
        (b"PK\x03\x04rest-of-a-zip", "compressed"),
        (gzip.compress(_gpx('<wpt lat="1" lon="1"/>')), "compressed"),
        (b"<gpx/>", "no_points"),
        (_gpx("<trk><trkseg/></trk><rte/>"), "no_points"),
    ],
    ids=[
        "empty",
        "blank",
        "text",
        "json",
        "broken-xml",
        "html",
        "kml",
        "tcx",
        "zip",
        "gzip",
        "bare-gpx",
        "empty-trk-rte",
    ],
)
def test_not_a_usable_gpx(data, code):
    assert _code(data) == code


def test_png_bytes_are_not_xml():
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buf, "PNG")
    assert _code(buf.getvalue()) == "not_xml"


def test_latin1_declared_encoding_is_decoded():
    data = (
        '<?xml version="1.0" encoding="ISO-8859-1"?>' + GPX_OPEN + '<wpt lat="47.5" lon="8.7">'
        "<name>Zürich Straße</name></wpt></gpx>"
    ).encode("latin-1")
    assert read_gpx(data).waypoints[0].name == "Zürich Straße"


def test_utf8_bom_and_utf16_are_read():
    body = '<wpt lat="47.5" lon="8.7"><name>Töss</name></wpt>'
    text = GPX_OPEN + body + "</gpx>"
    assert read_gpx(b"\xef\xbb\xbf" + text.encode()).waypoints[0].name == "Töss"
    utf16 = ('<?xml version="1.0" encoding="UTF-16"?>' + text).encode("utf-16")
    assert read_gpx(utf16).waypoints[0].name == "Töss"


def test_accepts_bytearray_and_refuses_str():
    assert read_gpx(bytearray(_gpx('<wpt lat="1" lon="1"/>'))).waypoint_count == 1
    with pytest.raises(TypeError):
        read_gpx('<gpx version="1.1"/>')  # type: ignore[arg-type]


def test_result_is_frozen():
    gpx = read_gpx(_gpx('<wpt lat="1" lon="2"><name> A </name></wpt>'))
    assert (gpx.waypoints[0].lon, gpx.waypoints[0].lat, gpx.waypoints[0].name) == (2.0, 1.0, "A")
    with pytest.raises(AttributeError):
        gpx.name = "x"  # type: ignore[misc]
