"""Stories in the API: the public list and one story, a new story at a place (multipart, with
photos and a recording, Idempotency-Key), the author's edit (version; 409 when stale), a
curator's decision and the narrator's withdrawal.

Each story is a GeoJSON Feature at its place's point (app/services/geodata/stories.py builds
it in PostGIS); its text and media carry the story's own licence and credit.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from flask import abort, g, jsonify, request, url_for
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from marshmallow import ValidationError as SchemaError

from app.api.auth import Unauthorized, api_user, require_user
from app.api.docs import NO_BODY, PROBLEM
from app.api.geojson import GEOJSON, LinkSchema, PointSchema, StoryEraSchema
from app.api.http import public_read, write_limit
from app.api.places import NUMBER, collection_body, geojson_response, media_root, site_root
from app.api.query_params import (
    decode_cursor,
    encode_cursor,
    parse_bbox,
    parse_era,
    parse_point,
)
from app.errors import Forbidden, FormErrors, NotFound, ValidationError, errors_by_field
from app.extensions import limiter
from app.inputs.base import Nothing, from_form
from app.inputs.stories import (
    StoryEditSchema,
    StoryReviewSchema,
    StoryUploadForm,
    edit_of,
    story_upload_from,
)
from app.models.statuses import StoryKind
from app.services import moderation, story_media, story_queries
from app.services import stories as story_service

blp = Blueprint(
    "api_stories", __name__, url_prefix="/api/v1",
    description="Stories: the unit of contribution, many at one shared place, each with its "
    "own narrator, era, language, licence and media.",
)
SECURITY = [{"bearerAuth": []}, {"cookieAuth": []}]
CURATORS = ("curator", "admin")
OPTIONAL_AUTH = [{}, *SECURITY]


@blp.before_request
def _refuse_oversized_body():
    # Before authentication reads the form: a declared body over MAX_CONTENT_LENGTH is
    # answered 413 without reading a byte of it.
    limit = request.max_content_length
    if limit is not None and (request.content_length or 0) > limit:
        abort(413)


# --- documents --------------------------------------------------------------------------------


class StoryMediaSchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["photo", "audio"]))
    status = fields.String(metadata={"description": "for its author and curators only"})
    mime = fields.String(required=True, metadata={"example": "image/jpeg"})
    url = fields.String(required=True, allow_none=True)
    thumbnail_url = fields.String(allow_none=True)
    width = fields.Integer(allow_none=True)
    height = fields.Integer(allow_none=True)
    duration_s = fields.Float(allow_none=True)
    caption = fields.String(required=True, metadata={
        "description": "a photo's caption, also its text alternative"})
    credit = fields.String(required=True)
    licence = fields.String(required=True, metadata={"example": "CC-BY-4.0"})
    transcript = fields.String(allow_none=True, metadata={
        "description": "a recording's transcript (empty until someone writes it); null for "
        "photos"})


class StoryPropertiesSchema(Schema):
    title = fields.String(required=True, metadata={"example": "Konzerte in der Reithalle"})
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in StoryKind]))
    language = fields.String(required=True, metadata={"example": "de"})
    era = fields.Nested(StoryEraSchema, allow_none=True, required=True)
    start_datetime = fields.String(allow_none=True, metadata={
        "description": "the era's first instant (RFC 3339)"})
    end_datetime = fields.String(allow_none=True, metadata={
        "description": "the era's last instant (RFC 3339)"})
    credit = fields.String(required=True, metadata={
        "description": "whom to credit: the narrator, for a story told on their behalf"})
    told_on_behalf = fields.Boolean(metadata={
        "description": "entered by a helper for the narrator, with their consent"})
    licence = fields.String(required=True, metadata={
        "description": "SPDX id of the story's licence", "example": "CC-BY-SA-4.0"})
    data_licence = fields.String(metadata={"example": "CC0-1.0"})
    place_id = fields.Integer(required=True)
    place_title = fields.String(required=True)
    published_at = fields.String(allow_none=True)
    url = fields.String(required=True, metadata={"description": "the story's own page"})
    place_url = fields.String(required=True)
    distance_m = fields.Float(metadata={"description": "only with near: metres from the point"})
    body = fields.String(metadata={"description": "one story only: its text (Markdown)"})
    media = fields.List(fields.Nested(StoryMediaSchema), metadata={
        "description": "one story only: its photos and recordings (with transcripts)"})
    status = fields.String(metadata={
        "description": "for its author, helper and curators: draft, pending, "
        "changes_requested, approved, hidden, withdrawn or rejected"})
    version = fields.Integer(metadata={
        "description": "for its author, helper and curators: what a PATCH starts from"})


class StoryTimeSchema(Schema):
    interval = fields.List(fields.String(), required=True)


class StoryFeatureSchema(Schema):
    type = fields.String(required=True, validate=validate.OneOf(["Feature"]))
    id = fields.Integer(required=True, metadata={"example": 7})
    geometry = fields.Nested(PointSchema, required=True)
    time = fields.Nested(StoryTimeSchema, allow_none=True, metadata={
        "description": "the era as an interval of dates (JSON-FG), when known"})
    properties = fields.Nested(StoryPropertiesSchema, required=True)


class StoryCollectionSchema(Schema):
    type = fields.String(required=True, validate=validate.OneOf(["FeatureCollection"]))
    features = fields.List(fields.Nested(StoryFeatureSchema), required=True)
    numberReturned = fields.Integer(required=True)  # noqa: N815  (GeoJSON/OGC member name)
    next_cursor = fields.String(allow_none=True, metadata={
        "description": "pass as cursor for the next page"})
    links = fields.List(fields.Nested(LinkSchema), required=True)


_PROPS = {
    "title": "Konzerte in der Reithalle", "kind": "memory", "language": "de",
    "era": {"start": 1980, "end": 1989, "precision": "decade"},
    "start_datetime": "1980-01-01T00:00:00Z", "end_datetime": "1989-12-31T23:59:59Z",
    "credit": "Frieda Keller", "told_on_behalf": True, "licence": "CC-BY-SA-4.0",
    "data_licence": "CC0-1.0", "place_id": 42, "place_title": "Alte Kaserne",
    "published_at": "2026-05-03T09:00:00Z", "url": "https://example.org/stories/7",
    "place_url": "https://example.org/places/42",
}
STORY_SUMMARY_EXAMPLE = {
    "type": "Feature", "id": 7, "geometry": {"type": "Point", "coordinates": [8.729, 47.5]},
    "time": {"interval": ["1980-01-01", "1989-12-31"]}, "properties": _PROPS,
}
STORY_EXAMPLE = {
    **STORY_SUMMARY_EXAMPLE,
    "properties": {**_PROPS, "body": "Samstags spielten hier Bands aus der ganzen Stadt …",
                   "media": [
                       {"id": 31, "kind": "photo", "mime": "image/jpeg",
                        "url": "https://example.org/media/4f/4f2a-large.jpg",
                        "thumbnail_url": "https://example.org/media/4f/4f2a-thumb.jpg",
                        "width": 1600, "height": 1200, "duration_s": None,
                        "caption": "Die Bühne 1984", "credit": "Frieda Keller",
                        "licence": "CC-BY-4.0", "transcript": None},
                       {"id": 32, "kind": "audio", "mime": "audio/mp4",
                        "url": "https://example.org/media/9c/9c1e-public.m4a",
                        "thumbnail_url": None, "width": None, "height": None,
                        "duration_s": 74.5, "caption": "", "credit": "Frieda Keller",
                        "licence": "CC-BY-SA-4.0",
                        "transcript": "Am Samstag war die Halle voll …"}]},
}
OWN_STORY_EXAMPLE = {
    **STORY_EXAMPLE,
    "properties": {**STORY_EXAMPLE["properties"], "status": "pending", "version": 1,
                   "published_at": None,
                   "media": [{**m, "status": "pending"}
                             for m in STORY_EXAMPLE["properties"]["media"]]},
}
STORY_COLLECTION_EXAMPLE = {
    "type": "FeatureCollection", "numberReturned": 1, "next_cursor": "WyJpZCIsN10",
    "links": [
        {"rel": "self", "type": GEOJSON, "href": "https://example.org/api/v1/stories?limit=1"},
        {"rel": "next", "type": GEOJSON,
         "href": "https://example.org/api/v1/stories?limit=1&cursor=WyJpZCIsN10"}],
    "features": [STORY_SUMMARY_EXAMPLE],
}
_ONE = {"application/json": {"schema": StoryFeatureSchema, "example": OWN_STORY_EXAMPLE}}


# --- the list ----------------------------------------------------------------------------------


class StoryListArgs(Schema):
    place = fields.Integer(validate=validate.Range(min=1, max=2**63 - 1), metadata={
        "description": "only the stories of this place"})
    theme = fields.String(
        validate=validate.Regexp(r"^[a-z0-9-]+(,[a-z0-9-]+)*$",
                                 error="must be theme slugs, comma-separated"),
        metadata={"description": "theme slug(s) of the stories' places, comma-separated (any "
                  "of them)", "example": "industriekultur"})
    era = fields.String(
        validate=validate.Regexp(r"^-?\d{1,4}(s|/-?\d{1,4})?$", error="must be a year "
                                 "(1950), a decade (1950s) or a range (1900/1950)"),
        metadata={"description": "stories whose era overlaps a year (1950), a decade (1950s) "
                  "or a range (1900/1950)", "example": "1960s"})
    era_from = fields.Integer(validate=validate.Range(min=-9999, max=9999), metadata={
        "description": "stories whose era reaches this year or later", "example": 1900})
    era_to = fields.Integer(validate=validate.Range(min=-9999, max=9999), metadata={
        "description": "stories whose era begins this year or earlier", "example": 1999})
    language = fields.String(validate=validate.Length(min=2, max=5), metadata={
        "description": "the story's language (de, en)", "example": "de"})
    kind = fields.String(validate=validate.OneOf([k.value for k in StoryKind]), metadata={
        "description": "memory, history or tip", "example": "memory"})
    q = fields.String(validate=validate.Length(min=1, max=200), metadata={
        "description": "words in the title, the text or a recording's transcript",
        "example": "Kaserne"})
    bbox = fields.String(
        validate=validate.Regexp(rf"^{NUMBER}(,{NUMBER}){{3}}$",
                                 error="must be four numbers: minLon,minLat,maxLon,maxLat"),
        metadata={"description": "minLon,minLat,maxLon,maxLat (WGS 84) of their places",
                  "example": "8.70,47.48,8.76,47.52"})
    near = fields.String(
        validate=validate.Regexp(rf"^{NUMBER},{NUMBER}$", error="must be lon,lat in degrees"),
        metadata={"description": "lon,lat: nearest places' stories first",
                  "example": "8.7241,47.4997"})
    radius = fields.Float(validate=validate.Range(min=1, max=500_000), metadata={
        "description": "with near: only stories within this many metres", "example": 800})
    limit = fields.Integer(load_default=100, validate=validate.Range(
        min=1, max=story_queries.MAX_LIMIT), metadata={"example": 50})
    cursor = fields.String(validate=validate.Length(max=200),
                           metadata={"description": "next_cursor of the previous page"})


def story_query(args: dict) -> story_queries.StoryQuery:
    """GET /api/v1/stories's arguments (as its schema loaded them) as a StoryQuery."""
    query = story_queries.StoryQuery(limit=args["limit"], place_id=args.get("place"),
                                     kind=args.get("kind"), language=args.get("language"))
    if args.get("bbox"):
        query.bbox = parse_bbox(args["bbox"])
    if args.get("near"):
        query.near = parse_point(args["near"])
    if args.get("radius") is not None:
        if query.near is None:
            raise ValidationError("radius needs near=lon,lat.", field="radius")
        query.radius = args["radius"]
    if args.get("theme"):
        query.themes = [s for s in args["theme"].split(",") if s]
    if args.get("q") and args["q"].strip():
        query.q = args["q"]
    lo, hi = parse_era(args["era"]) if args.get("era") else (-9999, 9999)
    if args.get("era_from") is not None:
        lo = max(lo, args["era_from"])
    if args.get("era_to") is not None:
        hi = min(hi, args["era_to"])
    if lo > hi:
        raise ValidationError("era_from must not be after era_to (nor outside era).",
                              field="era_from" if args.get("era_from") is not None else "era")
    if (lo, hi) != (-9999, 9999):
        query.era = (lo, hi)
    if args.get("cursor"):
        types = (int,) if query.near is None else (float, int)
        query.after = decode_cursor(args["cursor"], story_queries.cursor_kind(query), types)
    return query


@blp.route("/stories")
@blp.arguments(StoryListArgs(), location="query", as_kwargs=True)
@blp.response(200, StoryCollectionSchema, content_type=GEOJSON,
              example=STORY_COLLECTION_EXAMPLE)
@public_read(max_age=60)
def list_stories(**args):
    """Public stories as a GeoJSON FeatureCollection, each at its place's point.

    Filter by place, theme, era (`era` in the era grammar, or `era_from`/`era_to` in
    years: stories whose era overlaps), language, kind, words (`q`, transcripts included)
    and a box (`bbox`); with `near` the stories of the nearest places come first (each
    with `distance_m`), optionally within `radius` metres. Pages come in a stable order
    (by id, or by distance then id): follow `next_cursor` (or the `next` link) until it is
    null."""
    query = story_query(args)
    page = story_queries.stories_page(query, site_root())
    base = site_root() + "/api/v1/stories"
    given = {k: v for k, v in request.args.items() if k != "cursor"}
    links = [{"rel": "self", "type": GEOJSON, "href": base + "?" + urlencode(request.args)}]
    cursor = (encode_cursor(story_queries.cursor_kind(query), *page.next_key)
              if page.next_key else None)
    if cursor:
        links.append({"rel": "next", "type": GEOJSON,
                      "href": base + "?" + urlencode({**given, "cursor": cursor})})
    return geojson_response(collection_body(page, links, next_cursor=cursor))


# --- one story ----------------------------------------------------------------------------------


def _caller():
    """The caller, or None; a public read never fails on credentials (a bad token reads as
    anonymous)."""
    try:
        return api_user()
    except Unauthorized:
        return None


def _own_document(story_id: int) -> dict:
    return json.loads(story_queries.own_story_feature(story_id, site_root(), media_root()))


@blp.route("/stories/<int:story_id>")
@blp.response(200, StoryFeatureSchema, content_type=GEOJSON, example=STORY_EXAMPLE)
@blp.alt_response(304, success=True, description="Not Modified: the `If-None-Match` ETag "
                  "is still current")
@blp.alt_response(404, schema="Problem", content_type=PROBLEM,
                  description="No public story with this id (or none you may see)")
@blp.doc(security=OPTIONAL_AUTH)
@public_read(max_age=60)
def get_story(story_id: int):
    """One story as a GeoJSON Feature with its text (Markdown), photos and recordings (each
    recording with its transcript).

    Everyone sees a public story (approved, at a public place); its author, the helper who
    entered it and curators see it in any state, with `status`, `version` (what a `PATCH`
    starts from) and every medium with its own status; that answer is private. Anyone else
    gets 404."""
    story = story_service.get_story_or_none(story_id)
    user = _caller()
    if story is None or not story_service.can_see(user, story):
        raise NotFound("No public story with this id.")
    if story_service.can_edit(user, story):
        g.pop("public_read", None)  # only for this caller (app/api/http.py: private)
        resp = geojson_response(json.dumps(_own_document(story_id), ensure_ascii=False,
                                           separators=(",", ":")))
    else:
        feature = story_queries.public_story_feature(story_id, site_root(), media_root())
        if feature is None:
            raise NotFound("No public story with this id.")
        resp = geojson_response(feature)
    resp.vary.add("Authorization")
    return resp


# --- a new story at a place ------------------------------------------------------------------


def _api_user_key() -> str:
    user = api_user()
    return f"user:{user.id}" if user else request.remote_addr or "unknown"


def _contribute_limit() -> str:
    from flask import current_app

    return current_app.config.get("RATELIMIT_CONTRIBUTE", "30 per hour")


@blp.route("/places/<int:place_id>/stories", methods=["POST"])
@blp.doc(
    security=SECURITY,
    # Documented here, parsed by app.inputs.stories with the same schema as the page's
    # form, so every refused field is answered at once in our own error format.
    requestBody={"required": True,
                 "content": {"multipart/form-data": {"schema": StoryUploadForm}}},
    parameters=[{
        "in": "header", "name": "Idempotency-Key", "required": False,
        "schema": {"type": "string", "maxLength": 100},
        "description": "One key per story: a retry with the same key and content answers "
        "with the story created the first time (200); different content gives 409.",
    }],
    responses={
        "201": {"description": "the pending story as a GeoJSON Feature", "content": _ONE},
        "200": {"description": "a retry: the story created the first time", "content": _ONE},
        "404": {"description": "no such place"},
        "409": {"description": "the idempotency key was used for another story"},
        "413": {"description": "the upload is too large"},
        "422": {"description": "a field or file is not acceptable, or the place is merged "
                "or removed (error.field names it, error.fields every one); nothing is "
                "stored"},
    },
)
@limiter.limit(_contribute_limit, key_func=_api_user_key)
@require_user()
def add_story(place_id: int):
    """Add a story to a published place (multipart/form-data: its fields, photos and a
    recording with its transcript); it waits for a curator. Told on someone's behalf
    (`author_name`), the narrator is credited and the consent (`consent_method`,
    `consent_date`) is required."""
    user = api_user()
    upload = story_upload_from(request.form, request.files)
    story, created = story_media.add_story_with_media(
        user, place_id, upload, idempotency_key=request.headers.get("Idempotency-Key"))
    resp = jsonify(_own_document(story.id))
    resp.status_code = 201 if created else 200
    resp.headers["Location"] = url_for("stories.story", story_id=story.id)
    return resp


# --- the author's edit, a curator's decision, the narrator's withdrawal ----------------------


def _visible(story_id: int):
    """The story, when the caller may see it (else 404: a story waiting for review is
    nobody else's business)."""
    story = story_service.get_story_or_none(story_id)
    if story is None or not story_service.can_see(api_user(), story):
        raise NotFound("No story with this id that you may see.")
    return story


def _editable(story_id: int):
    """The story the caller may edit: 404 when they may not even see it, 403 when they see
    it but are not its author, helper or a curator (before the body is read)."""
    story = _visible(story_id)
    if not story_service.can_edit(api_user(), story):
        raise Forbidden("Only the story's author can change it; you can suggest an edit.")
    return story


def _json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise FormErrors({"": ["Send a JSON object."]})
    return body


@blp.route("/stories/<int:story_id>", methods=["PATCH"])
@blp.doc(security=SECURITY, requestBody={"required": True, "content": {"application/json": {
    "schema": StoryEditSchema,
    "example": {"title": "Konzerte in der Reithalle", "era": "1980s", "version": 1}}}},
    responses={
        "200": {"description": "the story as edited", "content": _ONE},
        "403": {"description": "not its author, helper or a curator"},
        "404": {"description": "no story with this id that you may see"},
        "409": {"description": "stale version (error.current holds the story's snapshot and "
                "version now), or the story was withdrawn"},
        "422": {"description": "a field is not acceptable (error.field names it)"}})
@write_limit()
@require_user()
def edit_story(story_id: int):
    """Edit a story, naming the `version` the edit started from; fields not sent keep their
    value. Its author (or the helper who entered it) and curators may; an approved story
    edited by its author waits for review again, a curator's edit stays approved."""
    story = _editable(story_id)
    data = _load_edit()
    story_service.edit_story(api_user(), story_id, edit_of(story, data), version=data["version"])
    # As POST answers it (the document says application/json for both writes).
    return jsonify(_own_document(story_id))


def _load_edit() -> dict:
    try:
        return StoryEditSchema().load(_json_body())
    except SchemaError as exc:
        raise FormErrors(errors_by_field(exc)) from exc


class StoryDecisionSchema(Schema):
    decision = fields.String()
    story_id = fields.Integer()
    place_id = fields.Integer()
    status = fields.String()
    version = fields.Integer()
    next = fields.Dict(allow_none=True, metadata={"description": "the next queue item "
                                                  "(kind, id), or null"})


@blp.route("/stories/<int:story_id>/review", methods=["POST"])
@blp.arguments(StoryReviewSchema, example={"decision": "approve", "reason": None,
                                           "message": "Danke!", "version": 1})
@blp.response(200, StoryDecisionSchema, example={
    "decision": "approve", "story_id": 7, "place_id": 42, "status": "approved",
    "version": 2, "next": {"kind": "story", "id": 8}})
@blp.doc(security=SECURITY, responses={
    "404": {"description": "no story with this id"},
    "409": {"description": "the story does not wait for review, or changed since you "
            "looked"}})
@write_limit("600 per hour")
@require_user(*CURATORS)
def review_story(data, story_id: int):
    """A curator approves, rejects (with a reason code) or asks for changes on one story,
    on the version they looked at; `changes` corrects it before approving. The story's
    author sees the message with their story."""
    result = moderation.decide(api_user(), "story", story_id, data.decision,
                               message=data.message, reason=data.reason,
                               version=data.version, changes=data.changes)
    upcoming = moderation.next_item("story", story_id)
    result["next"] = {"kind": upcoming["kind"], "id": upcoming["id"]} if upcoming else None
    return jsonify(result)


class WithdrawnSchema(Schema):
    story_id = fields.Integer()
    place_id = fields.Integer()
    status = fields.String(metadata={"example": "withdrawn"})


@blp.route("/stories/<int:story_id>/withdraw", methods=["POST"])
@blp.response(200, WithdrawnSchema, example={"story_id": 7, "place_id": 42,
                                             "status": "withdrawn"})
@blp.doc(security=SECURITY, requestBody=NO_BODY,
    responses={"403": {"description": "not the story's narrator (or their helper)"},
               "404": {"description": "no story with this id"}})
@write_limit()
@require_user()
def withdraw_story(story_id: int):
    """The narrator (or the helper who entered it for them) withdraws their story, in any
    state and at any time: it leaves every public surface at once (repeating it is
    harmless). Curators hide stories; they do not withdraw them."""
    body = request.get_json(silent=True)
    from_form(Nothing(), body if isinstance(body, dict) else {})
    _visible(story_id)
    story = story_service.withdraw_story(api_user(), story_id)
    return jsonify({"story_id": story.id, "place_id": story.place_id, "status": story.status})
