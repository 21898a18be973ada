"""Moderation and editing in the API: the curators' queue and decisions, edits with
optimistic locking (PATCH carries the version it started from; 409 when stale, with both
versions), revisions and restore, and reports (flags) from anyone.

The views never commit or roll back: the request is one unit of work, and a refusal (a stale
version included) is answered as problem+json by app/errors.py."""

from __future__ import annotations

from flask import jsonify, request
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from app.api.auth import api_user, require_user
from app.api.docs import PROBLEM
from app.api.http import write_limit
from app.api.places import IF_MATCH, edit_base_version
from app.errors import NotFound
from app.extensions import db, limiter
from app.inputs.edits import PlaceEditSchema
from app.inputs.moderation import (
    LogArgs,
    MediaReviewSchema,
    MergeSchema,
    ReportSchema,
    ResolveSchema,
    RestoreSchema,
    ReviewSchema,
)
from app.models import Place
from app.models.statuses import PlaceStatus, RevisionStatus
from app.services import audit, moderation, revisions
from app.services import flags as flag_service

blp = Blueprint(
    "api_moderation", __name__, url_prefix="/api/v1",
    description="Curators: the queue of what waits and decisions on it; everyone: edits "
    "(with the version they started from) and reports.",
)
CURATORS = ("curator", "admin")
SECURITY = [{"bearerAuth": []}, {"cookieAuth": []}]


class QueueArgs(Schema):
    kind = fields.String(validate=validate.OneOf(moderation.KINDS),
                         metadata={"description": "place, edit, media, flag or story"})
    theme = fields.String(metadata={"description": "theme slug"})


class QueueItemSchema(Schema):
    kind = fields.String(metadata={"description": "place, edit, media, flag, story, reply "
                                                  "or talk (a question or correction about "
                                                  "a place)"})
    id = fields.Integer(metadata={"description": "place id, revision id, media id, the "
                                  "first open flag's id, the story's, reply's or note's id"})
    place_id = fields.Integer()
    title = fields.String()
    created_at = fields.String(metadata={"format": "date-time"})
    who = fields.String(metadata={"description": "the contributor"})
    lon = fields.Float(allow_none=True)
    lat = fields.Float(allow_none=True)
    detail = fields.String(metadata={"description": "flag: the reasons given, comma-separated; "
                                            "reply: why it waits"})
    transcript_missing = fields.Boolean(metadata={
        "description": "a recording of the item has no transcript yet"})
    reporters = fields.Integer(metadata={"description": "flag only: distinct people who reported"})
    target = fields.String(validate=validate.OneOf(["place", "media"]),
                           metadata={"description": "flag only: what was reported"})
    hidden = fields.Boolean(metadata={"description": "flag only: hidden by the reports "
                                      "(auto-hide threshold) or by a curator"})


class QueueSchema(Schema):
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    items = fields.List(fields.Nested(QueueItemSchema))


class NextSchema(Schema):
    kind = fields.String()
    id = fields.Integer()


class DecisionSchema(Schema):
    decision = fields.String()
    place_id = fields.Integer()
    status = fields.String()
    version = fields.Integer()
    next = fields.Nested(NextSchema, allow_none=True)


class MergedSchema(Schema):
    merged = fields.Integer()
    into = fields.Integer()
    version = fields.Integer()


class EditResultSchema(Schema):
    place_id = fields.Integer()
    revision = fields.Integer(metadata={"description": "number of the new revision"})
    status = fields.String(metadata={"description": "approved (live) or pending (waits)"})
    version = fields.Integer(metadata={"description": "send this with the next edit"})


class RevisionSchema(Schema):
    number = fields.Integer()
    status = fields.String()
    author_id = fields.Integer(allow_none=True)
    message = fields.String()
    review_message = fields.String(allow_none=True)
    reviewer_id = fields.Integer(allow_none=True)
    created_at = fields.String(metadata={"format": "date-time"})
    reviewed_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    base_version = fields.Integer()
    snapshot = fields.Dict()


class RevisionListSchema(Schema):
    revisions = fields.List(fields.Nested(RevisionSchema))


class FlagCreatedSchema(Schema):
    id = fields.Integer()
    status = fields.String()


class ResolvedSchema(Schema):
    resolution = fields.String()
    place_id = fields.Integer()
    flags = fields.Integer(metadata={"description": "reports closed"})


class EventSchema(Schema):
    id = fields.Integer()
    created_at = fields.String(metadata={"format": "date-time"})
    actor_id = fields.Integer(allow_none=True)
    actor_name = fields.String()
    action = fields.String()
    target_type = fields.String()
    target_id = fields.Integer()
    before_status = fields.String(allow_none=True)
    after_status = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    message = fields.String()


class LogSchema(Schema):
    events = fields.List(fields.Nested(EventSchema))


SNAPSHOT_EXAMPLE = {"title": "Waaghaus", "summary": "", "body": "…", "lon": 8.7296,
                    "lat": 47.4998, "era_year": 1503, "era_precision": "year", "language": "de",
                    "themes": ["altstadt"], "step_free": True}
REVISION_EXAMPLE = {"number": 2, "status": "approved", "author_id": 3, "message": "Jahr",
                    "review_message": "", "reviewer_id": 2, "created_at": "2026-05-01T10:00:00Z",
                    "reviewed_at": "2026-05-01T10:05:00Z", "base_version": 3,
                    "snapshot": SNAPSHOT_EXAMPLE}


def _iso(value):
    return value.isoformat() if value else None


@blp.route("/moderation/queue")
@blp.arguments(QueueArgs, location="query", as_kwargs=True)
@blp.response(200, QueueSchema, example={
    "counts": {"place": 1, "edit": 0, "media": 0, "flag": 1, "story": 0, "total": 2},
    "items": [{"kind": "place", "id": 41, "place_id": 41, "title": "Alte Mühle",
               "created_at": "2026-05-01T10:00:00+00:00", "who": "Rosa", "lon": 8.729,
               "lat": 47.4995, "detail": ""},
              {"kind": "flag", "id": 9, "place_id": 12, "title": "Waaghaus",
               "created_at": "2026-05-02T08:30:00+00:00", "who": "", "lon": 8.7296,
               "lat": 47.4993, "detail": "wrong", "reporters": 3, "target": "place",
               "hidden": True}]})
@blp.doc(security=SECURITY)
@require_user(*CURATORS)
def queue(kind=None, theme=None):
    """What waits for a curator, oldest first, with the counts per kind."""
    items = moderation.queue(kind, theme)
    return jsonify({
        "counts": moderation.counts(),
        "items": [{**{k: v for k, v in i.items() if k != "created_at"},
                   "created_at": _iso(i["created_at"])} for i in items],
    })


def _place_item(place_id: int) -> tuple[str, int]:
    """The queue item a review of a place decides: the new place, or its waiting edit."""
    place = db.session.get(Place, place_id)
    if place is None:
        raise NotFound("No place with this id.")
    if place.status == PlaceStatus.APPROVED:
        rev = revisions.open_revision(place)
        if rev is None or rev.status != RevisionStatus.PENDING:
            raise NotFound("This place has no edit waiting for review.")
        return "edit", rev.id
    return "place", place_id


@blp.route("/places/<int:place_id>/review", methods=["POST"])
@blp.arguments(ReviewSchema)
@blp.response(200, DecisionSchema, example={"decision": "approve", "place_id": 41,
                                           "status": "approved", "version": 3,
                                           "next": {"kind": "edit", "id": 77}})
@blp.doc(security=SECURITY, responses={
    "409": {"description": "the place changed since you looked (error.current)"}})
@write_limit("600 per hour")
@require_user(*CURATORS)
def review(data, place_id: int):
    """Approve, reject (with a reason code) or ask for changes on a new place or on the edit
    of a public place waiting for review. The contributor gets the message by mail and sees it
    in their contributions."""
    kind, item_id = _place_item(place_id)
    result = moderation.decide(api_user(), kind, item_id, data.decision, message=data.message,
                               reason=data.reason, version=data.version, changes=data.changes)
    upcoming = moderation.next_item(kind, item_id)
    result["next"] = ({"kind": upcoming["kind"], "id": upcoming["id"]} if upcoming else None)
    return jsonify(result)


@blp.route("/media/<int:media_id>/review", methods=["POST"])
@blp.arguments(MediaReviewSchema)
@blp.response(200, DecisionSchema, example={"decision": "approve", "place_id": 12,
                                           "status": "approved"})
@blp.doc(security=SECURITY)
@write_limit("600 per hour")
@require_user(*CURATORS)
def review_media(data, media_id: int):
    """Approve or reject a photo or recording added to a public place."""
    result = moderation.decide(api_user(), "media", media_id, data.decision,
                               message=data.message, reason=data.reason)
    return jsonify(result)


@blp.route("/places/<int:place_id>/merge", methods=["POST"])
@blp.arguments(MergeSchema)
@blp.response(200, MergedSchema, example={"merged": 41, "into": 12, "version": 5})
@blp.doc(security=SECURITY)
@write_limit("600 per hour")
@require_user(*CURATORS)
def merge(data, place_id: int):
    """Merge this place (a duplicate) into a public place: media and story move there and the
    duplicate's address redirects."""
    target = moderation.merge(api_user(), place_id, data.into, message=data.message,
                              version=data.version)
    return jsonify({"merged": place_id, "into": target.id, "version": target.version})


@blp.route("/places/<int:place_id>", methods=["PATCH"])
@blp.arguments(PlaceEditSchema)
@blp.response(200, EditResultSchema, example={"place_id": 12, "revision": 4,
                                             "status": "pending", "version": 6})
@blp.doc(security=SECURITY, parameters=[IF_MATCH], responses={
    "409": {"description": "stale version (in the body or If-Match): error.current holds the "
            "version now there, error.yours your refused edit"},
    "422": {"description": "a field is not acceptable, or not one an edit may change such "
            "as status or author_id (error.field names it, error.fields every one)"}})
@write_limit()
@require_user()
def edit(data, place_id: int):
    """Edit a place, naming the `version` the edit started from (in the body, or the ETag of
    `GET /api/v1/places/{place_id}` in `If-Match`). Curators edit any place (live at once);
    authors their own (an edit of a public place waits for review)."""
    user = api_user()
    place = revisions.get_editable(user, place_id)
    version = edit_base_version(place, data.version)
    rev = revisions.save_edit(user, place_id, data.edit, base_version=version)
    place = db.session.get(Place, place_id)
    return jsonify({"place_id": place_id, "revision": rev.number, "status": rev.status,
                    "version": place.version})


def _revision_dict(r) -> dict:
    return {"number": r.number, "status": r.status, "author_id": r.author_id,
            "message": r.message, "review_message": r.review_message,
            "reviewer_id": r.reviewer_id, "created_at": _iso(r.created_at),
            "reviewed_at": _iso(r.reviewed_at), "base_version": r.base_version,
            "snapshot": r.snapshot}


@blp.route("/places/<int:place_id>/revisions")
@blp.response(200, RevisionListSchema, example={"revisions": [REVISION_EXAMPLE]})
@blp.doc(security=SECURITY)
@require_user(*CURATORS)
def list_revisions(place_id: int):
    """Every revision of a place, newest first, with full snapshots."""
    if db.session.get(Place, place_id) is None:
        raise NotFound("No place with this id.")
    return jsonify({"revisions": [_revision_dict(r) for r in revisions.history(place_id)]})


@blp.route("/places/<int:place_id>/revisions/<int:number>/restore", methods=["POST"])
@blp.arguments(RestoreSchema)
@blp.response(201, RevisionSchema, example=REVISION_EXAMPLE)
@blp.doc(security=SECURITY)
@write_limit("600 per hour")
@require_user(*CURATORS)
def restore(data, place_id: int, number: int):
    """Make an earlier revision current again (as a new revision)."""
    rev = revisions.restore(api_user(), place_id, number, base_version=data.version,
                            message=data.message)
    return jsonify(_revision_dict(rev)), 201


def _anonymous_key() -> str:
    user = api_user()
    return f"user:{user.id}" if user else f"addr:{request.remote_addr or 'unknown'}"


@blp.route("/flags", methods=["POST"])
@blp.arguments(ReportSchema)
@blp.response(201, FlagCreatedSchema, example={"id": 9, "status": "open"})
@blp.doc(security=[{}, *SECURITY], responses={
    "404": {"description": "no public place, medium or reply with this id",
            "content": {PROBLEM: {}}},
    "429": {"description": "too many reports from this address"}})
@limiter.limit("20 per hour", key_func=_anonymous_key,
               exempt_when=lambda: api_user() is not None)
def create_flag(data):
    """Report a public place, a photo or recording, or a reply (exactly one of place_id,
    media_id, reply_id; no account needed). Content reported by
    several different people is hidden until a curator has looked at it."""
    flag = flag_service.create_flag(
        api_user(), place_id=data.place_id, media_id=data.media_id, reply_id=data.reply_id,
        reason=data.reason, message=data.message, remote_addr=request.remote_addr or "",
    )
    return jsonify({"id": flag.id, "status": flag.status}), 201


@blp.route("/flags/<int:flag_id>/resolve", methods=["POST"])
@blp.arguments(ResolveSchema)
@blp.response(200, ResolvedSchema, example={"resolution": "dismiss", "place_id": 12,
                                           "flags": 3})
@blp.doc(security=SECURITY)
@write_limit("600 per hour")
@require_user(*CURATORS)
def resolve_flag(data, flag_id: int):
    """Resolve every open report on the same content: dismiss, edit, hide or remove."""
    result = flag_service.resolve(api_user(), flag_id, data.resolution,
                                  message=data.message)
    return jsonify(result)


@blp.route("/moderation/log")
@blp.arguments(LogArgs, location="query")
@blp.response(200, LogSchema, example={"events": [{
    "id": 1, "created_at": "2026-05-01T10:05:00+00:00", "actor_id": 2, "actor_name": "Kurt",
    "action": "approve", "target_type": "place", "target_id": 41, "before_status": "pending",
    "after_status": "approved", "reason": None, "message": ""}]})
@blp.doc(security=SECURITY)
@require_user(*CURATORS)
def moderation_log(f):
    """The newest 200 entries of the moderation log (filters: action, target_type,
    target_id, actor, since, until)."""
    return jsonify({"events": [
        {"id": e.id, "created_at": _iso(e.created_at), "actor_id": e.actor_id,
         "actor_name": e.actor_name, "action": e.action, "target_type": e.target_type,
         "target_id": e.target_id, "before_status": e.before_status,
         "after_status": e.after_status, "reason": e.reason, "message": e.message}
        for e in audit.log_entries(f)
    ]})
