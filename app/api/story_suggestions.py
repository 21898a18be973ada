"""Suggested edits in the API: anyone logged in who may not edit a story suggests changes
from the version they read; its author, helper or a curator accepts (the story's next
revision, 409 when the story changed since) or declines; the suggester can take theirs back.

Who may is checked before the body is read: a caller who may not decide learns nothing of
the schema from a 422."""

from __future__ import annotations

from flask import jsonify, url_for
from flask_babel import gettext as _
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from app.api.auth import api_user, require_user
from app.api.docs import NO_BODY, PROBLEM
from app.api.http import json_body, write_limit
from app.errors import Forbidden, NotFound
from app.inputs.base import Nothing
from app.inputs.story_suggestions import SuggestionDecisionSchema, SuggestionSchema
from app.services import stories as story_service
from app.services import story_suggestions as service

blp = Blueprint(
    "api_story_suggestions", __name__, url_prefix="/api/v1",
    description="Suggested edits of stories: suggest, list, accept, decline, take back.",
)
SECURITY = [{"bearerAuth": []}, {"cookieAuth": []}]


class ChangesSchema(Schema):
    title = fields.String(metadata={"example": "Die alte Kaserne am Bahnhof"})
    body = fields.String(metadata={"example": "Im Winter 1965 lag hier Schnee bis zum Fenster."})
    era = fields.String(metadata={"example": "1965"})


class SuggestionOutSchema(Schema):
    id = fields.Integer(required=True, metadata={"example": 7})
    story_id = fields.Integer(required=True, metadata={"example": 31})
    status = fields.String(required=True, metadata={
        "description": "pending, accepted, declined or closed (taken back, or the story "
                       "was withdrawn)", "example": "pending"})
    base_version = fields.Integer(required=True, metadata={
        "description": "the story version the suggestion started from", "example": 3})
    stale = fields.Boolean(required=True, metadata={
        "description": "the story changed since: accepting answers 409", "example": False})
    changes = fields.Nested(ChangesSchema, required=True)
    message = fields.String(required=True)
    author = fields.String(allow_none=True, metadata={"description": "the suggester's name"})
    created_at = fields.String(required=True, metadata={"format": "date-time"})
    decision_message = fields.String(required=True)
    decided_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    story_version = fields.Integer(required=True, metadata={
        "description": "the story's version now", "example": 3})


class SuggestionListSchema(Schema):
    suggestions = fields.List(fields.Nested(SuggestionOutSchema), required=True)


EXAMPLE = {"id": 7, "story_id": 31, "status": "pending", "base_version": 3, "stale": False,
           "changes": {"era": "1965", "body": "Im Winter 1965 lag hier Schnee bis zum Fenster."},
           "message": "Es war 1965, nicht 1966: ich war dabei.", "author": "Rosa",
           "created_at": "2026-12-04T18:30:00+00:00", "decision_message": "",
           "decided_at": None, "story_version": 3}


def suggestion_dict(s) -> dict:
    return {"id": s.id, "story_id": s.story_id, "status": s.status,
            "base_version": s.base_version, "stale": service.is_stale(s),
            "changes": dict(s.changes), "message": s.message,
            "author": s.author.display_name if s.author else None,
            "created_at": s.created_at.isoformat(), "decision_message": s.decision_message,
            "decided_at": s.decided_at.isoformat() if s.decided_at else None,
            "story_version": s.story.version}


def _story_for(user, story_id: int):
    story = story_service.get_story(story_id)
    if not story_service.can_see(user, story):
        raise NotFound(_("This story does not exist."))
    return story


def _suggestion_of(story_id: int, suggestion_id: int):
    suggestion = service.get_suggestion(suggestion_id)
    if suggestion.story_id != story_id:
        raise NotFound(_("This story does not exist."))
    return suggestion




@blp.route("/stories/<int:story_id>/suggestions")
@blp.response(200, SuggestionListSchema, example={"suggestions": [EXAMPLE]})
@blp.alt_response(401, schema="Problem", content_type=PROBLEM, description="not logged in")
@blp.alt_response(404, schema="Problem", content_type=PROBLEM, description="no such story")
@blp.doc(security=SECURITY)
@require_user()
def list_suggestions(story_id: int):
    """The story's open suggestions: all of them for its author, helper and curators, the
    caller's own for anyone else."""
    user = api_user()
    story = _story_for(user, story_id)
    return jsonify({"suggestions": [suggestion_dict(s)
                                    for s in service.visible_suggestions(user, story)]})


@blp.route("/stories/<int:story_id>/suggestions", methods=["POST"])
@blp.response(201, SuggestionOutSchema, example=EXAMPLE)
@blp.alt_response(401, schema="Problem", content_type=PROBLEM, description="not logged in")
@blp.alt_response(403, schema="Problem", content_type=PROBLEM, description=(
    "the caller may edit the story themselves (error.code edit_instead)"))
@blp.alt_response(404, schema="Problem", content_type=PROBLEM,
                  description="no such public story")
@blp.alt_response(409, schema="Problem", content_type=PROBLEM, description=(
    "the story changed since `version` (error.current holds its fields and version)"))
@blp.alt_response(422, schema="Problem", content_type=PROBLEM, description=(
    "a field is not acceptable or nothing changes (error.field names it)"))
@blp.alt_response(429, schema="Problem", content_type=PROBLEM,
                  description="too many suggestions in the last hour")
@blp.doc(security=SECURITY, requestBody={"required": True, "content": {"application/json": {
    "schema": SuggestionSchema, "example": {
        "era": "1965", "message": "Es war 1965, nicht 1966: ich war dabei.", "version": 3}}}})
@write_limit()
@require_user()
def create_suggestion(story_id: int):
    """Suggest an edit of someone else's public story: the fields as you would have them
    (title, body, era; one left out or unchanged is no change), the `version` you read and a
    message. The story's author is told by mail."""
    user = api_user()
    story = _story_for(user, story_id)
    service.check_may_suggest(user, story)
    inp, version = json_body(SuggestionSchema())
    made = service.suggest(user, story_id, inp, version=version)
    resp = jsonify(suggestion_dict(made))
    resp.status_code = 201
    resp.headers["Location"] = url_for("story_suggestions.suggestions", story_id=story_id)
    return resp


def _decide(story_id: int, suggestion_id: int):
    user = api_user()
    suggestion = _suggestion_of(story_id, suggestion_id)
    if not service.can_decide(user, suggestion):
        raise Forbidden(_("Only the story's author or a curator can decide on a suggestion."))
    return user, json_body(SuggestionDecisionSchema())


_DECISION_BODY = {"required": False, "content": {"application/json": {
    "schema": SuggestionDecisionSchema,
    "example": {"message": "Danke, gut beobachtet!", "version": 3}}}}


@blp.route("/stories/<int:story_id>/suggestions/<int:suggestion_id>/accept",
           methods=["POST"])
@blp.response(200, SuggestionOutSchema, example=EXAMPLE | {
    "status": "accepted", "decision_message": "Danke, gut beobachtet!",
    "decided_at": "2026-12-04T19:00:00+00:00", "story_version": 4})
@blp.alt_response(401, schema="Problem", content_type=PROBLEM, description="not logged in")
@blp.alt_response(404, schema="Problem", content_type=PROBLEM,
                  description="no such story, or no such suggestion of it")
@blp.alt_response(422, schema="Problem", content_type=PROBLEM,
                  description="a field is not acceptable (error.field names it)")
@blp.alt_response(403, schema="Problem", content_type=PROBLEM,
                  description="not the story's author, helper or a curator")
@blp.alt_response(409, schema="Problem", content_type=PROBLEM, description=(
    "the story changed since the suggestion was made (error.code stale_suggestion) or "
    "since `version` (stale_version); the suggestion stays open. Or it was decided "
    "already (not_pending)"))
@blp.doc(security=SECURITY, requestBody=_DECISION_BODY)
@write_limit()
@require_user()
def accept(story_id: int, suggestion_id: int):
    """Accept a suggestion: its changes become the story's next revision, as an edit by the
    caller (an author's change of an approved story waits for a curator again; a curator's
    stays approved). The suggester is told by mail."""
    user, data = _decide(story_id, suggestion_id)
    done = service.accept(user, suggestion_id, message=data["message"],
                          version=data["version"])
    return jsonify(suggestion_dict(done))


@blp.route("/stories/<int:story_id>/suggestions/<int:suggestion_id>/decline",
           methods=["POST"])
@blp.response(200, SuggestionOutSchema, example=EXAMPLE | {
    "status": "declined", "decision_message": "Das stimmt so nicht.",
    "decided_at": "2026-12-04T19:00:00+00:00"})
@blp.alt_response(401, schema="Problem", content_type=PROBLEM, description="not logged in")
@blp.alt_response(404, schema="Problem", content_type=PROBLEM,
                  description="no such story, or no such suggestion of it")
@blp.alt_response(422, schema="Problem", content_type=PROBLEM,
                  description="a field is not acceptable (error.field names it)")
@blp.alt_response(403, schema="Problem", content_type=PROBLEM,
                  description="not the story's author, helper or a curator")
@blp.alt_response(409, schema="Problem", content_type=PROBLEM,
                  description="decided already (error.code not_pending)")
@blp.doc(security=SECURITY, requestBody=_DECISION_BODY)
@write_limit()
@require_user()
def decline(story_id: int, suggestion_id: int):
    """Decline a suggestion with a message for the suggester (told by mail)."""
    user, data = _decide(story_id, suggestion_id)
    return jsonify(suggestion_dict(service.decline(user, suggestion_id,
                                                   message=data["message"])))


@blp.route("/stories/<int:story_id>/suggestions/<int:suggestion_id>/take-back",
           methods=["POST"])
@blp.response(200, SuggestionOutSchema, example=EXAMPLE | {"status": "closed"})
@blp.alt_response(401, schema="Problem", content_type=PROBLEM, description="not logged in")
@blp.alt_response(404, schema="Problem", content_type=PROBLEM,
                  description="no such story, or no such suggestion of it")
@blp.alt_response(422, schema="Problem", content_type=PROBLEM,
                  description="a field is not acceptable (error.field names it)")
@blp.alt_response(403, schema="Problem", content_type=PROBLEM,
                  description="not the caller's suggestion")
@blp.alt_response(409, schema="Problem", content_type=PROBLEM,
                  description="decided already (error.code not_pending)")
@blp.doc(security=SECURITY, requestBody=NO_BODY)
@write_limit()
@require_user()
def take_back(story_id: int, suggestion_id: int):
    """Take your own open suggestion back (it closes)."""
    user = api_user()
    if _suggestion_of(story_id, suggestion_id).author_id != user.id:
        raise Forbidden(_("Only the person who made a suggestion can take it back."))
    json_body(Nothing())
    return jsonify(suggestion_dict(service.take_back(user, suggestion_id)))
