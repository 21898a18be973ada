"""Story pages: a story's own page and permalink, and "Add your memory of this place" with
its photos and recording."""

from __future__ import annotations

import uuid

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
from app.inputs.stories import story_upload_from
from app.licences import names_and_links
from app.models.usage import OfferingKind
from app.services import places as place_service
from app.services import stories as story_service
from app.services import story_media
from app.services.insights import counting
from app.services.media import setting
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
    # A refused form keeps its key: nothing was stored under it, and a double submit of the
    # corrected form still makes one story.
    values = {"idempotency_key": uuid.uuid4().hex, **(values or {})}
    body = render_template(
        "stories/new.html", place=place, v=values, errors=errors or {},
        languages=current_app.config["LANGUAGES"], licences=names_and_links(),
        offered=current_app.config["MEDIA_LICENCES"],
        default_licence=current_app.config["DEFAULT_MEDIA_LICENCE"],
        max_photos=setting("MAX_PHOTOS"),
        can_act_on_behalf=bool(_me() and (_me().is_curator or _me().is_helper)),
    )
    return body, status, {"Cache-Control": "no-store"}


def _open_place(place_id: int):
    place = place_service.get_public_place(place_id)
    if place is None:
        abort(404)
    return place


# What the contribution form's "Is it one of these? Add your story there" takes over (its
# text; files cannot travel in a form and are chosen again; consent is given here anew).
CARRIED = ("title", "body", "era", "language", "credit_name", "photo_caption", "author_name",
           "consent_method", "consent_date")


@bp.route("/places/<int:place_id>/stories/new", methods=["GET", "POST"])
@login_required
def new(place_id: int):
    """The add-a-story form; POSTed to by the contribution form (and a story queued on the
    phone) near this place, it shows the text typed there, to be sent from here. Nothing is
    stored by it; a POST in the body rather than the query string keeps the text out of
    addresses, histories and logs."""
    carried = None
    if request.method == "POST":
        carried = {k: v for k in CARRIED if (v := request.form.get(k, "").strip())}
    return _render_new(_open_place(place_id), carried)


def _refused(errors, exc, place_id: int):
    return _render_new(_open_place(place_id), request.form.to_dict(), messages_by_field(errors),
                       getattr(exc, "status", 422))


@bp.post("/places/<int:place_id>/stories")
@login_required
@rerenders_form(_refused)
def add(place_id: int):
    """The form's story at this place (no map step: the place is chosen), with its photos
    and recording: the same schema and service as ``POST /api/v1/places/<id>/stories``."""
    upload = story_upload_from(request.form, request.files, page=True)
    made, _created = story_media.add_story_with_media(
        _me(), place_id, upload, idempotency_key=request.form.get("idempotency_key") or None)
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
