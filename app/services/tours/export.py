"""A published tour for machines: GeoJSON with its facts, and GPX 1.1."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import gettext as _
from shapely.geometry import shape

from app.errors import NotFound
from app.licences import TOUR_LICENCE
from app.models import Tour
from app.services import walknet
from app.services.text import plain_text
from app.services.tours.featured import WAYPOINT_CHARS, StopStory
from app.services.tours.queries import route_geojson, stop_points
from geo.gpx_write import write_gpx


def tour_collection(tour: Tour, site: str, route_mode: str | None = None) -> dict:
    """The tour as a GeoJSON FeatureCollection: the route (a LineString feature) and the
    available stops as numbered Point features; tour facts in ``properties`` of the
    collection (a foreign member, as RFC 7946 allows).

    ``route_mode`` (``foot``/``step_free``) asks for that variant on the walking network
    instead of the tour's own route, with the legs that could not be routed as features.

    Raises:
        NotFound: the tour has no route on the walking network.
    """
    url = f"{site}/tours/{tour.slug}"
    features: list[dict] = []
    if route_mode is not None:
        features = walknet.variant_features(tour.network_routes, route_mode)
        if not features:
            raise NotFound(_("This tour has no route on the walking network."),
                           code="no_network_route")
    else:
        route = route_geojson(tour)
        if route:
            properties = {"kind": "route", "source": tour.route_source}
            if tour.route_source in walknet.NETWORK_SOURCES:
                properties.update(attribution=walknet.OSM_CREDIT, licence=walknet.OSM_LICENCE)
            features.append({"type": "Feature", "id": "route", "geometry": route,
                             "properties": properties})
    features += [_stop_feature(s, site) for s in stop_points(tour, stories=True)
                 if s["available"]]
    return {
        "type": "FeatureCollection",
        "properties": tour_facts(tour, site),
        "features": features,
        "links": [
            {"rel": "alternate", "type": "text/html", "href": url},
            {"rel": "alternate", "type": "application/gpx+xml",
             "href": f"{site}/api/v1/tours/{tour.slug}.gpx"},
            {"rel": "alternate", "type": "application/pdf", "href": f"{url}.pdf"},
        ],
    }


def _stop_feature(s: dict, site: str) -> dict:
    return {
        "type": "Feature",
        "id": f"stop-{s['number']}",
        "geometry": {"type": "Point", "coordinates": [round(s["lon"], 6), round(s["lat"], 6)]},
        "properties": {
            "kind": "stop", "number": s["number"], "place_id": s["place_id"],
            "title": s["title"], "summary": s["summary"], "note": s["note"],
            "accessibility": s["accessibility"], "dwell_min": s["dwell_min"],
            "url": f"{site}/places/{s['place_id']}",
            # chosen by the tour's author (true), or the place's newest stories (false)
            "featured": s["featured"],
            "stories": [_story_summary(story, site) for story in s["stories"]],
        },
    }


def _story_summary(story: StopStory, site: str) -> dict:
    return {"id": story.id, "title": story.title, "excerpt": story.excerpt(),
            "kind": story.kind, "language": story.language, "credit": story.credit,
            "licence": story.licence, "url": f"{site}/stories/{story.id}"}


def _waypoint_text(s: dict) -> str:
    """A stop's waypoint description: the featured story (title, narrator, text, shortened
    for a GPS device's screen), else the place's summary or the way on."""
    if s["featured"] and s["stories"]:
        story = s["stories"][0]
        credit = f" ({story.credit})" if story.credit else ""
        return f"{story.title}{credit}: {story.excerpt(WAYPOINT_CHARS)}"
    return s["summary"] or s["note"]


def tour_facts(tour: Tour, site: str) -> dict:
    """The tour's facts as plain JSON values (API and exports)."""
    return {
        "slug": tour.slug,
        "title": tour.title,
        "intro": tour.intro,
        "status": tour.status,
        "theme": tour.theme.slug if tour.theme else None,
        "language": tour.language,
        "accessibility": tour.accessibility,
        "length_m": tour.length_m,
        "elevation_gain_m": tour.elevation_gain_m,
        "elevation_loss_m": tour.elevation_loss_m,
        "duration_min": tour.duration_normal_min,
        "duration_relaxed_min": tour.duration_relaxed_min,
        "stops": len(tour.stops),
        "url": f"{site}/tours/{tour.slug}",
        "licence": TOUR_LICENCE,
        "attribution": tour.author.display_name if tour.author else "",
        "published_at": _iso(tour.published_at),
        "updated_at": _iso(tour.updated_at),
        "route_source": tour.route_source,
        "network": walknet.accessibility_facts(tour.network_routes),
    }


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _network_tracks(tour: Tour) -> list[tuple[str, str, object]] | None:
    """A tour routed on the network: its foot and step-free variants as two tracks."""
    if tour.route_source not in walknet.NETWORK_SOURCES or not tour.network_routes:
        return None
    names = {"foot": _("%(title)s (on foot)", title=tour.title),
             "step_free": _("%(title)s (step-free)", title=tour.title)}
    tracks = []
    for mode in ("foot", "step_free"):
        line = walknet.variant_line(tour.network_routes.get(mode))
        if line is not None:
            tracks.append((names[mode], walknet.OSM_CREDIT, shape(line)))
    return tracks or None


def tour_gpx(tour: Tour, site: str) -> str:
    """GPX 1.1 of the tour: the route as a track (a tour on the walking network: its foot and
    step-free variants as two tracks, with the OpenStreetMap credit), the available stops as
    waypoints with their names, short texts (a stop's featured story) and links."""
    route = route_geojson(tour)
    tracks = _network_tracks(tour)
    waypoints = [
        {"lon": s["lon"], "lat": s["lat"], "name": f"{s['number']}. {s['title']}",
         "description": _waypoint_text(s), "link": f"{site}/places/{s['place_id']}"}
        for s in stop_points(tour, stories=True) if s["available"]
    ]
    return write_gpx(
        tour.title, plain_text(tour.intro), shape(route) if route else None, waypoints,
        link=f"{site}/tours/{tour.slug}", time=tour.updated_at, tracks=tracks,
        copyright_holder=walknet.OSM_CREDIT if tracks else None,
        licence_url=walknet.OSM_LICENCE_URL if tracks else None,
    )
