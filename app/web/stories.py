"""Story pages: a story's own page and permalink, and "Add your memory of this place"."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.errors import rerenders_form
from app.inputs.base import from_form
from app.inputs.stories import StorySchema
from app.licences import names_and_links
from app.models.usage import OfferingKind
from app.services import places as place_service
from app.services import stories as story_service
from app.services.insights import counting
from app.web.forms import messages_by_field

bp = Blueprint("stories", __name__)


def _me():
    return current_user._get_current_object() if current_user.is_authenticated else None


@bp.get("/stories/<int:story_id>")
def story(story_id: int):
    found = story_service.get_story_or_none(story_id)
    if found is None or not story_service.can_see(_me(), found):
        abort(404)
    media = [m for m in found.media if story_service.is_public_medium(m)
             or story_service.can_edit(_me(), found)]
    public = story_service.is_public(found)
    page = make_response(render_template(
        "stories/story.html", story=found, place=found.place, media=media,
        public=public,
        page_url=url_for("stories.story", story_id=found.id, _external=True),
        can_withdraw=_me() is not None and _me().id in (found.author_id, found.helper_id),
    ))
    # A public story's view is counted as a tour's is (anonymous, after the response).
    return counting.counted_views(page, request.method, request.headers, OfferingKind.STORY,
                                  [found.id] if public else [])


def _render_new(place, values=None, errors=None, status=200):
    body = render_template(
        "stories/new.html", place=place, v=values or {}, errors=errors or {},
        languages=current_app.config["LANGUAGES"], licences=names_and_links(),
        offered=current_app.config["MEDIA_LICENCES"],
    )
    return body, status, {"Cache-Control": "no-store"}


def _open_place(place_id: int):
    place = place_service.get_public_place(place_id)
    if place is None:
        abort(404)
    return place


@bp.get("/places/<int:place_id>/stories/new")
@login_required
def new(place_id: int):
    return _render_new(_open_place(place_id))


def _refused(errors, exc, place_id: int):
    return _render_new(_open_place(place_id), request.form.to_dict(), messages_by_field(errors),
                       getattr(exc, "status", 422))


@bp.post("/places/<int:place_id>/stories")
@login_required
@rerenders_form(_refused)
def add(place_id: int):
    """The form's story at this place (no map step: the place is chosen)."""
    # The page's CSRF token is the form's, not the story's (the schema refuses what it
    # does not take, as the API will).
    inp = from_form(StorySchema(), {k: v for k, v in request.form.items() if k != "csrf_token"})
    made = story_service.add_story(_me(), place_id, inp)
    flash(_("Thank you. Your story waits for a curator and is shown here once approved."),
          "success")
    return redirect(url_for("stories.story", story_id=made.id), code=303)


@bp.post("/stories/<int:story_id>/withdraw")
@login_required
def withdraw(story_id: int):
    """The narrator (or their helper) takes their story back, at any time."""
    found = story_service.withdraw_story(_me(), story_id)
    flash(_("Your story was withdrawn. It is no longer shown anywhere."), "success")
    return redirect(url_for("visitor.place", place_id=found.place_id), code=303)
