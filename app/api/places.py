"""GET /api/v1/places and /api/v1/places/<id>: approved places as GeoJSON."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from urllib.parse import urlencode

from flask import Response, current_app, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_smorest import Blueprint
from flask_smorest import abort as schema_abort
from marshmallow import Schema, fields, validate

from app.api.auth import Unauthorized, api_user
from app.api.docs import PROBLEM
from app.api.geojson import (
    GEOJSON,
    ONE_PLACE_EXAMPLE,
    PLACE_COLLECTION_EXAMPLE,
    PlaceCollectionSchema,
    PlaceFeatureSchema,
)
from app.api.http import public_read
from app.api.query_params import cursor_kind, encode_cursor, place_query
from app.errors import Forbidden, NotFound
from app.services import geodata, revisions
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
            "example": "industriekultur",
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
    query = place_query(args)
    page = geodata.places_page(query, site_root())
    base = site_root() + "/api/v1/places"
    given = {k: v for k, v in request.args.items() if k != "cursor"}
    links = [{"rel": "self", "type": GEOJSON, "href": base + "?" + urlencode(request.args)}]
    cursor = encode_cursor(cursor_kind(query), *page.next_key) if page.next_key else None
    if cursor:
        links.append({"rel": "next", "type": GEOJSON,
                      "href": base + "?" + urlencode({**given, "cursor": cursor})})
    return geojson_response(collection_body(page, links, next_cursor=cursor))


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


# --- versions: what an edit starts from ----------------------------------------------------
#
# A place's ``version`` is its edit lock (PATCH names the version it started from, 409 when
# stale). GET answers it as a strong ETag ``"place-<id>-v<version>-<digest>"``: the digest of
# the answer's bytes keeps the tag strong (an approved photo or an answer with the version
# property is other bytes, so another tag), the id and version make it usable in If-Match.

_TAG = re.compile(r'^place-(\d+)-v(\d+)(?:-[0-9a-f]+)?$')


def place_etag(place_id: int, version: int, body: str | bytes) -> str:
    """The ETag value (unquoted) of one place's answer ``body`` at ``version``."""
    data = body.encode() if isinstance(body, str) else body
    return f"place-{place_id}-v{version}-{hashlib.sha256(data).hexdigest()[:16]}"


def tag_version(place_id: int, tag: str) -> int | None:
    """The version an entity tag names for ``place_id``, or None (another place's tag, or
    not one of ours)."""
    found = _TAG.match(tag)
    if found is None or int(found.group(1)) != place_id:
        return None
    return int(found.group(2))


def edit_base_version(place, body_version: int | None) -> int:
    """The version a PATCH of ``place`` started from: ``version`` in the body, or If-Match
    with the ETag of a GET (or ``"place-<id>-v<version>"``), or both.

    Every version the request names must be the current one: a stale one is returned as the
    base, so the edit is refused as stale (409 with ``error.current``) exactly as a stale body
    version always was. An If-Match naming no version of this place (another place's tag, a
    weak or unknown tag) cannot match, so it counts as stale too. ``If-Match: *`` names no
    version. Without any version the answer stays 422 naming ``version``."""
    header = request.headers.get("If-Match")
    header_version = None
    if header is not None and not request.if_match.star_tag:
        named = [v for v in (tag_version(place.id, t) for t in request.if_match.as_set())
                 if v is not None]
        # Several tags: the precondition holds when any of them is the current version.
        header_version = place.version if place.version in named else (named[0] if named else 0)
    if body_version is None and header_version is None:
        schema_abort(422, messages={"json": {"version": [
            _("Missing data for required field: send the version you started from, or the "
              "place's ETag in If-Match.")]}})
    for version in (body_version, header_version):
        if version is not None and version != place.version:
            return version
    return place.version


def _editor_or_none(place_id: int):
    """The caller when they may edit ``place_id`` (its author or helper, a curator), else
    None. A public read never fails on credentials: a bad token reads as anonymous."""
    try:
        user = api_user()
    except Unauthorized:
        return None
    if user is None:
        return None
    try:
        revisions.get_editable(user, place_id)
    except (Forbidden, NotFound):
        return None
    return user


ETAG_HEADER = {
    "description": "strong validator of this answer, naming the place and its version: "
    "`\"place-<id>-v<version>-<digest>\"`. Send it back in `If-None-Match` (304 when "
    "unchanged) or in `If-Match` on PATCH (409 when the place was edited since)",
    "schema": {"type": "string", "example": '"place-12-v5-3f2a9c1b0d4e5f60"'},
}
IF_NONE_MATCH = {
    "in": "header", "name": "If-None-Match", "required": False,
    "description": "an ETag of an earlier answer: 304 Not Modified when it is still current",
    "schema": {"type": "string"},
}
IF_MATCH = {
    "in": "header", "name": "If-Match", "required": False,
    "description": "the ETag of `GET /api/v1/places/{place_id}` the edit started from (or "
    "`\"place-<id>-v<version>\"`): instead of, or together with, `version` in the body. "
    "When the place was edited since, the answer is 409 (`stale_version`) with "
    "`error.current`, as for a stale body version, and nothing is stored",
    "schema": {"type": "string", "example": '"place-12-v5-3f2a9c1b0d4e5f60"'},
}


@blp.route("/places/<int:place_id>")
@blp.response(200, PlaceFeatureSchema, content_type=GEOJSON, example=ONE_PLACE_EXAMPLE,
              headers={"ETag": ETAG_HEADER})
@blp.alt_response(304, success=True, description="Not Modified: the `If-None-Match` ETag "
                  "is still current")
@blp.alt_response(308, success=True, **MERGED_REDIRECT)
@blp.alt_response(404, schema="Problem", content_type=PROBLEM,
                  description="No approved place with this id")
@blp.doc(parameters=[IF_NONE_MATCH], security=[{}, {"bearerAuth": []}, {"cookieAuth": []}])
@public_read(max_age=60)
def get_place(place_id: int):
    """One approved place as a GeoJSON Feature with its first story's text (Markdown), its
    public media, and its public stories: `story_count` and the newest 100 as summaries
    (`stories`: id, title, kind, language, era, credit, licence, url), in the same query.

    The `ETag` names the place's version; for a caller who may edit the place (its author,
    a curator: personal token or session) the properties also carry `version`, and that
    answer is private. Edit with `PATCH` and `If-Match: <ETag>` (or the `version`).
    A duplicate merged into another place answers 308 with the other place's URL."""
    found = geodata.place_feature_and_version(place_id, site_root(), media_root())
    if found is None:
        moved = merged_redirect(
            place_id, lambda target: site_root() + url_for("api_places.get_place", place_id=target)
        )
        if moved is not None:
            return moved
        raise NotFound("No approved place with this id.")
    feature, version = found
    if _editor_or_none(place_id) is not None:
        doc = json.loads(feature)
        doc["properties"]["version"] = version
        feature = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
        # Only for this caller: no shared cache may keep it (app/api/http.py then says
        # "private, no-cache").
        g.pop("public_read", None)
    resp = geojson_response(feature)
    resp.set_etag(place_etag(place_id, version, resp.get_data()))
    # The answer differs with the credentials; sessions already vary on Cookie.
    resp.vary.add("Authorization")
    return resp
