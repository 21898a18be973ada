"""Notifications pages: my notifications (read, unread), how each kind is mailed, and the
one-click unsubscribe every notification mail links to (RFC 8058: its POST carries no CSRF
token and no session, the signed token in the address is what allows it)."""

from __future__ import annotations

import contextlib

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from marshmallow import ValidationError as SchemaError
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice

from app.errors import FormErrors, ValidationError, errors_by_field, redirects_on_refusal
from app.extensions import csrf
from app.inputs.notifications import NotificationQuerySchema
from app.models.statuses import Delivery, NotificationKind
from app.services import inbox, notification_settings
from app.services.notification_mail import line_of

bp = Blueprint("notifications", __name__)

KIND_LABELS = {
    NotificationKind.STORY_DECISION: _l("Decisions about my stories"),
    NotificationKind.REPLY: _l("Replies to my stories and my replies"),
    NotificationKind.REACTION: _l("Thanks and “I remember this too”"),
    NotificationKind.FEATURED: _l("My story featured in a tour"),
    NotificationKind.PLACE_QUESTION: _l("Questions about places I wrote about"),
    NotificationKind.THEME_STORY: _l("New stories in themes I follow"),
}
DELIVERY_LABELS = {
    Delivery.IMMEDIATE: _l("At once"),
    Delivery.DAILY: _l("Daily digest"),
    Delivery.WEEKLY: _l("Weekly digest"),
    Delivery.NEVER: _l("No mail"),
}
PAGE = 100


@bp.after_request
def _private(response):
    # One person's notifications and settings: never cached, by the browser, a proxy or the
    # service worker.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.app_context_processor
def _unread_count() -> dict:
    """The unread count in the navigation, for people logged in (one counting query)."""
    # An error page must render even when the database is down (as the curators' counts).
    with contextlib.suppress(Exception):
        if current_user.is_authenticated:
            return {"unread_notifications": inbox.unread_count(current_user)}
    return {"unread_notifications": None}


def _ids(values: list[str]) -> list[int]:
    try:
        return [int(v) for v in values if 0 < int(v) < 2**63]
    except ValueError:
        raise ValidationError(_("Unknown notification."), field="ids") from None


@bp.get("/me/notifications", endpoint="inbox")
@login_required
def inbox_page():
    """My notifications, newest first, a page of them from below ``before``."""
    user = current_user._get_current_object()
    try:
        before = NotificationQuerySchema(only=("before",)).load(
            {k: v for k, v in request.args.items() if k == "before"})["before"]
    except SchemaError as exc:
        raise FormErrors(errors_by_field(exc)) from exc
    notes = inbox.list_for(user, limit=PAGE + 1, before_id=before)
    lines = [line_of(note) for note in notes[:PAGE]]
    return render_template("notifications/inbox.html", lines=lines,
                           unread=inbox.unread_count(user), before=before,
                           older=lines[-1].id if len(notes) > PAGE else None)


@bp.post("/me/notifications/read")
@login_required
@redirects_on_refusal(lambda: url_for("notifications.inbox"))
def mark_read():
    """Mark one notification (``ids``), or all of them, read; ``unread=1`` undoes it."""
    user = current_user._get_current_object()
    ids = request.form.getlist("ids")
    inbox.mark_read(user, _ids(ids) if ids else None, read=request.form.get("unread") != "1")
    return redirect(url_for("notifications.inbox"), code=303)


def _settings_form(user, formdata=None):
    chosen = notification_settings.settings_for(user)

    class SettingsForm(FlaskForm):
        pass

    for kind, label in KIND_LABELS.items():
        setattr(SettingsForm, kind.value, RadioField(
            label, default=chosen[kind].value,
            choices=[SelectChoice(d.value, DELIVERY_LABELS[d])
                     for d in notification_settings.choices_for(kind)]))
    return SettingsForm(formdata=formdata)


@bp.route("/me/notifications/settings", methods=["GET", "POST"])
@login_required
def settings():
    user = current_user._get_current_object()
    if request.method == "GET":
        return render_template("notifications/settings.html", form=_settings_form(user))
    form = _settings_form(user, request.form)
    if not form.validate():
        return render_template("notifications/settings.html", form=form), 422
    for kind in KIND_LABELS:
        notification_settings.set_delivery(user, kind, getattr(form, kind.value).data)
    flash(_("Your notification settings are saved."), "success")
    return redirect(url_for("notifications.settings"), code=303)


@bp.get("/notifications/unsubscribe/<token>")
def unsubscribe_page(token: str):
    """The link in a mail's text: a page asking to confirm (a link prefetched by a mail
    scanner must not unsubscribe anyone)."""
    try:
        _user, kinds = notification_settings.read_unsubscribe(token)
    except ValidationError as exc:
        return render_template("notifications/unsubscribe.html", problem=str(exc)), 400
    return render_template("notifications/unsubscribe.html", token=token, done=False,
                           kinds=[KIND_LABELS[k] for k in kinds])


@bp.post("/notifications/unsubscribe/<token>")
@csrf.exempt
def unsubscribe(token: str):
    """RFC 8058 one-click: the mail client posts ``List-Unsubscribe=One-Click`` here (so
    does the confirmation page); the kinds the token names are no longer mailed."""
    try:
        _user, kinds = notification_settings.unsubscribe(token)
    except ValidationError as exc:
        return render_template("notifications/unsubscribe.html", problem=str(exc)), 400
    return render_template("notifications/unsubscribe.html", done=True,
                           kinds=[KIND_LABELS[k] for k in kinds])
