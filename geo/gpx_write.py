"""Writing a tour as GPX 1.1: the route as ``<trk>``, the stops as ``<wpt>``.

Built with the standard library's ElementTree rather than gpxpy: gpxpy puts attribute values
(such as ``link href``) into the XML unescaped, so a URL with ``&`` or ``"`` would break the
file. ElementTree escapes everything; characters that XML 1.0 cannot carry at all (most C0
controls, U+FFFE/U+FFFF, lone surrogates) are removed first, since no escaping can represent
them. The output follows the element order of the GPX 1.1 schema (metadata, wpt, rte, trk).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from xml.etree import ElementTree as ET  # noqa: S405  (building XML only, never parsing)

from shapely.geometry import LineString, MultiLineString

from geo.measure import validate_lonlat

GPX_NS = "http://www.topografix.com/GPX/1/1"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = f"{GPX_NS} http://www.topografix.com/GPX/1/1/gpx.xsd"

_ILLEGAL_XML_CHARS = re.compile(
    "[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]",
)


def xml_safe(text: Any) -> str:
    """``text`` as a string without the characters XML 1.0 cannot contain.

    Removes C0 control characters other than tab, newline and carriage return, U+FFFE,
    U+FFFF and unpaired surrogates. None becomes the empty string.
    """
    if text is None:
        return ""
    return _ILLEGAL_XML_CHARS.sub("", str(text))


def _number(value: float, digits: int) -> str:
    # xsd:decimal has no exponent form, so repr() ("1e-05") would make the file invalid.
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _position(lon: Any, lat: Any) -> dict[str, str]:
    x, y = validate_lonlat(lon, lat)
    # GPX longitudeType is -180 <= lon < 180; 180 and -180 are the same meridian.
    if x == 180.0:
        x = -180.0
    return {"lat": _number(y, 8), "lon": _number(x, 8)}


def _sub(parent: ET.Element, tag: str, text: Any = None, **attrib: str) -> ET.Element:
    elem = ET.SubElement(parent, tag, attrib)
    if text is not None:
        elem.text = text
    return elem


def _text_child(parent: ET.Element, tag: str, value: Any) -> None:
    text = xml_safe(value).strip()
    if text:
        _sub(parent, tag, text)


def _link(parent: ET.Element, href: Any, text: Any = None) -> None:
    url = xml_safe(href).strip()
    if not url:
        return
    link = _sub(parent, "link", href=url)
    _text_child(link, "text", text)


def _field(item: Any, key: str) -> Any:
    if isinstance(item, Mapping):
        return item.get(key)
    return getattr(item, key, None)


def _ele(parent: ET.Element, value: Any) -> None:
    if value is None:
        return
    ele = float(value)
    if math.isfinite(ele):
        _sub(parent, "ele", _number(ele, 3))


def write_gpx(
    name: str | None,
    description: str | None,
    route_line: LineString | MultiLineString | None,
    waypoints: Iterable[Any] = (),
    *,
    creator: str = "Stadtspur",
    link: str | None = None,
    time: datetime | None = None,
    tracks: Iterable[tuple[str, str, LineString | MultiLineString]] | None = None,
    copyright_holder: str | None = None,
    licence_url: str | None = None,
) -> str:
    """A tour as a GPX 1.1 document (text; encode as UTF-8 to save it).

    Args:
        name: tour name (metadata and track name).
        description: tour description.
        route_line: the route in degrees (Z = elevation in metres, when present); a
            MultiLineString becomes one segment per part; None writes no track.
        waypoints: the stops in order, each a mapping or object with ``lon``, ``lat`` (degrees)
            and optional ``name``, ``description``, ``link`` (URL) and ``ele`` (metres).
        creator: the ``creator`` attribute.
        link: URL of the tour page, written into metadata and the track.
        time: creation time for the metadata (timezone-aware preferred).
        tracks: instead of ``route_line``, several tracks ``(name, description, line)`` in
            order (a route's variants, say).
        copyright_holder: who holds the rights to the data (GPX ``copyright``), with
            ``licence_url`` (e.g. OpenStreetMap contributors under the ODbL).

    Returns:
        The XML document as a string, with an XML declaration.

    Raises:
        CoordinateError: a coordinate is not a valid longitude/latitude.
    """
    # Namespace declarations are written as plain attributes: ElementTree's namespace support
    # would either invent "ns0:" prefixes or refuse unqualified attributes such as lat/lon.
    root = ET.Element(
        "gpx",
        {
            "xmlns": GPX_NS,
            "xmlns:xsi": XSI_NS,
            "version": "1.1",
            "creator": xml_safe(creator).strip() or "Stadtspur",
            "xsi:schemaLocation": SCHEMA_LOCATION,
        },
    )
    metadata = _sub(root, "metadata")
    _text_child(metadata, "name", name)
    _text_child(metadata, "desc", description)
    if copyright_holder:
        rights = _sub(metadata, "copyright", author=xml_safe(copyright_holder))
        _text_child(rights, "license", licence_url)
    _link(metadata, link, name)
    if time is not None:
        _sub(metadata, "time", time.isoformat().replace("+00:00", "Z"))
    for item in waypoints:
        _waypoint(root, item)
    if tracks is not None:
        for track_name, track_description, line in tracks:
            if line is not None and not line.is_empty:
                _track(root, line, track_name, track_description, link)
    elif route_line is not None and not route_line.is_empty:
        _track(root, route_line, name, description, link)
    if not len(metadata):
        root.remove(metadata)
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def _waypoint(root: ET.Element, item: Any) -> None:
    """One stop as a ``wpt``: position, elevation, name, description and link."""
    wpt = _sub(root, "wpt", **_position(_field(item, "lon"), _field(item, "lat")))
    _ele(wpt, _field(item, "ele"))
    _text_child(wpt, "name", _field(item, "name"))
    _text_child(wpt, "desc", _field(item, "description"))
    _link(wpt, _field(item, "link"), _field(item, "name"))


def _track(root: ET.Element, route_line: LineString | MultiLineString, name: Any,
           description: Any, link: Any) -> None:
    """The route as a ``trk``: one ``trkseg`` per part, elevation from a Z coordinate."""
    trk = _sub(root, "trk")
    _text_child(trk, "name", name)
    _text_child(trk, "desc", description)
    _link(trk, link, name)
    parts = route_line.geoms if isinstance(route_line, MultiLineString) else [route_line]
    for part in parts:
        seg = _sub(trk, "trkseg")
        for coord in part.coords:
            pt = _sub(seg, "trkpt", **_position(coord[0], coord[1]))
            if len(coord) > 2:
                _ele(pt, coord[2])
