"""What /me/contributions, /me/tours and /me/notifications show, for apps: my contributions
with their review state and the curators' message, the tours I assembled, and my
notifications (read, unread) with marking them read."""

from __future__ import annotations

from flask import jsonify, request, url_for
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from marshmallow import ValidationError as SchemaError

from app.api.auth import api_user, require_user
from app.api.contribute import CONTRIBUTION_EXAMPLE, ContributionFeatureSchema
from app.api.docs import PROBLEM
from app.api.http import write_limit
from app.api.places import site_root
from app.errors import FormErrors, errors_by_field
from app.inputs.notifications import MarkReadSchema, NotificationQuerySchema
from app.services import contribute as contributions
from app.services import inbox
from app.services import tours as tour_service
from app.services.media import public_url as media_url
from app.services.notification_mail import line_of

blp = Blueprint("api_me", __name__, url_prefix="/api/v1",
                description="My contributions, my tours and my notifications (the caller's own)")
SECURITY = [{"bearerAuth": []}, {"cookieAuth": []}]


class MyContributionSchema(ContributionFeatureSchema):
    review = fields.Dict(metadata={"description": "`status`: the latest revision's (pending, "
                                   "approved, rejected, changes_requested …) unless the place "
                                   "itself was merged, hidden or removed (merged, hidden, "
                                   "archived); the curators' `message`; whether I may still "
                                   "`edit` it"})


class MyContributionsSchema(Schema):
    type = fields.String(metadata={"example": "FeatureCollection"})
    features = fields.List(fields.Nested(MyContributionSchema))


class MyTourSchema(Schema):
    slug = fields.String()
    title = fields.String()
    status = fields.String(metadata={"description": "draft, review, published or retired"})
    version = fields.Integer()
    pending_changes = fields.Boolean()
    draft = fields.String(metadata={"description": "the editor's view in the API"})


class MyToursSchema(Schema):
    tours = fields.List(fields.Nested(MyTourSchema))


def _private(body: dict):
    resp = jsonify(body)
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@blp.route("/me/contributions")
@blp.response(200, MyContributionsSchema, example={"type": "FeatureCollection", "features": [
    {**CONTRIBUTION_EXAMPLE, "review": {"status": "changes_requested",
                                        "message": "Bitte ein Foto dazu.", "edit": True}}]})
@blp.alt_response(401, schema="Problem", content_type=PROBLEM, description="not logged in")
@blp.doc(security=SECURITY)
@require_user()
def my_contributions():
    """The places I contributed or entered for someone, newest first, with the state of
    their review."""
    features = []
    for item in contributions.my_contributions(api_user()):
        feature = contributions.place_feature(item["place"], media_url, site_root())
        feature["review"] = {"status": item["state"], "message": item["message"],
                             "edit": item["editable"]}
        for medium in feature["properties"]["media"]:
            medium["review_message"] = item["media_notes"].get(medium["id"], "")
        features.append(feature)
    return _private({"type": "FeatureCollection", "features": features})


@blp.route("/me/tours")
@blp.response(200, MyToursSchema, example={"tours": [{
    "slug": "mein-lieblingsweg", "title": "Mein Lieblingsweg", "status": "review", "version": 5,
    "pending_changes": False,
    "draft": "https://stadtspur.example/api/v1/tours/mein-lieblingsweg/draft"}]})
@blp.alt_response(401, schema="Problem", content_type=PROBLEM, description="not logged in")
@blp.doc(security=SECURITY)
@require_user()
def my_tours():
    """The tours I assembled, the last changed first."""
    return _private({"tours": [
        {"slug": t.slug, "title": t.title, "status": t.status, "version": t.version,
         "pending_changes": bool(t.pending_snapshot),
         "draft": url_for("api_tour_authoring.get_draft", slug=t.slug, _external=True)}
        for t in tour_service.my_tours(api_user())
    ]})


class NotificationSchema(Schema):
    id = fields.Integer(required=True, metadata={"example": 120})
    kind = fields.String(required=True, metadata={
        "description": "story_decision, reply, reaction, featured, place_question or "
                       "theme_story"})
    text = fields.String(required=True, metadata={"description": "what it says, in the "
                                                  "caller's language"})
    url = fields.String(required=True, metadata={"description": "the page it is about"})
    story_id = fields.Integer(allow_none=True)
    reply_id = fields.Integer(allow_none=True)
    place_id = fields.Integer(allow_none=True)
    tour_id = fields.Integer(allow_none=True)
    count = fields.Integer(allow_none=True, metadata={
        "description": "for a bundle of reactions: how many people"})
    message = fields.String(required=True, metadata={
        "description": "with a decision: the curators' message (else empty)"})
    created_at = fields.String(required=True, metadata={"format": "date-time"})
    read = fields.Boolean(required=True)


class NotificationsSchema(Schema):
    notifications = fields.List(fields.Nested(NotificationSchema), required=True)
    unread = fields.Integer(required=True, metadata={"description": "how many are unread"})


class MarkedSchema(Schema):
    changed = fields.Integer(required=True, metadata={"description": "how many changed"})
    unread = fields.Integer(required=True)


NOTIFICATION_EXAMPLE = {
    "id": 120, "kind": "reaction", "text": "4 people thanked you for “Käse wiegen” this week.",
    "url": "https://stadtspur.example/stories/31", "story_id": 31, "reply_id": None,
    "place_id": None, "tour_id": None, "count": 4, "message": "",
    "created_at": "2026-12-04T18:30:00+00:00", "read": False}


def _load(schema, data):
    try:
        return schema.load(data)
    except SchemaError as exc:
        raise FormErrors(errors_by_field(exc)) from exc


def _notification(note) -> dict:
    line = line_of(note)
    return {"id": note.id, "kind": note.kind, "text": line.text,
            "url": url_for(line.endpoint, _external=True, **line.args),
            "story_id": note.story_id, "reply_id": note.reply_id, "place_id": note.place_id,
            "tour_id": note.tour_id,
            "count": note.data.get("count") if note.kind == "reaction" else None,
            "message": line.message,
            "created_at": note.created_at.isoformat(), "read": note.read_at is not None}


@blp.route("/me/notifications")
@blp.response(200, NotificationsSchema, example={"notifications": [NOTIFICATION_EXAMPLE],
                                                 "unread": 1})
@blp.alt_response(401, schema="Problem", content_type=PROBLEM, description="not logged in")
@blp.alt_response(422, schema="Problem", content_type=PROBLEM,
                  description="a query parameter is not acceptable (error.field names it)")
@blp.doc(security=SECURITY, parameters=[
    {"in": "query", "name": "limit", "schema": {"type": "integer", "minimum": 1,
                                                "maximum": 100, "default": 50}},
    {"in": "query", "name": "before", "schema": {"type": "integer", "minimum": 1}},
    {"in": "query", "name": "unread", "schema": {"type": "boolean", "default": False}}])
@require_user()
def my_notifications():
    """My notifications, newest first (`before`: the next page), leaving out those whose
    story, reply, place or tour is no longer public; with how many are unread."""
    user = api_user()
    query = _load(NotificationQuerySchema(), request.args.to_dict())
    notes = inbox.list_for(user, limit=query["limit"], before_id=query["before"],
                           unread_only=query["unread"])
    return _private({"notifications": [_notification(n) for n in notes],
                     "unread": inbox.unread_count(user)})


@blp.route("/me/notifications/read", methods=["POST"])
@blp.response(200, MarkedSchema, example={"changed": 2, "unread": 0})
@blp.alt_response(401, schema="Problem", content_type=PROBLEM, description="not logged in")
@blp.alt_response(422, schema="Problem", content_type=PROBLEM,
                  description="a field is not acceptable (error.field names it)")
@blp.doc(security=SECURITY, requestBody={"required": False, "content": {"application/json": {
    "schema": MarkReadSchema, "example": {"ids": [120, 118], "read": True}}}})
@write_limit()
@require_user()
def mark_notifications_read():
    """Mark my notifications `ids` read (all of mine when no ids are given), or unread
    again with `read: false`. Ids of other people's notifications change nothing."""
    user = api_user()
    body = request.get_json(silent=True)
    data = _load(MarkReadSchema(), body if body is not None else {})
    changed = inbox.mark_read(user, data["ids"], read=data["read"])
    return _private({"changed": changed, "unread": inbox.unread_count(user)})
