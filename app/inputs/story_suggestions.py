"""Suggested edits and transcripts as pages and the API take them: shapes here, the rules
(what changed, era grammar, who may) in ``app.services.story_suggestions`` and
``app.services.transcripts``."""

from __future__ import annotations

from marshmallow import fields, post_load, pre_load, validate

from app.inputs.base import Strict
from app.models.story import MAX_BODY, MAX_TITLE
from app.services.story_suggestions import MAX_MESSAGE, SuggestionInput
from app.services.transcripts import MAX_TRANSCRIPT


def _text(value):
    return value.replace("\r\n", "\n") if isinstance(value, str) else value


class SuggestionSchema(Strict):
    """A suggested edit: the fields as the suggester would have them (one left as it is is
    no change), the story ``version`` they read, and a message for the author."""

    title = fields.String(load_default="", validate=validate.Length(max=MAX_TITLE),
                          metadata={"example": "Die alte Kaserne am Bahnhof"})
    body = fields.String(load_default="", validate=validate.Length(max=MAX_BODY),
                         metadata={"example": "Im Winter 1965 lag hier Schnee bis zum Fenster."})
    era = fields.String(load_default="", validate=validate.Length(max=40),
                        metadata={"example": "1965"})
    message = fields.String(load_default="", validate=validate.Length(max=MAX_MESSAGE),
                            metadata={"example": "Es war 1965, nicht 1966: ich war dabei."})
    version = fields.Integer(required=True, strict=False,
                             validate=validate.Range(min=1, max=2**31 - 1),
                             metadata={"description": "the story version the suggestion "
                                       "starts from", "example": 3})

    @pre_load
    def _normalise(self, data, **kwargs):
        return {k: _text(v) for k, v in dict(data).items()}

    @post_load
    def _load(self, data: dict, **kwargs) -> tuple[SuggestionInput, int]:
        version = data.pop("version")
        return SuggestionInput(**data), version


class SuggestionDecisionSchema(Strict):
    """Accepting or declining a suggestion: a message for the suggester and, optionally, the
    story version the decider read (409 when the story changed since)."""

    message = fields.String(load_default="", validate=validate.Length(max=MAX_MESSAGE),
                            metadata={"example": "Danke, gut beobachtet!"})
    version = fields.Integer(load_default=None, allow_none=True, strict=False,
                             validate=validate.Range(min=1, max=2**31 - 1),
                             metadata={"description": "the story version the decider read",
                                       "example": 3})

    @pre_load
    def _normalise(self, data, **kwargs):
        data = {k: _text(v) for k, v in dict(data).items()}
        if data.get("version") == "":
            data["version"] = None
        return data


class TranscriptSchema(Strict):
    """A recording's transcript, plain text (empty removes it)."""

    transcript = fields.String(required=True, validate=validate.Length(max=MAX_TRANSCRIPT),
                               metadata={"example": "Ich erinnere mich an den Winter 1965 …"})

    @pre_load
    def _normalise(self, data, **kwargs):
        return {k: _text(v) for k, v in dict(data).items()}
