"""A tour's route: an uploaded GPX track, a line drawn on the map, or straight segments
between the stops; and which stops lie off it.

Geometry comes from ``geo/`` (GPX reading, noise removal, simplification in metres, geodesic
lengths); this module only decides what is stored and how a refusal reads.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from shapely.geometry import mapping
from sqlalchemy import select

from app.errors import ValidationError
from app.extensions import db
from app.models import Tour, User
from app.services.tours.access import check_version, get_for_edit
from app.services.tours.content import (
    DRAWN,
    GENERATED,
    GPX,
    NETWORK_SOURCES,
    place_positions,
    route_line,
    save,
    working_content,
)
from app.services.tours.queries import place_titles
from geo.errors import GeoError, GpxError
from geo.gpx import (
    elevation_gain_loss,
    line_from_points,
    read_gpx,
    remove_noise,
    route_points,
    simplify_m,
    stops_off_route,
)
from geo.measure import ServiceArea, line_length_m, validate_lonlat

# A stop farther than this from an imported track is reported as off the route (the walker's
# "you have left the route" alert in follow mode is a different, wider radius: offline.py).
STOP_OFF_ROUTE_M = 50.0
# Douglas–Peucker tolerance for imported tracks: a phone's GPS wobbles by about this much, so
# nothing a walker would notice on a map is lost, and a long walk keeps a few hundred points.
SIMPLIFY_TOLERANCE_M = 5.0
MAX_DRAWN_POINTS = 5000


@dataclass
class RouteReport:
    """What happened to an imported or drawn route, for the person who sent it."""

    points: int
    length_m: float
    elevation_gain_m: float | None = None
    elevation_loss_m: float | None = None
    noise_removed: int = 0
    off_route: list[dict] = field(default_factory=list)


def _service_area() -> ServiceArea:
    return ServiceArea(current_app.config["SERVICE_AREA"])


GPX_MESSAGES = {
    "empty": lambda p: _("The file is empty."),
    "too_large": lambda p: _("The file is too large; the limit is %(mb)d MB.",
                             mb=round((p.get("limit") or 0) / 1048576)),
    "compressed": lambda p: _("The file is compressed (gzip or zip). Unpack it and upload the "
                              ".gpx file inside."),
    "not_xml": lambda p: _("This is not a GPX file: it is not readable XML."),
    "fit": lambda p: _("This is a Garmin FIT activity, not GPX. Export the activity as GPX and "
                       "upload that."),
    "tcx": lambda p: _("This is a Garmin TCX file, not GPX. Export the activity as GPX and "
                       "upload that."),
    "kml": lambda p: _("This is a KML file (Google Earth), not GPX. Export it as GPX."),
    "not_gpx": lambda p: _("This file is not GPX or is damaged."),
    "unsafe_xml": lambda p: _("The file uses XML features that are refused for safety "
                              "(DOCTYPE or entities). GPX files never need them."),
    "too_many_points": lambda p: _("The file has too many points (more than %(n)d).",
                                   n=p.get("limit") or 0),
    "bad_coordinates": lambda p: _("Some points in the file have impossible coordinates "
                                   "(latitude beyond ±90° or longitude beyond ±180°)."),
    "no_points": lambda p: _("The file contains no track, route or waypoint."),
    "outside_area": lambda p: _("%(outside)d of %(total)d points lie outside the area this "
                                "site covers.", outside=p.get("outside") or 0,
                                total=p.get("total") or 0),
    "no_route": lambda p: _("The file has only waypoints. A route needs a track or a route "
                            "(a line)."),
    "too_few_points": lambda p: _("The track has fewer than two different positions, so it "
                                  "is not a line."),
}


def gpx_refusal(exc: GpxError) -> ValidationError:
    """A refused GPX as a 422 naming the field ``file``, in the reader's language."""
    message = GPX_MESSAGES.get(exc.code, GPX_MESSAGES["not_gpx"])(exc.params)
    return ValidationError(message, field="file", code=f"gpx_{exc.code}")


def route_from_gpx(data: bytes) -> tuple[dict, RouteReport]:
    """Turn GPX bytes into a stored route (GeoJSON LineString, 2D) and a report.

    Tracks before routes, segments joined in order; points with impossible coordinates are a
    refusal here (a route with holes is not a route people can follow), as is any point
    outside the service area; isolated GPS spikes are removed, then the line is simplified
    with a tolerance in metres. Elevation gain and loss come from the points before
    simplification.

    Raises:
        ValidationError: field ``file``, code ``gpx_<reason>``.
    """
    try:
        gpx = read_gpx(data, service_area=_service_area())
        dropped = sum(w.count for w in gpx.warnings if w.code == "dropped_points")
        if dropped:
            raise GpxError("bad_coordinates", "impossible coordinates", dropped=dropped)
        points = route_points(gpx)
        kept = remove_noise(points)
        full = line_from_points([(p.lon, p.lat) for p in kept])
        simple = simplify_m(full, SIMPLIFY_TOLERANCE_M)
    except GpxError as exc:
        raise gpx_refusal(exc) from None
    gain_loss = elevation_gain_loss([p.ele for p in kept])
    route = json.loads(json.dumps(mapping(simple)))
    report = RouteReport(
        points=len(simple.coords),
        length_m=round(line_length_m(simple), 1),
        elevation_gain_m=round(gain_loss[0], 1) if gain_loss else None,
        elevation_loss_m=round(gain_loss[1], 1) if gain_loss else None,
        noise_removed=len(points) - len(kept),
    )
    return route, report


def route_from_geojson(geometry: dict) -> tuple[dict, RouteReport]:
    """A drawn route: a GeoJSON LineString (or a Feature holding one), inside the service area.

    Raises:
        ValidationError: field ``route``.
    """
    if isinstance(geometry, dict) and geometry.get("type") == "Feature":
        geometry = geometry.get("geometry")
    if not isinstance(geometry, dict) or geometry.get("type") != "LineString":
        raise ValidationError(_("Draw the route as one line."), field="route")
    coords = geometry.get("coordinates")
    if not isinstance(coords, list) or len(coords) < 2:
        raise ValidationError(_("A route needs at least two points."), field="route")
    if len(coords) > MAX_DRAWN_POINTS:
        raise ValidationError(_("The drawn route has too many points (more than %(n)d).",
                                n=MAX_DRAWN_POINTS), field="route")
    area = _service_area()
    points = []
    try:
        for c in coords:
            if not isinstance(c, list | tuple) or len(c) < 2:
                raise GeoError("bad point")
            lon, lat = validate_lonlat(c[0], c[1])
            if not area.contains(lon, lat):
                raise ValidationError(_("The drawn route leaves the area this site covers."),
                                      field="route")
            points.append((lon, lat))
        line = line_from_points(points)
    except GeoError:
        raise ValidationError(_("The drawn route has points that are not valid positions."),
                              field="route") from None
    route = json.loads(json.dumps(mapping(line)))
    return route, RouteReport(points=len(points), length_m=round(line_length_m(line), 1))


def _off_route(content: dict) -> list[dict]:
    line = route_line(content.get("route"))
    if line is None:
        return []
    ids = [s["place_id"] for s in content["stops"]]
    positions = place_positions(ids)
    titles = dict(place_titles(ids))
    far = stops_off_route(line, [positions[i][:2] for i in ids], STOP_OFF_ROUTE_M)
    return [{"number": i + 1, "place_id": ids[i], "title": titles.get(ids[i], ""),
             "distance_m": round(d)} for i, d in far]


def off_route_stops(tour: Tour) -> list[dict]:
    """Stops more than 50 m from the tour's (working) route: number, title, distance in m."""
    return _off_route(working_content(tour))


def set_route_from_gpx(user: User, slug: str, data: bytes, version: int | None = None
                       ) -> RouteReport:
    """A GPX upload becomes the tour's route (see ``route_from_gpx``); nothing is stored when
    it is refused. The report lists stops more than 50 m from the new route."""
    tour = get_for_edit(user, slug)
    check_version(tour, version)
    route, report = route_from_gpx(data)
    content = working_content(tour)
    content.update(route=route, route_source=GPX, elevation_gain_m=report.elevation_gain_m,
                   elevation_loss_m=report.elevation_loss_m)
    save(user, tour, content)
    report.off_route = _off_route(content)
    return report


def set_route_drawn(user: User, slug: str, geometry: dict, version: int | None) -> RouteReport:
    """A route drawn or edited on the map (GeoJSON, see ``route_from_geojson``) becomes the
    tour's route."""
    tour = get_for_edit(user, slug)
    check_version(tour, version)
    route, report = route_from_geojson(geometry)
    content = working_content(tour)
    content.update(route=route, route_source=DRAWN, elevation_gain_m=None,
                   elevation_loss_m=None)
    save(user, tour, content)
    report.off_route = _off_route(content)
    return report


def reset_route(user: User, slug: str, version: int | None) -> Tour:
    """Back to straight segments between the stops."""
    tour = get_for_edit(user, slug)
    check_version(tour, version)
    content = working_content(tour)
    content["route_source"] = GENERATED
    save(user, tour, content)
    return tour


def reroute_network_tours() -> int:
    """Route every tour (its rows and a published tour's pending edit) on the active walking
    network again; how many. Called in the transaction that swaps a new network in, so no
    tour ever shows legs of a network that is gone."""
    from app.services.tours.content import apply_content, compute, live_content

    count = 0
    for tour in db.session.scalars(select(Tour).order_by(Tour.id)):
        content = compute(live_content(tour))
        if content.get("route_source") in NETWORK_SOURCES:
            apply_content(tour, content, replace_stops=False)
        else:
            tour.network_routes = content.get("network_routes")
        if tour.pending_snapshot:
            tour.pending_snapshot = compute(json.loads(json.dumps(tour.pending_snapshot)))
        count += 1
    db.session.flush()
    return count


def set_route_network(user: User, slug: str, mode: str, version: int | None) -> Tour:
    """Route the tour on the walking network, on foot (``foot``) or step-free
    (``step_free``); the route follows the stops from then on, as straight lines do.

    Raises:
        ValidationError: field ``route_mode``: an unknown mode, no walking network loaded,
            or fewer than two stops.
    """
    from app.services.walknet import active_network

    if mode not in NETWORK_SOURCES:
        raise ValidationError(_("Choose how the route is drawn: straight lines, the drawn or "
                                "imported track, on foot or step-free."), field="route_mode")
    tour = get_for_edit(user, slug)
    check_version(tour, version)
    if active_network() is None:
        raise ValidationError(_("This site has no walking network yet, so the route cannot "
                                "follow the streets."), field="route_mode")
    content = working_content(tour)
    if len(content["stops"]) < 2:
        raise ValidationError(_("A route on the streets needs at least two stops."),
                              field="route_mode")
    content["route_source"] = mode
    save(user, tour, content)
    return tour


def network_order(points: list[tuple[float, float]], mode: str, *, keep_start: bool,
                  keep_end: bool) -> tuple[list[int], float, float, list[int]]:
    """A walking order on the network: ``(order, cost_before, cost_after, unreachable)``,
    costs in (weighted) metres of walking. With stops the others cannot reach (off the
    network or cut off), the order is left as it is and they are named by index."""
    from app.services.walknet import cost_matrix
    from geo.ordering import suggest_order_matrix

    matrix, unreachable = cost_matrix(points, mode)
    identity = list(range(len(points)))

    def cost(order: list[int]) -> float:
        return sum(matrix[order[k]][order[k + 1]] for k in range(len(order) - 1))

    if unreachable:
        return identity, 0.0, 0.0, unreachable
    before = cost(identity)
    proposed = suggest_order_matrix(matrix, start=0 if keep_start else None,
                                    end=len(points) - 1 if keep_end else None)
    after = cost(proposed)
    # Never propose a longer (or equal) walk than the author's own order.
    if after < before - 0.5:
        return proposed, before, after, []
    return identity, before, before, []
