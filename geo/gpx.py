"""Reading GPX uploads safely, and turning a GPX into a tour route.

``read_gpx`` is the only way untrusted GPX bytes enter the system. Its order of checks matters:
size first (before any parsing), then magic bytes (gzip, zip, FIT, binary), then one streaming
pass with defusedxml that refuses DTDs and entities (billion laughs, quadratic blowup, external
entities) and counts points, and only then gpxpy, which builds the objects. gpxpy never sees
text that defusedxml has not accepted.

Compressed uploads are refused with code ``compressed`` rather than unpacked: people rarely
have a .gpx.gz by accident, and refusing keeps decompression bombs out without a second limit.

Coordinates are ``(lon, lat)`` degrees WGS84, elevations metres, distances metres.
"""

from __future__ import annotations

import codecs
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple
from xml.etree.ElementTree import ParseError

import gpxpy
import gpxpy.gpx
import numpy as np
import shapely
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse
from shapely.geometry import LineString

from geo.errors import GpxError
from geo.measure import GEOD, ServiceArea, is_valid_lonlat, local_transformers

MAX_BYTES = 10 * 1024 * 1024
MAX_POINTS = 200_000

_XML_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']")
_XML_DECLARATION_TEXT = re.compile(r"^\s*<\?xml[^>]*\?>")
_POINT_TAGS = frozenset({"wpt", "rtept", "trkpt"})


class GpxPoint(NamedTuple):
    """One track or route point: ``lon``/``lat`` degrees, ``ele`` metres, ``time`` or None."""

    lon: float
    lat: float
    ele: float | None = None
    time: datetime | None = None


@dataclass(frozen=True)
class Waypoint:
    """A named point of interest (``<wpt>``); degrees, elevation in metres."""

    name: str | None
    description: str | None
    lon: float
    lat: float
    ele: float | None = None
    time: datetime | None = None


@dataclass(frozen=True)
class GpxRoute:
    """A planned route (``<rte>``): its points in order."""

    name: str | None
    points: tuple[GpxPoint, ...]


@dataclass(frozen=True)
class GpxTrack:
    """A recorded track (``<trk>``): segments (``<trkseg>``), each a tuple of points.

    Empty segments are kept as they were in the file; ``route_line`` skips them.
    """

    name: str | None
    segments: tuple[tuple[GpxPoint, ...], ...]


@dataclass(frozen=True)
class GpxWarning:
    """Something ``read_gpx`` repaired rather than refused; ``code`` is stable, ``count`` how
    many items it concerned."""

    code: str
    message: str
    count: int


@dataclass(frozen=True)
class GpxData:
    """Everything usable in a GPX file, after validation."""

    version: str | None
    creator: str | None
    name: str | None
    description: str | None
    waypoints: tuple[Waypoint, ...]
    routes: tuple[GpxRoute, ...]
    tracks: tuple[GpxTrack, ...]
    warnings: tuple[GpxWarning, ...] = ()

    @property
    def waypoint_count(self) -> int:
        """Number of waypoints."""
        return len(self.waypoints)

    @property
    def route_point_count(self) -> int:
        """Number of points over all routes."""
        return sum(len(r.points) for r in self.routes)

    @property
    def track_segment_count(self) -> int:
        """Number of track segments over all tracks, empty ones included."""
        return sum(len(t.segments) for t in self.tracks)

    @property
    def track_point_count(self) -> int:
        """Number of points over all track segments."""
        return sum(len(s) for t in self.tracks for s in t.segments)

    @property
    def point_count(self) -> int:
        """Number of waypoints, route points and track points together."""
        return self.waypoint_count + self.route_point_count + self.track_point_count


# --- reading ---------------------------------------------------------------------------------


def read_gpx(
    data: bytes,
    *,
    max_bytes: int = MAX_BYTES,
    max_points: int = MAX_POINTS,
    service_area: ServiceArea | None = None,
) -> GpxData:
    """Parse and validate an uploaded GPX 1.0/1.1 file.

    Lenient about what real devices write (schema violations, missing namespaces, extension
    elements, any declared encoding) and strict about safety and coordinates.

    Points whose coordinates are out of range or not finite are dropped and reported in
    ``GpxData.warnings`` (code ``dropped_points``): legacy OpenTracks writes lat=100/200 as
    pause/resume markers inside otherwise valid tracks. A file where no point is usable is
    refused. Elevations that are not finite become None.

    Args:
        data: the uploaded bytes.
        max_bytes: refuse larger input before parsing (bytes).
        max_points: refuse files with more ``wpt``/``rtept``/``trkpt`` elements than this.
        service_area: when given, every kept point must lie inside it.

    Returns:
        The validated content as a frozen ``GpxData``.

    Raises:
        GpxError: with one of the codes in ``geo.errors.GPX_ERROR_CODES``.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError("read_gpx expects bytes")
    data = bytes(data)
    _check_size(data, max_bytes)
    _sniff_binary(data)
    _guard_xml(data, max_points)
    return _convert(_parse(_decode(data)), service_area)


def _check_size(data: bytes, max_bytes: int) -> None:
    if len(data) > max_bytes:
        raise GpxError(
            "too_large",
            f"The file is too large ({len(data) / 1048576:.1f} MB); "
            f"the limit is {max_bytes / 1048576:.1f} MB.",
            size=len(data),
            limit=max_bytes,
        )
    if not data.strip():
        raise GpxError("empty", "The file is empty.")


def _parse(text: str) -> gpxpy.gpx.GPX:
    try:
        parsed = gpxpy.parse(text)
    except gpxpy.gpx.GPXXMLSyntaxException as exc:
        raise GpxError("not_xml", f"The file is not well-formed XML: {exc}") from None
    except gpxpy.gpx.GPXException as exc:
        raise GpxError(
            "bad_coordinates",
            "Some points in the file have coordinates or elevations that are not numbers "
            "(or none at all), so the file cannot be read.",
            detail=str(exc),
        ) from None
    except Exception as exc:  # noqa: BLE001
        # gpxpy is a third-party parser fed with untrusted data; whatever it trips over is a
        # refused file, never a server error.
        raise GpxError("not_gpx", f"The GPX file could not be read: {exc}") from None
    return parsed


def _sniff_binary(data: bytes) -> None:
    head = data[:16]
    if head.startswith(b"\x1f\x8b"):
        raise GpxError(
            "compressed",
            "The file is gzip-compressed (.gz). Unpack it first and upload the .gpx file.",
        )
    if head.startswith((b"PK\x03\x04", b"BZh", b"\xfd7zXZ\x00", b"7z\xbc\xaf")):
        raise GpxError(
            "compressed",
            "The file is a compressed archive (zip, kmz, bz2, xz or 7z). Unpack it first and "
            "upload the .gpx file inside.",
        )
    if len(data) >= 12 and data[8:12] == b".FIT":
        raise GpxError(
            "fit",
            "This is a Garmin FIT activity file, not GPX. Export the activity as GPX (for "
            "example from Garmin Connect or Strava) and upload that.",
        )
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return
    # Text never contains NUL bytes in UTF-8 or single-byte encodings; images, FIT and other
    # binaries almost always do within the first kilobyte.
    if b"\x00" in data[:1024]:
        raise GpxError("not_xml", "This is not a GPX file: it looks like a binary file.")


def _guard_xml(data: bytes, max_points: int) -> None:
    """One streaming pass with defusedxml: refuses DTDs/entities, checks root, counts points."""
    points = 0
    root_seen = False
    try:
        for event, elem in iterparse(
            io.BytesIO(data),
            events=("start", "end"),
            forbid_dtd=True,
            forbid_entities=True,
            forbid_external=True,
        ):
            if event == "end":
                # Keep memory flat on large files; only the counts matter here.
                elem.clear()
                continue
            local = elem.tag.rsplit("}", 1)[-1] if isinstance(elem.tag, str) else ""
            if not root_seen:
                root_seen = True
                _check_root(local)
            elif local in _POINT_TAGS:
                points += 1
                if points > max_points:
                    raise GpxError(
                        "too_many_points",
                        f"The file has more than {max_points:,} points; the limit is "
                        f"{max_points:,}. Simplify it or split it first.",
                        limit=max_points,
                    )
    except DefusedXmlException:
        raise GpxError(
            "unsafe_xml",
            "The file contains a DOCTYPE or entity declarations, which are refused for "
            "security reasons. GPX files never need them.",
        ) from None
    except ParseError as exc:
        raise GpxError(
            "not_xml",
            f"This is not a GPX file: it is not well-formed XML ({exc}).",
        ) from None


def _check_root(local: str) -> None:
    if local == "gpx":
        return
    if local == "TrainingCenterDatabase":
        raise GpxError(
            "tcx",
            "This is a Garmin TCX file, not GPX. Export the activity as GPX and upload that.",
        )
    if local == "kml":
        raise GpxError("kml", "This is a KML file (Google Earth), not GPX. Export it as GPX.")
    raise GpxError(
        "not_gpx",
        f"This XML file is not GPX (its root element is <{local}>, expected <gpx>).",
        root=local,
    )


def _decode(data: bytes) -> str:
    """Bytes to text as an XML parser would, minus the declaration.

    gpxpy decodes bytes as UTF-8 whatever the file declares, and with lxml it re-encodes text
    as UTF-8 but keeps the declaration, so Latin-1 files would come out garbled. Handing it
    correctly decoded text without a declaration avoids both.
    """
    if data.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        match = _XML_DECLARATION.match(data[:256])
        encoding = match.group(1).decode("ascii") if match else "utf-8"
    try:
        text = data.decode(encoding)
    except (LookupError, UnicodeDecodeError) as exc:
        raise GpxError("not_xml", f"The file's text encoding cannot be read: {exc}") from None
    return _XML_DECLARATION_TEXT.sub("", text.lstrip("\ufeff"), count=1)


class _Collector:
    """Converts gpxpy objects, dropping points with impossible coordinates and counting them."""

    def __init__(self, service_area: ServiceArea | None) -> None:
        self.service_area = service_area
        self.dropped = 0
        self.kept = 0
        self.outside = 0
        self.first_outside: tuple[float, float] | None = None

    def ok(self, lon: Any, lat: Any) -> bool:
        if lon is None or lat is None or not is_valid_lonlat(lon, lat):
            self.dropped += 1
            return False
        self.kept += 1
        if self.service_area is not None and not self.service_area.contains(lon, lat):
            self.outside += 1
            if self.first_outside is None:
                self.first_outside = (float(lon), float(lat))
        return True

    def point(self, p: Any) -> GpxPoint | None:
        if not self.ok(p.longitude, p.latitude):
            return None
        return GpxPoint(float(p.longitude), float(p.latitude), _elevation(p.elevation), p.time)


def _elevation(value: Any) -> float | None:
    if value is None:
        return None
    try:
        ele = float(value)
    except (TypeError, ValueError):
        return None
    return ele if math.isfinite(ele) else None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _convert(parsed: gpxpy.gpx.GPX, service_area: ServiceArea | None) -> GpxData:
    """gpxpy's objects as a ``GpxData``, points with impossible coordinates dropped (a
    warning) and the whole file refused when no point is usable or any lies outside
    ``service_area``."""
    col = _Collector(service_area)
    waypoints = tuple(
        Waypoint(
            name=_text(w.name),
            description=_text(w.description) or _text(w.comment),
            lon=float(w.longitude),
            lat=float(w.latitude),
            ele=_elevation(w.elevation),
            time=w.time,
        )
        for w in parsed.waypoints
        if col.ok(w.longitude, w.latitude)
    )
    routes = tuple(
        GpxRoute(_text(r.name), tuple(p for p in map(col.point, r.points) if p is not None))
        for r in parsed.routes
    )
    tracks = tuple(
        GpxTrack(
            _text(t.name),
            tuple(tuple(p for p in map(col.point, s.points) if p is not None) for s in t.segments),
        )
        for t in parsed.tracks
    )
    _refuse_unusable(col)
    warnings = ()
    if col.dropped:
        warnings = (
            GpxWarning(
                "dropped_points",
                f"{col.dropped} points with impossible coordinates were left out (some apps "
                "write such points as pause/resume markers).",
                col.dropped,
            ),
        )
    return GpxData(
        version=_text(parsed.version),
        creator=_text(parsed.creator),
        name=_text(parsed.name),
        description=_text(parsed.description),
        waypoints=waypoints,
        routes=routes,
        tracks=tracks,
        warnings=warnings,
    )


def _refuse_unusable(col: _Collector) -> None:
    """Refuse a file without a usable point, or with points outside the service area."""
    if col.kept == 0:
        if col.dropped:
            raise GpxError(
                "bad_coordinates",
                f"None of the {col.dropped} points in the file has a valid position "
                "(latitude -90..90, longitude -180..180).",
                dropped=col.dropped,
            )
        raise GpxError(
            "no_points",
            "The file contains no waypoints, routes or tracks with points, so there is "
            "nothing to import.",
        )
    if col.outside:
        lon, lat = col.first_outside or (0.0, 0.0)
        raise GpxError(
            "outside_area",
            f"{col.outside} of {col.kept} points lie outside the area this site covers "
            f"(for example {lat:.5f}, {lon:.5f}).",
            outside=col.outside,
            total=col.kept,
        )


# --- from GPX to a route ---------------------------------------------------------------------


def _dedupe(points: Sequence[GpxPoint]) -> list[GpxPoint]:
    out: list[GpxPoint] = []
    for p in points:
        if not out or (out[-1].lon, out[-1].lat) != (p.lon, p.lat):
            out.append(p)
    return out


def route_points(gpx: GpxData) -> list[GpxPoint]:
    """The points of the route a GPX describes, in order, consecutive duplicates removed.

    Tracks are preferred (all segments of all tracks joined in file order); routes are used
    only when the tracks do not give at least two distinct points.

    Raises:
        GpxError: ``no_route`` when the file has only waypoints, ``too_few_points`` when
            neither tracks nor routes have two distinct points.
    """
    track = _dedupe([p for t in gpx.tracks for s in t.segments for p in s])
    if len(track) >= 2:
        return track
    route = _dedupe([p for r in gpx.routes for p in r.points])
    if len(route) >= 2:
        return route
    if not track and not route:
        if gpx.waypoints:
            raise GpxError(
                "no_route",
                "This file has only waypoints. For a tour route it needs a track or a route "
                "(a line); the waypoints can be imported as stops instead.",
            )
        raise GpxError("no_points", "The file contains no points to make a route from.")
    raise GpxError(
        "too_few_points",
        "The track in this file has only one position, so it does not form a line. Record or "
        "draw a route with at least two points.",
    )


def line_from_points(points: Sequence[Sequence[Any]]) -> LineString:
    """LineString from ``(lon, lat[, ele[, time]])`` points; 3D when every point has an ele.

    Raises:
        GpxError: ``too_few_points`` with fewer than two distinct positions.
    """
    coords = [tuple(p) for p in points]
    if len({(c[0], c[1]) for c in coords}) < 2:
        raise GpxError("too_few_points", "A route needs at least two distinct points.")
    if all(len(c) > 2 and c[2] is not None for c in coords):
        return LineString([(c[0], c[1], c[2]) for c in coords])
    return LineString([(c[0], c[1]) for c in coords])


def route_line(gpx: GpxData) -> LineString:
    """The route of a GPX as one LineString (degrees; Z metres when every point has one).

    See ``route_points`` for which parts are used and the errors raised.
    """
    return line_from_points(route_points(gpx))


def remove_noise(
    points: Sequence[Sequence[Any]],
    *,
    max_speed_mps: float = 50.0,
    max_jump_m: float = 200.0,
) -> list[Any]:
    """Drop isolated GPS spikes: single points that jump away and straight back.

    A point is dropped when it is more than ``max_jump_m`` metres from both neighbours while
    the neighbours are within ``max_jump_m`` of each other, or, when the three points have
    times, when reaching it and leaving it both need more than ``max_speed_mps`` (m/s).
    Genuine gaps (a train ride, a paused recording) are kept: the track does not come back.

    Args:
        points: ``(lon, lat[, ele, time])`` sequences such as ``GpxPoint``; order matters.
        max_speed_mps: implausible speed in metres per second.
        max_jump_m: implausible jump in metres.

    Returns:
        The kept points, same objects, same order.
    """
    n = len(points)
    if n < 3:
        return list(points)
    lons = np.array([p[0] for p in points], dtype=float)
    lats = np.array([p[1] for p in points], dtype=float)
    _, _, step = GEOD.inv(lons[:-1], lats[:-1], lons[1:], lats[1:])
    _, _, skip = GEOD.inv(lons[:-2], lats[:-2], lons[2:], lats[2:])
    step = np.asarray(step)
    skip = np.asarray(skip)
    keep = [True] * n
    for i in range(1, n - 1):
        d_in, d_out, d_around = step[i - 1], step[i], skip[i - 1]
        if d_in > max_jump_m and d_out > max_jump_m and d_around <= max_jump_m:
            keep[i] = False
            continue
        dt_in = _seconds_between(points[i - 1], points[i])
        dt_out = _seconds_between(points[i], points[i + 1])
        if (
            dt_in is not None
            and dt_out is not None
            and d_in / dt_in > max_speed_mps
            and d_out / dt_out > max_speed_mps
        ):
            keep[i] = False
    # The first and last point have one neighbour only: a spike there is far from the next
    # point while the next two are close together.
    if step[0] > max_jump_m and skip[0] > max_jump_m and step[1] <= max_jump_m:
        keep[0] = False
    if step[-1] > max_jump_m and skip[-1] > max_jump_m and step[-2] <= max_jump_m:
        keep[-1] = False
    return [p for p, k in zip(points, keep, strict=True) if k]


def _seconds_between(a: Sequence[Any], b: Sequence[Any]) -> float | None:
    """Positive seconds from a to b, or None when a time is missing, equal or unordered."""
    ta = a[3] if len(a) > 3 else None
    tb = b[3] if len(b) > 3 else None
    if not (isinstance(ta, datetime) and isinstance(tb, datetime)):
        return None
    try:
        seconds = (tb - ta).total_seconds()
    except TypeError:  # one time with a zone, one without: not comparable
        return None
    return seconds if seconds > 0 else None


def simplify_m(line: LineString, tolerance_m: float = 5.0) -> LineString:
    """Douglas–Peucker simplification with the tolerance in metres.

    The line is projected to a local azimuthal-equidistant plane (metres), simplified there
    with topology preserved, and the kept vertices are taken from the original line, so
    coordinates (and Z) are returned unchanged rather than round-tripped through a projection.

    Args:
        line: LineString in degrees (2D or 3D).
        tolerance_m: maximum deviation in metres.
    """
    if tolerance_m < 0 or not math.isfinite(tolerance_m):
        raise ValueError("tolerance_m must be a finite number >= 0")
    coords = shapely.get_coordinates(line, include_z=line.has_z)
    if len(coords) <= 2 or tolerance_m == 0:
        return line
    min_lon, min_lat, max_lon, max_lat = line.bounds
    to_local, _ = local_transformers((min_lon + max_lon) / 2, (min_lat + max_lat) / 2)
    x, y = to_local.transform(coords[:, 0], coords[:, 1])
    projected = np.column_stack([x, y])
    simple = shapely.simplify(LineString(projected), tolerance_m, preserve_topology=True)
    kept = shapely.get_coordinates(simple)
    # Simplification only removes vertices, so the kept ones appear in the original order and
    # can be matched one by one.
    indices = []
    j = 0
    for i, xy in enumerate(projected):
        if j < len(kept) and xy[0] == kept[j][0] and xy[1] == kept[j][1]:
            indices.append(i)
            j += 1
    if j != len(kept):  # pragma: no cover - GEOS never adds vertices to a line
        raise RuntimeError("simplification produced unknown vertices")
    return LineString(coords[indices])


def elevation_gain_loss(elevations: Any, threshold_m: float = 3.0) -> tuple[float, float] | None:
    """Total ascent and descent in metres, ignoring wiggles smaller than ``threshold_m``.

    The hysteresis threshold keeps GPS/barometer noise of a metre or two from adding up to
    hundreds of "climbed" metres on a flat walk.

    Args:
        elevations: elevations in metres (None entries are skipped), or a 3D LineString.
        threshold_m: smallest change in metres that counts.

    Returns:
        ``(gain_m, loss_m)``, both >= 0, or None when there is no elevation at all.
    """
    if isinstance(elevations, LineString):
        if not elevations.has_z:
            return None
        values = [c[2] for c in elevations.coords]
    else:
        values = list(elevations)
    finite = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    if not finite:
        return None
    gain = loss = 0.0
    ref = finite[0]
    for ele in finite[1:]:
        if ele - ref >= threshold_m:
            gain += ele - ref
            ref = ele
        elif ref - ele >= threshold_m:
            loss += ref - ele
            ref = ele
    return gain, loss


def stops_off_route(
    line: LineString, stops: Sequence[Sequence[float]], max_m: float = 50.0
) -> list[tuple[int, float]]:
    """Stops that lie more than ``max_m`` metres from the route line.

    Args:
        line: the route in degrees.
        stops: ``(lon, lat)`` of each stop, degrees.
        max_m: allowed distance from the line in metres.

    Returns:
        ``(index, distance_m)`` for each stop that is too far, in stop order.
    """
    if not stops:
        return []
    min_lon, min_lat, max_lon, max_lat = line.bounds
    to_local, _ = local_transformers((min_lon + max_lon) / 2, (min_lat + max_lat) / 2)
    coords = shapely.get_coordinates(line)
    lx, ly = to_local.transform(coords[:, 0], coords[:, 1])
    local_line = LineString(np.column_stack([lx, ly]))
    sx, sy = to_local.transform([s[0] for s in stops], [s[1] for s in stops])
    distances = shapely.distance(local_line, shapely.points(np.column_stack([sx, sy])))
    return [(i, float(d)) for i, d in enumerate(distances) if d > max_m]


def clean_route_line(gpx: GpxData, *, tolerance_m: float = 5.0) -> LineString:
    """``route_points`` → ``remove_noise`` → LineString → ``simplify_m``: a route ready to
    store (degrees, Z metres where every point has elevation)."""
    return simplify_m(line_from_points(remove_noise(route_points(gpx))), tolerance_m)
