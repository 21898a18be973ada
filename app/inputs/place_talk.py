"""A question or correction about a place, and a curator's resolution of one, as the place
page and the API (app/api/place_talk.py, which documents its bodies with these) carry them.
The choices are checked here; lengths and the rest by the service."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext
from marshmallow import fields, post_load, validate

from app.inputs.base import Strict
from app.models.statuses import TalkKind
from app.services.conversation.talk import RESOLUTIONS, TalkInput

_KIND = lazy_gettext("Choose a question or a correction.")
_BODY = lazy_gettext("Write your question or correction.")


class TalkSchema(Strict):
    kind = fields.String(load_default=TalkKind.QUESTION.value,
                         validate=validate.OneOf([k.value for k in TalkKind], error=_KIND),
                         metadata={"description": "question or correction",
                                   "example": "correction"})
    body = fields.String(required=True, error_messages={"required": _BODY},
                         metadata={"description": "The note, plain text",
                                   "example": "The plaque is on the other corner."})

    @post_load
    def _talk(self, data: dict, **kwargs) -> TalkInput:
        return TalkInput(**data)


@dataclass
class Resolution:
    status: str
    note: str = ""


class ResolveTalkSchema(Strict):
    status = fields.String(required=True,
                           validate=validate.OneOf([r.value for r in RESOLUTIONS]),
                           metadata={"description": "fixed or declined", "example": "fixed"})
    note = fields.String(load_default="",
                         metadata={"description": "What was done, shown with the note",
                                   "example": "Moved the marker to the corner."})

    @post_load
    def _resolution(self, data: dict, **kwargs) -> Resolution:
        return Resolution(**data)
