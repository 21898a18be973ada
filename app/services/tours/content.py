"""A tour's *content*: a plain dict of its title, texts, stops, route and the values computed
from them, read from the rows or from a published tour's pending edit, and written back.

While a tour is a draft or in review its content lives in the rows; once it is published, an
edit is kept whole in ``tours.pending_snapshot`` and goes live only when a curator publishes
it, like a place revision. ``working_content`` returns whichever the editor should see.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from flask_babel import gettext as _
from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry import LineString, mapping, shape
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from app.errors import Conflict
from app.extensions import db
from app.models import Place, Tour, TourStop, User
from app.models.statuses import TourStatus
from app.services import visibility
from geo.errors import GeoError
from geo.gpx import line_from_points
from geo.measure import NORMAL_PACE_KMH, RELAXED_PACE_KMH, line_length_m, walking_minutes

DEFAULT_DWELL_MIN = 5
CONTENT_FIELDS = ("title", "intro", "theme_id", "language", "accessibility", "cover_media_id")
METRIC_FIELDS = ("length_m", "elevation_gain_m", "elevation_loss_m", "duration_normal_min",
                 "duration_relaxed_min")
# How the route came about: straight segments between the stops (recomputed whenever the
# stops change), an uploaded GPX track, a line drawn on the map, or the walking network
# (foot or step-free, rerouted whenever the stops change; app/services/walknet).
GENERATED, GPX, DRAWN = "generated", "gpx", "drawn"
FOOT, STEP_FREE = "foot", "step_free"
NETWORK_SOURCES = (FOOT, STEP_FREE)


def place_positions(ids: list[int]) -> dict[int, tuple[float, float, bool]]:
    """``{place_id: (lon, lat, public)}`` for the given places, in one query."""
    if not ids:
        return {}
    rows = db.session.execute(
        select(
            Place.id,
            func.ST_X(Place.geom),
            func.ST_Y(Place.geom),
            visibility.public_place().label("visible"),
        ).where(Place.id.in_(set(ids)))
    ).all()
    return {pid: (lon, lat, bool(visible)) for pid, lon, lat, visible in rows}


def _straight_line(stops: list[dict]) -> dict | None:
    """Straight segments between the stops in order (GeoJSON), until a walked or drawn route
    replaces them; None with fewer than two distinct positions."""
    positions = place_positions([s["place_id"] for s in stops])
    points = [positions[s["place_id"]][:2] for s in stops if s["place_id"] in positions]
    try:
        return mapping(line_from_points(points)) if len(points) >= 2 else None
    except GeoError:
        return None


def route_line(route: dict | None) -> LineString | None:
    """The content's route (GeoJSON) as a Shapely line, or None."""
    return shape(route) if route else None


def _network(content: dict) -> None:
    """The tour's foot and step-free legs on the walking network (kept for every tour, so its
    page can state its accessibility), and the route itself when it is routed there."""
    from app.services.walknet.tours import tour_variants, variant_line

    ids = [s["place_id"] for s in content["stops"]]
    positions = place_positions(ids)
    points = [positions[i][:2] for i in ids if i in positions]
    content["network_routes"] = tour_variants(points)
    source = content.get("route_source")
    if source in NETWORK_SOURCES:
        content["route"] = variant_line((content["network_routes"] or {}).get(source))
        content["elevation_gain_m"] = content["elevation_loss_m"] = None


def compute(content: dict) -> dict:
    """Fill in the generated route (if the route is generated or on the network) and every
    computed value: geodesic length in metres, walking minutes at a normal and a relaxed pace
    plus the time spent at the stops."""
    _network(content)
    if content.get("route_source") in (None, GENERATED):
        content["route"] = _straight_line(content["stops"])
        content["route_source"] = GENERATED if content["route"] else None
        content["elevation_gain_m"] = content["elevation_loss_m"] = None
    line = route_line(content.get("route"))
    dwell = sum(int(s.get("dwell_min") or 0) for s in content["stops"])
    if line is None:
        content["length_m"] = None
        content["duration_normal_min"] = content["duration_relaxed_min"] = None
        return content
    length = line_length_m(line)
    content["length_m"] = round(length, 1)
    content["duration_normal_min"] = round(walking_minutes(length, NORMAL_PACE_KMH)) + dwell
    content["duration_relaxed_min"] = round(walking_minutes(length, RELAXED_PACE_KMH)) + dwell
    return content


def live_content(tour: Tour) -> dict:
    """The content of the tour's rows (its live, public state)."""
    content: dict[str, Any] = {name: getattr(tour, name) for name in CONTENT_FIELDS}
    content["stops"] = [
        {
            "place_id": s.place_id,
            "transition_note": s.transition_note,
            "accessibility": s.accessibility,
            "dwell_min": s.dwell_min,
            "featured_story_ids": list(s.featured_story_ids or []),
        }
        for s in sorted(tour.stops, key=lambda s: s.position)
    ]
    route = mapping(to_shape(tour.route)) if tour.route is not None else None
    # Through JSON, so tuples become lists as in a stored snapshot.
    content["route"] = json.loads(json.dumps(route)) if route else None
    content["route_source"] = tour.route_source
    for name in METRIC_FIELDS:
        content[name] = getattr(tour, name)
    content["network_routes"] = tour.network_routes
    return content


def working_content(tour: Tour) -> dict:
    """What the editor shows: the pending edit of a published tour, else the tour itself."""
    if tour.pending_snapshot:
        return json.loads(json.dumps(tour.pending_snapshot))
    return live_content(tour)


def apply_content(tour: Tour, content: dict, *, replace_stops: bool = True) -> None:
    """Write content into the tour's rows (the live, public state)."""
    for name in CONTENT_FIELDS + METRIC_FIELDS:
        setattr(tour, name, content.get(name))
    route = content.get("route")
    tour.route = from_shape(shape(route), srid=4326) if route else None
    tour.route_source = content.get("route_source")
    tour.network_routes = content.get("network_routes")
    tour.updated_at = datetime.now(UTC)
    if replace_stops:
        # Positions are unique per tour: remove the old rows before the new ones go in, or the
        # unit of work would insert "position 1" while the old "position 1" still exists.
        tour.stops.clear()
        flush()
        for i, s in enumerate(content["stops"], start=1):
            tour.stops.append(
                TourStop(
                    place_id=s["place_id"],
                    position=i,
                    transition_note=s.get("transition_note", ""),
                    accessibility=s.get("accessibility", ""),
                    dwell_min=int(s.get("dwell_min", DEFAULT_DWELL_MIN)),
                    # a snapshot stored before stops had featured stories has none
                    featured_story_ids=list(s.get("featured_story_ids") or []),
                )
            )
    flush()


def save(user: User, tour: Tour, content: dict) -> None:
    """Store an edit: into the rows of a draft or a tour in review, into the pending snapshot
    of a published one (it goes live when a curator publishes it)."""
    compute(content)
    if tour.status == TourStatus.PUBLISHED:
        content["edited_by"] = user.id
        content["edited_at"] = datetime.now(UTC).isoformat()
        tour.pending_snapshot = content
        tour.updated_at = datetime.now(UTC)
        flush()
    else:
        apply_content(tour, content)


def generate_straight_route(tour: Tour) -> None:
    """Give ``tour`` (its rows) a route of straight segments between its stops and compute
    length and walking times. Used by the demo seed and whenever stops change while the route
    is generated."""
    db.session.flush()
    content = live_content(tour)
    content["route_source"] = GENERATED
    apply_content(tour, compute(content), replace_stops=False)


def stale() -> Conflict:
    """The refusal of an edit made against an older version of the tour."""
    return Conflict(
        _("Someone else changed this tour in the meantime. Reload it to see their changes."),
        code="stale_version",
    )


def flush() -> None:
    """Flush the tour's changes; a version that moved on meanwhile is a Conflict (the request
    boundary then rolls the unit of work back)."""
    try:
        db.session.flush()
    except StaleDataError:
        raise stale() from None
