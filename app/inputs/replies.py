"""Replies as the reply form and the API take them: shapes here (lengths, ids); what the text
may hold, who may write and whether it waits, in ``app.services.conversation``."""

from __future__ import annotations

from marshmallow import fields, pre_load, validate

from app.inputs.base import Strict
from app.models.conversation import MAX_REPLY
from app.models.story import MAX_TITLE

_ID = validate.Range(min=1, max=2**63 - 1)
_VERSION = validate.Range(min=1, max=2**31 - 1)


def _text(value):
    return value.replace("\r\n", "\n") if isinstance(value, str) else value


class _Text(Strict):
    @pre_load
    def _normalise(self, data, **kwargs):
        data = {k: _text(v) for k, v in dict(data).items()}
        if data.get("parent_id") == "":
            data["parent_id"] = None
        return data


class ReplySchema(_Text):
    """A new reply: its Markdown-light text, the reply it answers (optional), and, for
    curators, whether it is the city's official answer."""

    body = fields.String(required=True, validate=validate.Length(max=MAX_REPLY), metadata={
        "description": "Markdown-light (links, *emphasis*); published under CC BY-SA 4.0",
        "example": "Ich war auch dabei, 1965 auf dem *Schlitten*."})
    parent_id = fields.Integer(load_default=None, allow_none=True, strict=False,
                               validate=_ID, metadata={
                                   "description": "the reply this one answers"})
    official = fields.Boolean(load_default=False, metadata={
        "description": "curators only: the city's answer (403 for anyone else)"})


class ReplyEditSchema(_Text):
    """The author's new text of their reply, from the ``version`` they read."""

    body = fields.String(required=True, validate=validate.Length(max=MAX_REPLY), metadata={
        "example": "Ich war auch dabei, im Winter 1965."})
    version = fields.Integer(required=True, strict=False, validate=_VERSION, metadata={
        "description": "the reply version the edit starts from", "example": 1})


class ReplyVersionSchema(Strict):
    """Removing a reply: optionally the version the author read (409 when it changed)."""

    version = fields.Integer(load_default=None, allow_none=True, strict=False,
                             validate=_VERSION, metadata={"example": 1})


class ReplyToStorySchema(_Text):
    """Turning a reply into a story: its title (else the reply's first words)."""

    title = fields.String(load_default="", validate=validate.Length(max=MAX_TITLE),
                          metadata={"example": "Schlittenfahren 1965"})
