"""GET /api/v1/places and /api/v1/places/<id>: approved places as GeoJSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import urlencode

from flask import Response, current_app, redirect, request, url_for
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from app.api.docs import PROBLEM
from app.api.geojson import (
    GEOJSON,
    PLACE_COLLECTION_EXAMPLE,
    PLACE_FEATURE_EXAMPLE,
    PlaceCollectionSchema,
    PlaceFeatureSchema,
)
from app.api.http import public_read
from app.errors import NotFound, ValidationError
from app.services import geodata
from app.services.moderation import redirect_target

blp = Blueprint(
    "api_places",
    __name__,
    url_prefix="/api/v1",
    description="Approved places as GeoJSON (RFC 7946). Position and facts CC0 1.0; each "
    "feature names the licence of its story and whom to credit.",
)


NUMBER = r"-?\d+(\.\d+)?"


class PlaceListArgs(Schema):
    # Patterns document the shapes; ranges (min before max, -180..180) are checked by the
    # service, which names the field in its 422 answer.
    bbox = fields.String(
        validate=validate.Regexp(
            rf"^{NUMBER}(,{NUMBER}){{3}}$",
            error="must be four numbers: minLon,minLat,maxLon,maxLat",
        ),
        metadata={
            "description": "minLon,minLat,maxLon,maxLat (WGS 84)",
            "example": "8.72,47.49,8.735,47.505",
        }
    )
    near = fields.String(
        validate=validate.Regexp(rf"^{NUMBER},{NUMBER}$", error="must be lon,lat in degrees"),
        metadata={
            "description": "lon,lat: sort by distance from this point",
            "example": "8.7241,47.4997",
        }
    )
    radius = fields.Float(
        validate=validate.Range(min=1, max=500_000),
        metadata={"description": "with near: only places within this many metres", "example": 500},
    )
    theme = fields.String(
        validate=validate.Regexp(
            r"^[a-z0-9-]+(,[a-z0-9-]+)*$", error="must be theme slugs, comma-separated"
        ),
        metadata={
            "description": "theme slug(s), comma-separated (any of them)",
            "example": "old-town",
        }
    )
    q = fields.String(
        validate=validate.Length(min=1, max=200),
        metadata={"description": "words in the title or story", "example": "Kaserne"},
    )
    era = fields.String(
        validate=validate.Regexp(
            r"^-?\d{1,4}(s|/-?\d{1,4})?$",
            error="must be a year (1950), a decade (1950s) or a range (1900/1950)",
        ),
        metadata={"description": "a year (1950), a decade (1950s) or a range (1900/1950)",
                  "example": "1950s"}
    )
    has_audio = fields.Boolean(
        metadata={"description": "only places with (or without) a recording"}
    )
    limit = fields.Integer(
        load_default=100,
        validate=validate.Range(min=1, max=geodata.MAX_LIMIT),
        metadata={"description": "features per page", "example": 100},
    )
    cursor = fields.String(
        validate=validate.Length(max=200),
        metadata={"description": "next_cursor of the previous page"},
    )


def site_root() -> str:
    """This site's absolute base URL (behind a proxy: as the client sees it)."""
    return request.url_root.rstrip("/")


def media_root() -> str:
    base = current_app.config["MEDIA_URL"]
    if base.startswith("/"):
        base = site_root() + base
    return base.rstrip("/") + "/"


def geojson_response(body: str) -> Response:
    return Response(body, mimetype=GEOJSON)


def collection_body(page: geodata.FeaturePage, links: list[dict], **members) -> str:
    """A FeatureCollection around the features PostGIS built; only the small envelope is
    made here."""
    head = {"type": "FeatureCollection", "numberReturned": page.returned, **members,
            "links": links}
    return json.dumps(head, separators=(",", ":"))[:-1] + ',"features":' + page.features + "}"


def _query_from(args: dict) -> geodata.PlaceQuery:
    query = geodata.PlaceQuery(limit=args["limit"], cursor=args.get("cursor"))
    if args.get("bbox"):
        query.bbox = geodata.parse_bbox(args["bbox"])
    if args.get("near"):
        query.near = geodata.parse_point(args["near"])
    if args.get("radius") is not None:
        if query.near is None:
            raise ValidationError("radius needs near=lon,lat.", field="radius")
        query.radius = args["radius"]
    if args.get("theme"):
        query.themes = [s.strip() for s in args["theme"].split(",") if s.strip()]
    if args.get("q") and args["q"].strip():
        query.q = args["q"]
    if args.get("era"):
        query.era = geodata.parse_era(args["era"])
    query.has_audio = args.get("has_audio")
    return query


@blp.route("/places")
# An instance, not the class: webargs would build the schema again on every request.
@blp.arguments(PlaceListArgs(), location="query", as_kwargs=True)
@blp.response(200, PlaceCollectionSchema, content_type=GEOJSON, example=PLACE_COLLECTION_EXAMPLE)
@public_read(max_age=60)
def list_places(**args):
    """Approved places as a GeoJSON FeatureCollection.

    Filter by a box (`bbox`), by theme, words (`q`), era and recordings; with `near` the
    places come nearest first (each with `distance_m`), optionally within `radius` metres.
    Pages come in a stable order (by id, or by distance then id): follow `next_cursor`
    (or the `next` link) until it is null."""
    query = _query_from(args)
    page = geodata.places_page(query, site_root())
    base = site_root() + "/api/v1/places"
    given = {k: v for k, v in request.args.items() if k != "cursor"}
    links = [{"rel": "self", "type": GEOJSON, "href": base + "?" + urlencode(request.args)}]
    if page.next_cursor:
        links.append({"rel": "next", "type": GEOJSON,
                      "href": base + "?" + urlencode({**given, "cursor": page.next_cursor})})
    return geojson_response(collection_body(page, links, next_cursor=page.next_cursor))


MERGED_REDIRECT = {
    "description": "A duplicate that curators merged into another place: the surviving "
    "place's URL is in `Location` (permanent; the method is kept)",
    "headers": {"Location": {"description": "URL of the place it was merged into",
                             "schema": {"type": "string", "format": "uri"}}},
}


def merged_redirect(place_id: int, url_of: Callable[[int], str]) -> Response | None:
    """308 to ``url_of(target)`` when ``place_id`` is a duplicate merged into the public
    place ``target``, else None. The query string is kept."""
    target = redirect_target(place_id)
    if target is None:
        return None
    url = url_of(target)
    if request.query_string:
        url += "?" + request.query_string.decode("latin-1")
    resp = redirect(url, code=308)
    # Kept no longer than the answer it stands for: the target may be merged or hidden later.
    resp.headers["Cache-Control"] = "public, max-age=60, s-maxage=60"
    return resp


@blp.route("/places/<int:place_id>")
@blp.response(200, PlaceFeatureSchema, content_type=GEOJSON, example=PLACE_FEATURE_EXAMPLE)
@blp.alt_response(308, success=True, **MERGED_REDIRECT)
@blp.alt_response(404, schema="Problem", content_type=PROBLEM,
                  description="No approved place with this id")
@public_read(max_age=60)
def get_place(place_id: int):
    """One approved place as a GeoJSON Feature with its story (Markdown) and public media.

    A duplicate merged into another place answers 308 with the other place's URL."""
    feature = geodata.place_feature(place_id, site_root(), media_root())
    if feature is None:
        moved = merged_redirect(
            place_id, lambda target: site_root() + url_for("api_places.get_place", place_id=target)
        )
        if moved is not None:
            return moved
        raise NotFound("No approved place with this id.")
    return geojson_response(feature)
