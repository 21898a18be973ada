"""Contributor pages: /contribute (add a story) and /me/contributions (mine, edit while
pending). The form works without JavaScript; static/js/contribute.js adds the map, GPS,
photo positions, recording, the draft kept across reloads, the offline queue and the places
nearby while the position is chosen.

"Is it one of these?": a contribution near public places is answered with them (the page
again, or the API's 409 ``possible_duplicate``); each offers "Add my story here", a button
that posts the typed text to that place's add-a-story form, and a new place is made only
when the contributor ticks "It is a different place"."""

from __future__ import annotations

import uuid

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from geoalchemy2.shape import to_shape

from app.errors import rerenders_form
from app.inputs.contribution import contribution_edit_from, contribution_from, similar_query
from app.licences import licence_name
from app.models.statuses import MediaKind
from app.services import contribute as service
from app.services.media import setting
from app.services.themes import theme_choices
from app.web.forms import messages_by_field
from geo.era import DECADE

bp = Blueprint("contribute", __name__)


def _themes() -> list[dict]:
    return theme_choices(str(get_locale()))


def _licence_options() -> list[dict]:
    """The offered media licences with their names, for the per-photo choice in the page."""
    return [{"code": code, "name": licence_name(code)}
            for code in setting("MEDIA_LICENCES")]


def _page_values(values: dict | None = None) -> dict:
    user = current_user._get_current_object()
    base = {
        "title": "", "body": "", "lon": "", "lat": "", "accuracy": "", "position_source": "",
        "themes": [], "era": "", "language": str(get_locale()), "credit_name": user.display_name,
        "photo_licence": current_app.config["DEFAULT_MEDIA_LICENCE"],
        "audio_licence": current_app.config["DEFAULT_MEDIA_LICENCE"],
        "author_name": "", "consent_method": "", "consent_date": "", "photo_caption": "",
        "licence_consent": False, "position_from_photo": False, "not_duplicate": False,
        "idempotency_key": uuid.uuid4().hex,
    }
    base.update(values or {})
    return base


def _with_links(candidates: list[dict]) -> list[dict]:
    """The places nearby with their page and their add-a-story form (which takes the text
    typed here over when posted to)."""
    return [{**c, "url": url_for("visitor.place", place_id=c["id"]),
             "add_story_url": url_for("stories.new", place_id=c["id"])}
            for c in candidates]


def _render_form(values=None, errors=None, candidates=None, status=200):
    user = current_user._get_current_object()
    return render_template(
        "contribute/form.html",
        v=_page_values(values),
        errors=errors or {},
        candidates=_with_links(candidates or []),
        themes=_themes(),
        can_act_on_behalf=user.is_curator or user.is_helper,
        licences=setting("MEDIA_LICENCES"),
        licence_options=_licence_options(),
        consent_methods=service.ON_BEHALF_METHODS,
        languages=current_app.config["LANGUAGES"],
        limits={
            "maxPhotos": setting("MAX_PHOTOS"),
            "maxPhotoBytes": setting("MAX_PHOTO_BYTES"),
            "maxAudioSeconds": setting("MAX_AUDIO_SECONDS"),
            "maxRequestBytes": current_app.config["MAX_CONTENT_LENGTH"],
        },
        service_area=current_app.config["SERVICE_AREA"],
    ), status


def _values_from_request() -> dict:
    form = request.form
    values = {k: form.get(k, "") for k in (
        "title", "body", "lon", "lat", "accuracy", "position_source", "era", "language",
        "credit_name", "photo_licence", "audio_licence", "author_name", "consent_method",
        "consent_date", "photo_caption", "idempotency_key")}
    values["themes"] = form.getlist("themes")
    for flag in ("licence_consent", "position_from_photo", "not_duplicate"):
        values[flag] = bool(form.get(flag))
    return values


@bp.after_request
def _not_for_caches(response):
    # These pages carry a CSRF token and personal data: no shared or service-worker cache.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/contribute")
@login_required
def form():
    return _render_form()


def _refused_form(errors, exc, *_args, **_kwargs):
    candidates = getattr(exc, "candidates", None)
    return _render_form(_values_from_request(), messages_by_field(errors), candidates,
                        getattr(exc, "status", 422))


@bp.post("/contribute")
@login_required
@rerenders_form(_refused_form)
def submit():
    """The form without JavaScript (with it, the page posts to the API instead)."""
    inp = contribution_from(request.form, request.files)
    place, _created = service.create_contribution(
        current_user._get_current_object(), inp,
        idempotency_key=request.form.get("idempotency_key") or None,
    )
    return redirect(url_for("contribute.mine", sent=place.id, _anchor=f"place-{place.id}"),
                    code=303)


@bp.get("/contribute/similar")
@login_required
def similar():
    """The public places near the chosen position ("is it one of these?"), asked for live
    as the position is chosen and the title typed."""
    query = similar_query(request.args)
    if query is None:
        return jsonify({"candidates": []})
    title, lon, lat = query
    return jsonify({"candidates": _with_links(service.nearby_places(lon, lat, title))})


@bp.get("/contribute/csrf")
@login_required
def csrf_token():
    """A fresh CSRF token for the offline queue, which may send long after the page loaded
    (from the page or from the service worker)."""
    resp = jsonify({"csrf_token": generate_csrf()})
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/me/contributions")
@login_required
def mine():
    items = service.my_contributions(current_user._get_current_object())
    return render_template(
        "contribute/mine.html", items=items, sent=request.args.get("sent", type=int),
        locale=str(get_locale()),
    )


def _edit_values(place) -> dict:
    point = to_shape(place.geom)
    era = ""
    if place.era_year:
        era = f"{place.era_year}s" if place.era_precision == DECADE else str(place.era_year)
    return {
        "title": place.title, "body": place.body, "lon": f"{point.x:.7f}",
        "lat": f"{point.y:.7f}", "themes": [t.slug for t in place.themes], "era": era,
        "language": place.language, "credit_name": place.credit_name,
        "position_source": "map",
    }


def _render_edit(place, values, errors=None, status=200):
    return render_template(
        "contribute/edit.html",
        place=place,
        v=_page_values(values),
        errors=errors or {},
        themes=_themes(),
        languages=current_app.config["LANGUAGES"],
        licences=setting("MEDIA_LICENCES"),
        licence_options=_licence_options(),
        media=[m for m in place.media if m.kind != MediaKind.CONSENT_SCAN],
        limits={"maxPhotos": setting("MAX_PHOTOS")},
        service_area=current_app.config["SERVICE_AREA"],
    ), status


def _refused_edit(errors, exc, place_id: int):
    place = service.get_own(current_user._get_current_object(), place_id)
    return _render_edit(place, _values_from_request(), messages_by_field(errors),
                        getattr(exc, "status", 422))


@bp.route("/me/contributions/<int:place_id>/edit", methods=["GET", "POST"])
@login_required
@rerenders_form(_refused_edit)
def edit(place_id: int):
    user = current_user._get_current_object()
    place = service.get_own(user, place_id)
    if request.method == "GET":
        if place.status not in service.EDITABLE_STATUSES:
            return render_template("contribute/not_editable.html", place=place), 409
        return _render_edit(place, _edit_values(place))
    edit = contribution_edit_from(request.form, request.files)
    service.update_contribution(user, place_id, edit.contribution, version=edit.version,
                                remove_media=edit.remove_media)
    flash(_("Your changes are saved and wait for review."), "info")
    return redirect(url_for("contribute.mine", _anchor=f"place-{place_id}"), code=303)
