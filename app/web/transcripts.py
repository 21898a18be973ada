"""Transcripts on the pages: each recording's text under its player (escaped plain text),
"Add a transcript" for those who may write it, and the form page (PRG)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.errors import rerenders_form
from app.inputs.base import from_form
from app.inputs.story_suggestions import TranscriptSchema
from app.services import transcripts as service
from app.web.forms import messages_by_field

bp = Blueprint("transcripts", __name__)


def _fields() -> dict:
    """The form's fields without the page's CSRF token (the schema refuses what it does
    not take, as the API does)."""
    return {k: v for k, v in request.form.items() if k != "csrf_token"}


def _me():
    return current_user._get_current_object() if current_user.is_authenticated else None


@bp.app_template_global()
def transcript_view(medium_id: int) -> dict:
    """A recording's transcript as its player shows it: the paragraphs, and whether the
    person looking may add or correct it. The pages have loaded the medium already, so this
    reads it from the session without a query."""
    medium = service.loaded_recording(medium_id)
    if medium is None:
        return {"paragraphs": [], "can_edit": False}
    text = medium.transcript or ""
    return {"paragraphs": [p.split("\n") for p in text.split("\n\n") if p.strip()],
            "can_edit": service.can_transcribe(_me(), medium), "language": (
                medium.story.language if medium.story is not None else None)}


def _back_url(medium) -> str:
    if medium.story_id is not None:
        return url_for("stories.story", story_id=medium.story_id)
    return url_for("visitor.place", place_id=medium.place_id)


def _recording_for(user, media_id: int):
    medium = service.get_recording(media_id)
    if not service.can_transcribe(user, medium):
        abort(403)
    return medium


def _render(medium, value=None, errors=None, status=200):
    body = render_template(
        "stories/transcript.html", medium=medium, story=medium.story, place=medium.place,
        value=medium.transcript if value is None else value, errors=errors or {},
        back_url=_back_url(medium), max_length=service.MAX_TRANSCRIPT)
    return body, status, {"Cache-Control": "no-store"}


@bp.get("/media/<int:media_id>/transcript")
@login_required
def edit(media_id: int):
    return _render(_recording_for(_me(), media_id))


def _refused(errors, exc, media_id: int):
    return _render(_recording_for(_me(), media_id), request.form.get("transcript", ""),
                   messages_by_field(errors), getattr(exc, "status", 422))


@bp.post("/media/<int:media_id>/transcript")
@login_required
@rerenders_form(_refused)
def save(media_id: int):
    """Set or correct the transcript; back to the page that shows the recording."""
    # The role check comes before the text is read (a 403 says nothing of the form).
    _recording_for(_me(), media_id)
    data = from_form(TranscriptSchema(), _fields())
    medium = service.set_transcript(_me(), media_id, data["transcript"])
    flash(_("Thank you. The transcript is saved.") if medium.transcript
          else _("The transcript was removed."), "success")
    return redirect(_back_url(medium), code=303)
