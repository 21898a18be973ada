"""Questions and corrections on a place's page: the form posts here (logged-in people who
are not muted) and the page shows the list (``visitor.place`` reads it, the partial
templates/visitor/_talk.html shows it). A refused note is flashed back to the page."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.errors import Forbidden, redirects_on_refusal
from app.inputs.base import from_form
from app.inputs.place_talk import ResolveTalkSchema, TalkSchema
from app.models.statuses import TalkStatus
from app.services.conversation import rules, talk

bp = Blueprint("place_talk", __name__)


def _fields() -> dict:
    # The page's CSRF token is the form's, not the note's: the schemas refuse any other
    # field, as the API does.
    return {k: v for k, v in request.form.items() if k != "csrf_token"}


def _place_page(place_id: int) -> str:
    return url_for("visitor.place", place_id=place_id, _anchor="talk")


@bp.post("/places/<int:place_id>/talk")
@login_required
@redirects_on_refusal(_place_page)
def post(place_id: int):
    user = current_user._get_current_object()
    rules.check_may_talk(user)
    made = talk.post(user, place_id, from_form(TalkSchema(), _fields()))
    if made.status == TalkStatus.PENDING:
        flash(_("Thank you. A curator will look at your note before it is shown."), "info")
    else:
        flash(_("Thank you. Your note is shown on the place's page."), "success")
    return redirect(_place_page(place_id), code=303)



def _talk_page(talk_id: int) -> str:
    return _place_page(talk.get_talk(talk_id).place_id)


@bp.post("/talk/<int:talk_id>/resolve")
@login_required
@redirects_on_refusal(_talk_page)
def resolve(talk_id: int):
    """Curators resolve a note from the place's page (``talk.resolve`` checks the role
    before the form is read)."""
    user = current_user._get_current_object()
    if not user.is_curator:
        raise Forbidden(_("Only curators may do this."))
    data = from_form(ResolveTalkSchema(), _fields())
    found = talk.resolve(user, talk_id, data.status, data.note)
    flash(_("The note is resolved."), "success")
    return redirect(_place_page(found.place_id), code=303)
