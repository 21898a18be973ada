"""What the notifications API takes: the list's query (how many, from below which id, unread
only) and marking read (some ids or all; ``read: false`` marks them unread again)."""

from __future__ import annotations

from marshmallow import fields, validate

from app.inputs.base import Strict

MAX_PAGE = 100
MAX_IDS = 500
ID = validate.Range(min=1, max=2**63 - 1)


class NotificationQuerySchema(Strict):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PAGE),
                           metadata={"description": "how many, newest first", "example": 20})
    before = fields.Integer(load_default=None, validate=ID, metadata={
        "description": "only notifications older than this id (the next page)",
        "example": 120})
    unread = fields.Boolean(load_default=False, metadata={"description": "unread ones only"})


class MarkReadSchema(Strict):
    ids = fields.List(fields.Integer(strict=True, validate=ID), load_default=None,
                      allow_none=True, validate=validate.Length(min=1, max=MAX_IDS),
                      metadata={"description": "the notifications to mark; none: all of mine",
                                "example": [120, 118]})
    read = fields.Boolean(load_default=True, metadata={
        "description": "false marks them unread again", "example": True})
