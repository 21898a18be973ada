"""The place page's query: how its stories are ordered and filtered (a plain GET form that
works without JavaScript, so every choice is an address that can be shared)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext
from marshmallow import Schema, ValidationError, fields, post_load, validate

from app.models.statuses import StoryKind
from app.services.stories import PAGE_ORDERS

_BAD_ORDER = lazy_gettext("Order the stories by newest or by era.")
_BAD_LANGUAGE = lazy_gettext("Choose a language Stadtspur offers.")
_BAD_KIND = lazy_gettext("Choose memory, history or tip.")


@dataclass(frozen=True)
class StoryListArgs:
    """The order and filters asked for ("" for any language or kind)."""

    order: str = PAGE_ORDERS[0]
    language: str = ""
    kind: str = ""


def _offered_language(value: str) -> None:
    if value and value not in current_app.config["LANGUAGES"]:
        raise ValidationError(str(_BAD_LANGUAGE))


class StoryListSchema(Schema):
    """Other query arguments (a campaign's tag, a cache breaker) are ignored, as on every
    page; an empty value is the form's "any"."""

    order = fields.String(load_default=PAGE_ORDERS[0], validate=validate.OneOf(
        ("", *PAGE_ORDERS), error=_BAD_ORDER))
    language = fields.String(load_default="", validate=_offered_language)
    kind = fields.String(load_default="", validate=validate.OneOf(
        ("", *(k.value for k in StoryKind)), error=_BAD_KIND))

    @post_load
    def _args(self, data: dict, **kwargs) -> StoryListArgs:
        return StoryListArgs(order=data["order"] or PAGE_ORDERS[0], language=data["language"],
                             kind=data["kind"])
