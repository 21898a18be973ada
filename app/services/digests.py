"""Daily and weekly digests: one mail per person with the notifications they want gathered
(per kind, app/services/notification_settings.py) that no mail carried yet.

``flask notifications send-digests`` (cron) and the job runner's periodic task call
``send_due``. It is idempotent: a digest and the ``mailed_at`` of every notification it
carries are written in one transaction per person (the mail leaves once it committed), and
rows are taken with SKIP LOCKED, so a second run, even a concurrent one, sends nothing
again. Notifications whose subject is not public any more are left out (a hidden reply
leaves the digests not yet sent).
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import and_, case, func, literal, select

from app.extensions import db
from app.models import User
from app.models.notification import Notification, NotificationSetting
from app.services import inbox, notification_mail, notification_settings

PERIODS = ("daily", "weekly")


def _delivery():
    """Each notification's delivery for its person: their setting, else the kind's default."""
    default = case(*((Notification.kind == kind.value, literal(delivery.value))
                     for kind, delivery in notification_settings.DEFAULT_DELIVERY.items()),
                   else_=literal("never"))
    return func.coalesce(NotificationSetting.delivery, default)


def _pending(period: str):
    """The unmailed notifications, with a public subject, that ``period``'s digest carries."""
    return (select(Notification)
            .outerjoin(NotificationSetting, and_(
                NotificationSetting.user_id == Notification.user_id,
                NotificationSetting.kind == Notification.kind))
            .where(Notification.mailed_at.is_(None), _delivery() == period,
                   inbox.subject_public()))


def weekly_due(now: datetime | None = None) -> bool:
    """Whether today is the weekly digests' day (``NOTIFICATIONS_WEEKLY_DAY``, 0 = Monday)."""
    now = now or datetime.now(UTC)
    return now.weekday() == int(current_app.config.get("NOTIFICATIONS_WEEKLY_DAY", 0))


def users_due(period: str) -> list[int]:
    """The people owed a ``period`` digest."""
    rows = _pending(period).with_only_columns(Notification.user_id).distinct()
    return sorted(db.session.scalars(rows))


def send_digest(user_id: int, period: str) -> int:
    """Owe ``user_id`` their ``period`` digest and mark what it carries mailed, in the
    current transaction; the caller commits. Returns how many notifications it carries (0:
    none was due, or another run took them)."""
    user = db.session.get(User, user_id)
    notes = list(db.session.scalars(
        _pending(period).where(Notification.user_id == user_id)
        .order_by(Notification.created_at, Notification.id)
        .with_for_update(of=Notification, skip_locked=True)))
    if not notes:
        return 0
    now = datetime.now(UTC)
    for note in notes:
        note.mailed_at = now
    if user is not None and user.active:
        notification_mail.mail_digest(user, notes, period)
    db.session.flush()
    return len(notes)


def send_due(periods: tuple[str, ...] | None = None, *, commit=None) -> dict[str, int]:
    """Send every digest due: daily ones always, weekly ones on the weekly day (or the
    ``periods`` asked for). ``commit`` is called after each person's digest (the command
    passes the session's commit, so one failure does not resend the others). Returns the
    number of mails per period."""
    if periods is None:
        periods = ("daily", "weekly") if weekly_due() else ("daily",)
    sent = {}
    for period in periods:
        sent[period] = 0
        for user_id in users_due(period):
            if send_digest(user_id, period):
                sent[period] += 1
            if commit is not None:
                commit()
    return sent
