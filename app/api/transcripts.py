"""A recording's transcript in the API: its uploader, its story's author or helper and
curators set or correct it (plain text; empty removes it). Who may is checked before the
body is read."""

from __future__ import annotations

from flask import jsonify
from flask_babel import gettext as _
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from app.api.auth import api_user, require_user
from app.api.docs import PROBLEM
from app.api.http import json_body, write_limit
from app.errors import Forbidden
from app.inputs.story_suggestions import TranscriptSchema
from app.services import transcripts as service

blp = Blueprint(
    "api_transcripts", __name__, url_prefix="/api/v1",
    description="Transcripts of recordings (the text alternative of audio, WCAG 1.2.1).",
)
SECURITY = [{"bearerAuth": []}, {"cookieAuth": []}]


class TranscriptOutSchema(Schema):
    media_id = fields.Integer(required=True, metadata={"example": 88})
    transcript = fields.String(required=True, metadata={
        "description": "plain text: show it escaped", "example": "Ich erinnere mich …"})
    transcript_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    transcript_by = fields.String(allow_none=True, metadata={
        "description": "who wrote it (display name)", "example": "Rosa"})


@blp.route("/media/<int:media_id>/transcript", methods=["PUT"])
@blp.response(200, TranscriptOutSchema, example={
    "media_id": 88, "transcript": "Ich erinnere mich an den Winter 1965 …",
    "transcript_at": "2026-12-04T19:00:00+00:00", "transcript_by": "Rosa"})
@blp.alt_response(401, schema="Problem", content_type=PROBLEM, description="not logged in")
@blp.alt_response(403, schema="Problem", content_type=PROBLEM, description=(
    "not the recording's uploader, its story's author or helper, or a curator"))
@blp.alt_response(404, schema="Problem", content_type=PROBLEM, description="no such recording")
@blp.alt_response(422, schema="Problem", content_type=PROBLEM, description=(
    "the text is too long (error.field transcript) or the body has other fields"))
@blp.doc(security=SECURITY, requestBody={"required": True, "content": {"application/json": {
    "schema": TranscriptSchema,
    "example": {"transcript": "Ich erinnere mich an den Winter 1965 …"}}}})
@write_limit()
@require_user()
def put_transcript(media_id: int):
    """Set or correct a recording's transcript (plain text; empty removes it). The place's
    search finds its words."""
    user = api_user()
    if not service.can_transcribe(user, service.get_recording(media_id)):
        raise Forbidden(_("Only the person who recorded it, the story's author and curators "
                          "can write its transcript."))
    data = json_body(TranscriptSchema())
    medium = service.set_transcript(user, media_id, data["transcript"])
    return jsonify({"media_id": medium.id, "transcript": medium.transcript,
                    "transcript_at": medium.transcript_at.isoformat()
                    if medium.transcript_at else None,
                    "transcript_by": service.transcript_author(medium)})
