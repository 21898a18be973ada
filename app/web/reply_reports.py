"""Reporting a reply without JavaScript: the thread's report form posts here (with
JavaScript it may post the same fields to POST /api/v1/flags with ``reply_id``). As the
place page's report, a visitor's form carries no CSRF token (it would set a session cookie
on a public page) and is checked by its headers; someone logged in sends the token."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.errors import ValidationError
from app.extensions import csrf
from app.inputs.base import from_form
from app.inputs.moderation import ReportSchema
from app.services import flags as flag_service
from app.services.moderation import conversation
from app.web.forms import refuse_cross_site

bp = Blueprint("reply_reports", __name__)


@bp.post("/replies/<int:reply_id>/report")
@csrf.exempt
def report(reply_id: int):
    refuse_cross_site()
    if current_user.is_authenticated:
        csrf.protect()
    user = current_user._get_current_object() if current_user.is_authenticated else None
    try:
        asked = from_form(ReportSchema(), {"reason": request.form.get("reason", ""),
                                           "message": request.form.get("message", "")})
        flag = flag_service.create_flag(user, reply_id=reply_id, reason=asked.reason,
                                        message=asked.message,
                                        remote_addr=request.remote_addr or "")
    except ValidationError as exc:
        return render_template("errors/error.html", status=422, title=_("Report not sent"),
                               message=exc.message), 422
    story_id = conversation.get_reply(flag.reply_id).story_id
    flash(_("Thank you. A curator will look at your report."), "success")
    return redirect(url_for("stories.story", story_id=story_id, _anchor=f"reply-{reply_id}"),
                    code=303)
