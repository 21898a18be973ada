"""A published tour for machines: GeoJSON with its facts, and GPX 1.1."""

from __future__ import annotations

from datetime import UTC, datetime

from shapely.geometry import shape

from app.licences import TOUR_LICENCE
from app.models import Tour
from app.services.text import plain_text
from app.services.tours.queries import route_geojson, stop_points
from geo.gpx_write import write_gpx


def tour_collection(tour: Tour, site: str) -> dict:
    """The tour as a GeoJSON FeatureCollection: the route (a LineString feature) and the
    available stops as numbered Point features; tour facts in ``properties`` of the
    collection (a foreign member, as RFC 7946 allows)."""
    url = f"{site}/tours/{tour.slug}"
    features: list[dict] = []
    route = route_geojson(tour)
    if route:
        features.append({"type": "Feature", "id": "route", "geometry": route,
                         "properties": {"kind": "route", "source": tour.route_source}})
    features += [_stop_feature(s, site) for s in stop_points(tour) if s["available"]]
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
        },
    }


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
    }


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def tour_gpx(tour: Tour, site: str) -> str:
    """GPX 1.1 of the tour: the route as a track, the available stops as waypoints with their
    names, short texts and links."""
    route = route_geojson(tour)
    waypoints = [
        {"lon": s["lon"], "lat": s["lat"], "name": f"{s['number']}. {s['title']}",
         "description": s["summary"] or s["note"], "link": f"{site}/places/{s['place_id']}"}
        for s in stop_points(tour) if s["available"]
    ]
    return write_gpx(
        tour.title, plain_text(tour.intro), shape(route) if route else None, waypoints,
        link=f"{site}/tours/{tour.slug}", time=tour.updated_at,
    )
