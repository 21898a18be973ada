"""Mapbox vector tiles of approved places, made in the database with ST_AsMVT, and their
TileJSON description."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request

from app.api.http import public_read
from app.services import geodata

bp = Blueprint("tiles", __name__, url_prefix="/tiles")

MVT = "application/vnd.mapbox-vector-tile"
TILE_MAX_AGE = 300


@bp.get("/places/<int:z>/<int:x>/<int:y>.mvt")
@public_read(max_age=TILE_MAX_AGE, s_maxage=3600)
def places_tile(z: int, x: int, y: int):
    """One tile (layer ``places``: id, title, theme, has_audio, story_count); 204 when it has
    no place."""
    data = geodata.places_tile(z, x, y)
    if not data:
        resp = Response(status=204)
        # An empty tile is an answer too: caches keep it as long as a full one.
        resp.headers["Cache-Control"] = f"public, max-age={TILE_MAX_AGE}, s-maxage=3600"
        return resp
    return Response(data, mimetype=MVT)


@bp.get("/places.json")
@public_read(max_age=3600)
def places_tilejson():
    """TileJSON 3.0.0 for the places tiles."""
    root = request.url_root.rstrip("/")
    lon, lat = current_app.config["CITY_CENTRE"]
    fields = {
        "id": "Number: the place's id (also the feature id)",
        "title": "String",
        "theme": "String: first theme slug, alphabetically",
        "has_audio": "Boolean",
        "story_count": "Number: the place's public stories (its first one included)",
    }
    return jsonify(
        {
            "tilejson": "3.0.0",
            "name": f"Stadtspur {current_app.config['CITY_NAME']}: places",
            "description": "Approved places. Below zoom "
            f"{geodata.FULL_DETAIL_ZOOM} a tile keeps one place per small grid cell.",
            "version": "1.0.0",
            "attribution": "Stadtspur contributors, CC0 1.0",
            "scheme": "xyz",
            "tiles": [root + "/tiles/places/{z}/{x}/{y}.mvt"],
            "minzoom": 0,
            "maxzoom": 16,
            "bounds": [-180, -85.0511, 180, 85.0511],
            "center": [lon, lat, current_app.config["CITY_ZOOM"]],
            "vector_layers": [
                {"id": geodata.TILE_LAYER, "fields": fields, "minzoom": 0, "maxzoom": 16}
            ],
        }
    )
