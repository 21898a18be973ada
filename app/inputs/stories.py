"""A story's input (the add-your-memory page; the API's story endpoints will load the same
schema): shapes checked here, the rules (era, language, licence, consent) in
``app.services.stories``."""

from __future__ import annotations

from marshmallow import fields, post_load, pre_load, validate

from app.inputs.base import Strict
from app.models.statuses import StoryKind
from app.models.story import MAX_TITLE
from app.services.stories import StoryInput

MAX_NAME = 120


def _text(value):
    return value.strip().replace("\r\n", "\n") if isinstance(value, str) else value


class StorySchema(Strict):
    """A new story at a place, or an edit of one (then ``licence_consent`` is not needed)."""

    title = fields.String(required=True, validate=validate.Length(min=1, max=MAX_TITLE))
    body = fields.String(load_default="")
    kind = fields.String(load_default=StoryKind.MEMORY.value,
                         validate=validate.OneOf([k.value for k in StoryKind]))
    language = fields.String(load_default="")
    era = fields.String(load_default="")
    licence = fields.String(load_default="")
    credit_name = fields.String(load_default="", validate=validate.Length(max=MAX_NAME))
    licence_consent = fields.Boolean(load_default=False)
    author_name = fields.String(load_default="", validate=validate.Length(max=MAX_NAME))
    consent_method = fields.String(load_default="")
    consent_date = fields.Date(load_default=None, allow_none=True)

    @pre_load
    def _normalise(self, data, **kwargs):
        data = {k: _text(v) for k, v in dict(data).items()}
        if data.get("consent_date") == "":
            data["consent_date"] = None
        if data.get("kind") == "":
            data.pop("kind")
        return data

    @post_load
    def _story(self, data: dict, **kwargs) -> StoryInput:
        return StoryInput(**data)
