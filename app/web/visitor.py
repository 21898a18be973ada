"""Visitor pages: home, place, tour."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_babel import get_locale

from app.services import places as place_service
from app.services import tours as tour_service

bp = Blueprint("visitor", __name__)


@bp.get("/")
def home():
    return render_template(
        "visitor/home.html",
        points=place_service.map_points(),
        tours=tour_service.published_tours(),
    )


@bp.get("/places/<int:place_id>")
def place(place_id: int):
    found = place_service.get_public_place(place_id)
    if found is None:
        abort(404)
    lon, lat = place_service.lonlat(found)
    return render_template(
        "visitor/place.html",
        place=found,
        lon=lon,
        lat=lat,
        media=place_service.public_media(found),
        locale=str(get_locale()),
    )


@bp.get("/tours/<slug>")
def tour(slug: str):
    found = tour_service.get_visible_tour(slug)
    if found is None:
        abort(404)
    return render_template(
        "visitor/tour.html",
        tour=found,
        stops=tour_service.stop_points(found),
        route=tour_service.route_geojson(found),
        locale=str(get_locale()),
    )
