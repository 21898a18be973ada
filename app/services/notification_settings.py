"""How each person wants to be mailed, per kind of event (immediately, a daily or weekly
digest, never), and the signed one-click unsubscribe of every notification mail.

The unsubscribe token names the account and the kinds a mail was about and is signed with
the app's secret (itsdangerous, as the password reset link is); it does not expire, since
RFC 8058 asks that the link keep working, and posting it twice changes nothing more.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from app.errors import ValidationError
from app.extensions import db
from app.models import User
from app.models.notification import NotificationSetting
from app.models.statuses import Delivery, NotificationKind

UNSUBSCRIBE_SALT = "stadtspur.notifications-unsubscribe"
# How each kind is mailed while a person has not chosen: what concerns their own story at
# once, the many small things in a digest, new stories in followed themes weekly.
DEFAULT_DELIVERY: dict[NotificationKind, Delivery] = {
    NotificationKind.STORY_DECISION: Delivery.IMMEDIATE,
    NotificationKind.REPLY: Delivery.IMMEDIATE,
    NotificationKind.REACTION: Delivery.WEEKLY,
    NotificationKind.FEATURED: Delivery.IMMEDIATE,
    NotificationKind.PLACE_QUESTION: Delivery.DAILY,
    NotificationKind.THEME_STORY: Delivery.WEEKLY,
}
# Kinds that are never mailed one by one (a new story in a followed theme: digest only).
DIGEST_ONLY = frozenset({NotificationKind.THEME_STORY})
# How long a bundle of reactions keeps gathering.


def delivery_for(user_id: int, kind: NotificationKind | str) -> Delivery:
    """How ``user_id`` wants ``kind`` mailed: their setting, else the kind's default."""
    kind = NotificationKind(kind)
    chosen = db.session.scalar(
        select(NotificationSetting.delivery).where(NotificationSetting.user_id == user_id,
                                                   NotificationSetting.kind == kind))
    return Delivery(chosen) if chosen else DEFAULT_DELIVERY[kind]


def choices_for(kind: NotificationKind | str) -> list[Delivery]:
    """The deliveries a person may choose for ``kind`` (new stories in a followed theme come
    in a digest or not at all)."""
    if NotificationKind(kind) in DIGEST_ONLY:
        return [Delivery.DAILY, Delivery.WEEKLY, Delivery.NEVER]
    return list(Delivery)


def settings_for(user: User) -> dict[NotificationKind, Delivery]:
    """Every kind with how ``user`` is mailed about it (their choice, else the default)."""
    chosen = dict(db.session.execute(
        select(NotificationSetting.kind, NotificationSetting.delivery)
        .where(NotificationSetting.user_id == user.id)).all())
    return {kind: Delivery(chosen.get(kind, default)) for kind, default in DEFAULT_DELIVERY.items()}


def set_delivery(user: User, kind: str, delivery: str) -> None:
    """``user`` wants ``kind`` mailed as ``delivery``; ValidationError for an unknown kind or
    a delivery that kind does not offer."""
    try:
        kind = NotificationKind(kind)
    except ValueError:
        raise ValidationError(_("Unknown kind of notification."), field="kind") from None
    try:
        delivery = Delivery(delivery)
    except ValueError:
        raise ValidationError(_("Choose immediately, daily, weekly or never."),
                              field=kind.value) from None
    if delivery not in choices_for(kind):
        raise ValidationError(_("This kind of notification comes in a digest or not at all."),
                              field=kind.value)
    db.session.execute(
        insert(NotificationSetting)
        .values(user_id=user.id, kind=kind.value, delivery=delivery.value)
        .on_conflict_do_update(index_elements=["user_id", "kind"],
                               set_={"delivery": delivery.value}))


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(user_id: int, *kinds: str) -> str:
    """The signed token of a mail's one-click unsubscribe: ``user_id`` stops mail of
    ``kinds``."""
    return _serializer().dumps({"u": user_id, "k": sorted(str(k) for k in kinds)})


def read_unsubscribe(token: str) -> tuple[User, list[NotificationKind]]:
    """The account and kinds ``token`` unsubscribes; ValidationError when forged."""
    try:
        data = _serializer().loads(token)
        user = db.session.get(User, int(data["u"]))
        kinds = [NotificationKind(k) for k in data["k"]]
    except (BadSignature, KeyError, TypeError, ValueError):
        raise ValidationError(_("This unsubscribe link is not valid."), field="token") from None
    if user is None or not kinds:
        raise ValidationError(_("This unsubscribe link is not valid."), field="token")
    return user, kinds


def unsubscribe(token: str) -> tuple[User, list[NotificationKind]]:
    """Turn off the mail of the kinds ``token`` names (RFC 8058 one-click); the app keeps
    showing them."""
    user, kinds = read_unsubscribe(token)
    for kind in kinds:
        set_delivery(user, kind, Delivery.NEVER)
    return user, kinds
