"""A place's questions and corrections in the API: anyone reads a public place's list;
logged-in people who are not muted post to it (a note from someone not trusted yet waits
for a curator, and only its author sees it meanwhile); curators resolve an open note as
fixed or declined. Who may is checked before the body is read."""

from __future__ import annotations

from flask import jsonify
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from app.api.auth import api_user, require_user
from app.api.docs import PROBLEM
from app.api.http import json_body, write_limit
from app.inputs.place_talk import ResolveTalkSchema, TalkSchema
from app.services.conversation import rules, talk

blp = Blueprint(
    "api_place_talk", __name__, url_prefix="/api/v1",
    description="Questions and corrections about a place: list, post, resolve (curators).",
)
SECURITY = [{"bearerAuth": []}, {"cookieAuth": []}]


class TalkOutSchema(Schema):
    id = fields.Integer(required=True, metadata={"example": 12})
    place_id = fields.Integer(required=True, metadata={"example": 4})
    kind = fields.String(required=True, metadata={"description": "question or correction",
                                                  "example": "correction"})
    body = fields.String(required=True, metadata={
        "description": "plain text", "example": "The plaque is on the other corner."})
    status = fields.String(required=True, metadata={
        "description": "pending (waits for a curator; shown to its author only), open, "
                       "fixed or declined", "example": "open"})
    author = fields.String(allow_none=True, metadata={
        "description": "the author's name; null once they deleted their account",
        "example": "Rosa"})
    created_at = fields.String(required=True, metadata={"format": "date-time"})
    resolution_note = fields.String(required=True, metadata={"example": ""})
    resolved_at = fields.String(allow_none=True, metadata={"format": "date-time"})


class TalkListSchema(Schema):
    talk = fields.List(fields.Nested(TalkOutSchema), required=True)


EXAMPLE = {"id": 12, "place_id": 4, "kind": "correction",
           "body": "The plaque is on the other corner.", "status": "open", "author": "Rosa",
           "created_at": "2026-12-04T18:30:00+00:00", "resolution_note": "",
           "resolved_at": None}


def talk_dict(t) -> dict:
    return {"id": t.id, "place_id": t.place_id, "kind": t.kind, "body": t.body,
            "status": t.status, "author": t.author.display_name if t.author else None,
            "created_at": t.created_at.isoformat(), "resolution_note": t.resolution_note,
            "resolved_at": t.resolved_at.isoformat() if t.resolved_at else None}




@blp.route("/places/<int:place_id>/talk")
@blp.response(200, TalkListSchema, example={"talk": [EXAMPLE]})
@blp.alt_response(404, schema="Problem", content_type=PROBLEM,
                  description="no such public place")
def list_talk(place_id: int):
    """The place's questions and corrections, newest first (with the caller's own that
    still wait for a curator)."""
    return jsonify({"talk": [talk_dict(t) for t in talk.place_talk(place_id, api_user())]})


@blp.route("/places/<int:place_id>/talk", methods=["POST"])
@blp.response(201, TalkOutSchema, example=EXAMPLE)
@blp.alt_response(401, schema="Problem", content_type=PROBLEM, description="not logged in")
@blp.alt_response(403, schema="Problem", content_type=PROBLEM,
                  description="the caller is muted in the conversation (error.code muted)")
@blp.alt_response(404, schema="Problem", content_type=PROBLEM,
                  description="no such public place")
@blp.alt_response(422, schema="Problem", content_type=PROBLEM,
                  description="a field is not acceptable (error.field names it)")
@blp.alt_response(429, schema="Problem", content_type=PROBLEM,
                  description="too many notes in the last hour")
@blp.doc(security=SECURITY, requestBody={"required": True, "content": {"application/json": {
    "schema": TalkSchema,
    "example": {"kind": "correction", "body": "The plaque is on the other corner."}}}})
@write_limit()
@require_user()
def post_talk(place_id: int):
    """Ask a question or post a correction about a public place (plain text, at most 5,000
    characters). It is open at once, or waits for a curator (status pending) when its
    author is new, it carries a link or a watched word."""
    user = api_user()
    rules.check_may_talk(user)
    made = talk.post(user, place_id, json_body(TalkSchema()))
    resp = jsonify(talk_dict(made))
    resp.status_code = 201
    return resp


@blp.route("/talk/<int:talk_id>/resolve", methods=["POST"])
@blp.response(200, TalkOutSchema, example=EXAMPLE | {
    "status": "fixed", "resolution_note": "Moved the marker to the corner.",
    "resolved_at": "2026-12-04T19:00:00+00:00"})
@blp.alt_response(401, schema="Problem", content_type=PROBLEM, description="not logged in")
@blp.alt_response(403, schema="Problem", content_type=PROBLEM, description="not a curator")
@blp.alt_response(404, schema="Problem", content_type=PROBLEM, description="no such note")
@blp.alt_response(422, schema="Problem", content_type=PROBLEM, description=(
    "a field is not acceptable, or the note is not open (error.code not_open)"))
@blp.doc(security=SECURITY, requestBody={"required": True, "content": {"application/json": {
    "schema": ResolveTalkSchema,
    "example": {"status": "fixed", "note": "Moved the marker to the corner."}}}})
@write_limit()
@require_user("curator", "admin")
def resolve_talk(talk_id: int):
    """Curators: mark an open question or correction fixed or declined, with a note shown
    beside it."""
    data = json_body(ResolveTalkSchema())
    return jsonify(talk_dict(talk.resolve(api_user(), talk_id, data.status, data.note)))
