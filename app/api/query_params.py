"""Query-string values of the open-data reads (API, OGC API Features) parsed into the typed
values the services take: a box, a point, a range of years, a page's continuation key, a time
interval. Each refusal is a ValidationError naming its parameter (422 in the API; OGC answers
it as 400).

Messages are English, as the API has always answered; they are marked with ``N_`` so the
OGC HTML pages can show them translated.
"""

from __future__ import annotations

import base64
import json
import math
from datetime import UTC, date, datetime

from app.errors import ValidationError
from app.services.geodata import BBox, PlaceQuery
from geo.era import parse_era as parse_era_grammar
from geo.errors import CoordinateError, EraError
from geo.measure import parse_lonlat


def N_(message: str) -> str:
    """Marks a message for the catalogue (``N_`` is gettext's name for "extract now,
    translate later"); the page that shows it translates it."""
    return message


BBOX_SHAPE = N_("bbox must be four numbers: minLon,minLat,maxLon,maxLat.")
BBOX_RANGE = N_("bbox must lie within -180..180, -90..90 with min before max.")
ERA_SHAPE = "era must be a year (1950), a decade (1950s) or a range (1900/1950)."
ERA_RANGE = "era must be between -9999 and 9999, start before end."
CURSOR = "This cursor is not valid for this query: use next_cursor from the previous page."
DATETIME_SHAPE = N_("datetime must be an RFC 3339 date-time or an interval a/b (.. for open).")
DATETIME_OPEN = N_("datetime interval needs at least one end.")
DATETIME_ORDER = N_("datetime interval ends before it starts.")
DATETIME_EMPTY = N_("datetime must be a date-time or an interval.")


def parse_bbox(raw: str, field_name: str = "bbox") -> BBox:
    """``minLon,minLat,maxLon,maxLat`` in WGS 84 (a 3D box of six numbers loses its
    heights), or ValidationError naming the field."""
    try:
        parts = [float(v) for v in raw.split(",")]
    except ValueError:
        parts = []
    if len(parts) == 6:  # OGC allows a 3D box: drop the heights
        parts = [parts[0], parts[1], parts[3], parts[4]]
    if len(parts) != 4 or not all(math.isfinite(v) for v in parts):
        raise ValidationError(BBOX_SHAPE, field=field_name)
    min_lon, min_lat, max_lon, max_lat = parts
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise ValidationError(BBOX_RANGE, field=field_name)
    return min_lon, min_lat, max_lon, max_lat


def parse_point(raw: str, field_name: str = "near") -> tuple[float, float]:
    """``lon,lat`` in WGS 84."""
    try:
        return parse_lonlat(raw)
    except CoordinateError as exc:
        if exc.params["shape"]:
            raise ValidationError("near must be lon,lat in degrees.", field=field_name) from exc
        raise ValidationError(
            "near must be lon,lat within -180..180, -90..90.", field=field_name
        ) from exc


def parse_era(raw: str) -> tuple[int, int]:
    """The ``era`` filter as (first year, last year), both included: the era grammar of
    geo/era.py (a year ``1950``, a decade ``1950s``, a range ``1900/1950``; -9999..9999),
    refused with the API's messages naming ``era``."""
    try:
        era = parse_era_grammar(raw)
    except EraError as exc:
        message = ERA_RANGE if exc.code == "era_out_of_range" else ERA_SHAPE
        raise ValidationError(message, field="era") from exc
    if era is None:
        raise ValidationError(ERA_SHAPE, field="era")
    return era.start, era.end


def encode_cursor(kind: str, *key) -> str:
    """The opaque ``cursor`` that continues after ``key`` (a page's ``next_key``) in the
    order ``kind`` (``id``, or ``near`` for distance then id)."""
    raw = json.dumps([kind, *key], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, kind: str, types: tuple[type, ...]) -> tuple:
    """The key of the last item of the previous page; ValidationError when not ours (another
    order's cursor, or not a cursor at all)."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(value, list) or value[0] != kind or len(value) != len(types) + 1:
            raise ValueError
        key = tuple(t(v) for t, v in zip(types, value[1:], strict=True))
        if any(isinstance(v, float) and not math.isfinite(v) for v in key):
            raise ValueError
        return key
    except (ValueError, TypeError, IndexError, UnicodeDecodeError) as exc:
        raise ValidationError(CURSOR, field="cursor") from exc


def cursor_kind(query: PlaceQuery) -> str:
    """The order a page of ``query`` comes in, as its cursors name it."""
    return "id" if query.near is None else "near"


def place_query(args: dict) -> PlaceQuery:
    """GET /api/v1/places's arguments (as its schema loaded them) as a PlaceQuery."""
    query = PlaceQuery(limit=args["limit"])
    if args.get("bbox"):
        query.bbox = parse_bbox(args["bbox"])
    if args.get("near"):
        query.near = parse_point(args["near"])
    if args.get("radius") is not None:
        if query.near is None:
            raise ValidationError("radius needs near=lon,lat.", field="radius")
        query.radius = args["radius"]
    if args.get("theme"):
        query.themes = [s.strip() for s in args["theme"].split(",") if s.strip()]
    if args.get("q") and args["q"].strip():
        query.q = args["q"]
    if args.get("era"):
        query.era = parse_era(args["era"])
    query.has_audio = args.get("has_audio")
    if args.get("cursor"):
        types = (int,) if query.near is None else (float, int)
        query.after = decode_cursor(args["cursor"], cursor_kind(query), types)
    return query


def _instant(raw: str) -> datetime | None:
    if raw in ("..", ""):
        return None
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(DATETIME_SHAPE, field="datetime") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def parse_datetime(raw: str | None) -> tuple[datetime | None, datetime | None] | None:
    """OGC's ``datetime`` as (start, end), either open (None); a single instant is a
    zero-length interval; None without the parameter."""
    if raw is None:
        return None
    if "/" in raw:
        a, b = raw.split("/", 1)
        start, end = _instant(a), _instant(b)
        if start is None and end is None and not (a == ".." or b == ".."):
            raise ValidationError(DATETIME_OPEN, field="datetime")
        if start and end and start > end:
            raise ValidationError(DATETIME_ORDER, field="datetime")
        return start, end
    instant = _instant(raw)
    if instant is None:
        raise ValidationError(DATETIME_EMPTY, field="datetime")
    return instant, instant


def year_range(when: tuple[datetime | None, datetime | None]) -> tuple[int, int]:
    """A ``datetime`` interval as the range of years a place's era is filtered by."""
    start, end = when
    return (start.year if start else -9999, end.year if end else 9999)
