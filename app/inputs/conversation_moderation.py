"""A curator's decisions about the conversation as the curator pages carry them: a reply's
or place note's review, a reply hidden, removed or shown again, a mute and the watched
words. Shapes here; whether the item still waits is the service's."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext
from marshmallow import fields, post_load, validate

from app.inputs.base import Strict
from app.services.moderation import REASON_CODES
from app.services.moderation.conversation import REPLY_ACTIONS, REPLY_DECISIONS

_REASON = lazy_gettext("Choose a reason from the list.")


@dataclass
class ConversationDecision:
    decision: str
    reason: str | None = None
    message: str = ""


def _reason() -> fields.String:
    return fields.String(load_default=None, allow_none=True,
                         validate=validate.OneOf(["", *REASON_CODES], error=_REASON))


def _message() -> fields.String:
    return fields.String(load_default="")


class ReviewSchema(Strict):
    """Approve or reject a waiting reply or place note."""

    decision = fields.String(required=True, validate=validate.OneOf(REPLY_DECISIONS))
    reason = _reason()
    message = _message()

    @post_load
    def _decision(self, data: dict, **kwargs) -> ConversationDecision:
        return ConversationDecision(**data)


class ActionSchema(Strict):
    """Hide, remove or show again a reply already decided."""

    action = fields.String(required=True, validate=validate.OneOf(REPLY_ACTIONS))
    reason = _reason()
    message = _message()

    @post_load
    def _decision(self, data: dict, **kwargs) -> ConversationDecision:
        return ConversationDecision(decision=data["action"], reason=data.get("reason"),
                                    message=data.get("message", ""))


@dataclass
class MuteInput:
    who: str
    reason: str


class MuteSchema(Strict):
    who = fields.String(required=True, validate=validate.Length(max=320))
    reason = fields.String(load_default="")

    @post_load
    def _mute(self, data: dict, **kwargs) -> MuteInput:
        return MuteInput(**data)


class UnmuteSchema(Strict):
    message = fields.String(load_default="")


class WatchedWordSchema(Strict):
    phrase = fields.String(required=True)
