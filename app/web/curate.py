"""Curator pages: /curate (the queue as a list and a map), one item with its decision forms,
history / diff / restore of a place, reports, the moderation log, reply templates and (for
admins) roles; and /places/<id>/edit with optimistic locking for authors and curators.

Every form works without JavaScript (a decision redirects to the next item); with it,
static/js/curate.js sends decisions with fetch, swaps in the next item without a full reload
and adds keyboard shortcuts. A request asking for JSON gets JSON back from the same views,
and a refused decision as problem+json (``redirects_on_refusal`` in app/errors.py).

The views never commit or roll back: the request is one unit of work (app/errors.py).
"""

from __future__ import annotations

import contextlib
import math
from functools import wraps

from flask import (
    Blueprint,
    abort,
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

from app.errors import NotFound, redirects_on_refusal, rerenders_form, wants_json
from app.extensions import db, login_manager
from app.inputs.base import from_form
from app.inputs.edits import edit_from_form
from app.inputs.moderation import (
    LogArgs,
    MergeFormSchema,
    ReplyTemplateSchema,
    ResolveSchema,
    RestoreSchema,
    review_from_form,
)
from app.models import Place
from app.models.moderation import FLAG_REASONS
from app.models.statuses import PlaceStatus, RevisionStatus
from app.models.user import ROLES
from app.services import audit, moderation, revisions
from app.services import flags as flag_service
from app.services import stories as story_service
from app.services.places import lonlat
from app.services.themes import theme_choices
from app.web.forms import messages_by_field

bp = Blueprint("curate", __name__)


def curator_required(view):
    """Curators and admins; anyone else logged in gets 403, visitors go to the login page."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.is_curator:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def _me():
    return current_user._get_current_object()


@bp.after_request
def _private(response):
    # Curator pages carry CSRF tokens and unpublished content: never cached anywhere.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.app_context_processor
def _curate_counts() -> dict:
    """Queue counts for the navigation, for curators only (four small counting queries)."""
    # An error page must render even when the database is down; nothing to undo here, the
    # boundary rolls the failed unit of work back.
    with contextlib.suppress(Exception):
        if current_user.is_authenticated and current_user.is_curator:
            return {"curate_counts": moderation.counts()}
    return {"curate_counts": None}


def _themes() -> list[dict]:
    return theme_choices(str(get_locale()))


def _item_url(entry: dict | None, **filters) -> str | None:
    if entry is None:
        return None
    args = {k: v for k, v in filters.items() if v}
    if entry["kind"] in moderation.CONVERSATION_KINDS:
        # Replies and place notes are decided on their own pages (web/curate_conversation.py).
        return url_for(f"curate_conversation.{entry['kind']}", item_id=entry["id"], **args)
    return url_for("curate.item", kind=entry["kind"], item_id=entry["id"], **args)


def _filters() -> dict:
    kind = request.values.get("filter_kind") or request.args.get("kind") or None
    theme = request.values.get("filter_theme") or request.args.get("theme") or None
    return {"kind": kind if kind in moderation.KINDS else None, "theme": theme}


# --- queue and items ---------------------------------------------------------------------------


@bp.get("/curate")
@curator_required
def queue():
    f = _filters()
    items = moderation.queue(f["kind"], f["theme"])
    for i in items:
        i["url"] = _item_url(i, filter_kind=f["kind"], filter_theme=f["theme"])
    points = [{"lon": i["lon"], "lat": i["lat"], "title": i["title"], "url": i["url"],
               "kind": i["kind"]} for i in items if i["lon"] is not None]
    return render_template("curate/queue.html", items=items, filters=f, themes=_themes(),
                           counts=moderation.counts(), map_data={"items": points})


def _item_values(kind: str, item_id: int) -> dict:
    found = moderation.item(kind, item_id)
    f = {"filter_kind": request.args.get("filter_kind"),
         "filter_theme": request.args.get("filter_theme")}
    prev_item, next_item = moderation.neighbours(kind, item_id, f["filter_kind"],
                                                 f["filter_theme"])
    snap = found["snapshot"]
    place = found["place"]
    map_data = {
        "item": {"lon": snap["lon"], "lat": snap["lat"], "title": snap.get("title", "")},
        "radius": moderation.NEARBY_RADIUS_M,
        "nearby": found["nearby"],
    }
    if kind == "edit":
        old_lon, old_lat = lonlat(place)
        map_data["old"] = {"lon": old_lon, "lat": old_lat}
    return {
        "it": found, "snap": snap, "place": place, "filters": f,
        "prev_url": _item_url(prev_item, **f), "next_url": _item_url(next_item, **f),
        "reasons": moderation.REASON_CODES, "templates": moderation.templates(),
        "template_bodies": {str(t.id): t.body for t in moderation.templates()},
        "resolutions": flag_service.RESOLUTIONS, "flag_reasons": FLAG_REASONS,
        "map_data": map_data,
        "era": (story_service.era_text(found["story"]) if kind == "story"
                else revisions.base_era(snap)),
    }


@bp.get("/curate/<any(place, edit, media, flag, story):kind>/<int:item_id>")
@curator_required
def item(kind: str, item_id: int):
    try:
        values = _item_values(kind, item_id)
    except NotFound:
        # Decided meanwhile (by someone else, or in another tab): go on with the queue.
        flash(_("This item has been dealt with already."), "info")
        return redirect(url_for("curate.queue"), code=303)
    return render_template("curate/item.html", **values)


def _after_decision(kind: str, item_id: int, note: str, place_id: int | None = None):
    """Answer a decision: JSON for curate.js (with the next item), else a redirect to it."""
    f = {"filter_kind": request.form.get("filter_kind"),
         "filter_theme": request.form.get("filter_theme")}
    upcoming = moderation.next_item(kind, item_id, f["filter_kind"], f["filter_theme"])
    next_url = _item_url(upcoming, **f)
    if wants_json():
        return jsonify({"ok": True, "message": note, "next_url": next_url,
                        "queue_url": url_for("curate.queue"), "counts": moderation.counts()})
    flash(note, "success")
    return redirect(next_url or url_for("curate.queue"), code=303)


def _back_to_item(kind: str, item_id: int) -> str:
    """Where a refused decision goes back to: the item, with the message flashed."""
    return url_for("curate.item", kind=kind, item_id=item_id)


DECISION_NOTES = {
    "approve": lambda: _("Approved."),
    "reject": lambda: _("Rejected."),
    "request_changes": lambda: _("Changes requested."),
}


@bp.post("/curate/<any(place, edit, media, story):kind>/<int:item_id>/decide")
@curator_required
@redirects_on_refusal(_back_to_item)
def decide(kind: str, item_id: int):
    review = review_from_form(request.form)
    moderation.decide(_me(), kind, item_id, review.decision, message=review.message,
                      reason=review.reason, version=review.version, changes=review.changes)
    note = DECISION_NOTES.get(review.decision, lambda: _("Done."))()
    return _after_decision(kind, item_id, note)


def _merge_item() -> tuple[str, int | None]:
    """The queue item a merge form was sent from (a new place, or its reports)."""
    return request.form.get("kind", "place"), request.form.get("item_id", type=int)


@bp.post("/curate/places/<int:place_id>/merge")
@curator_required
@redirects_on_refusal(lambda place_id: _back_to_item(_merge_item()[0],
                                                     _merge_item()[1] or place_id))
def merge(place_id: int):
    kind, item_id = _merge_item()
    item_id = item_id or place_id
    into = from_form(MergeFormSchema(), request.form)
    target = moderation.merge(_me(), place_id, into.into, message=into.message,
                              version=into.version)
    return _after_decision(kind, item_id,
                           _("Merged into “%(title)s”.", title=target.title))


@bp.post("/curate/flag/<int:flag_id>/resolve")
@curator_required
@redirects_on_refusal(lambda flag_id: _back_to_item("flag", flag_id))
def resolve_flag(flag_id: int):
    resolution = from_form(ResolveSchema(), request.form)
    result = flag_service.resolve(_me(), flag_id, resolution.resolution,
                                  message=resolution.message)
    if resolution.resolution == "edit":
        edit_url = url_for("curate.edit_place", place_id=result["place_id"])
        if wants_json():
            return jsonify({"ok": True, "message": _("Reports closed: edit the place now."),
                            "next_url": edit_url, "full_page": True})
        return redirect(edit_url, code=303)
    return _after_decision("flag", flag_id, _("Reports resolved."))


# --- reports -----------------------------------------------------------------------------------


@bp.get("/curate/flags")
@curator_required
def flags():
    open_items = moderation.queue("flag")
    for i in open_items:
        i["url"] = _item_url(i)
    return render_template("curate/flags.html", items=open_items,
                           hidden=flag_service.hidden_content(),
                           resolved=flag_service.recent_resolved())


@bp.post("/curate/hidden/<any(place, media):target_type>/<int:target_id>/show")
@curator_required
def unhide(target_type: str, target_id: int):
    flag_service.unhide(_me(), target_type, target_id, message=request.form.get("message", ""))
    flash(_("It is visible again."), "success")
    return redirect(url_for("curate.flags"), code=303)


# --- history, diff, restore --------------------------------------------------------------------


def _place_or_404(place_id: int) -> Place:
    place = db.session.get(Place, place_id)
    if place is None:
        abort(404)
    return place


@bp.get("/curate/places/<int:place_id>/history")
@curator_required
def history(place_id: int):
    place = _place_or_404(place_id)
    revs = revisions.history(place_id)
    public = revisions.public_revision(place)
    return render_template("curate/history.html", place=place, revisions=revs,
                           public_number=public.number if public else None)


@bp.get("/curate/places/<int:place_id>/diff")
@curator_required
def diff(place_id: int):
    place = _place_or_404(place_id)
    revs = revisions.history(place_id)
    if not revs:
        abort(404)
    newest = revs[0].number
    a = request.args.get("a", type=int) or max(newest - 1, 1)
    b = request.args.get("b", type=int) or newest
    result = revisions.diff_revisions(place_id, min(a, b), max(a, b))
    return render_template("curate/diff.html", place=place, revisions=revs, a=min(a, b),
                           b=max(a, b), **result)


@bp.post("/curate/places/<int:place_id>/restore/<int:number>")
@curator_required
@redirects_on_refusal(lambda place_id, number: url_for("curate.history", place_id=place_id))
def restore(place_id: int, number: int):
    asked = from_form(RestoreSchema(), request.form)
    revisions.restore(_me(), place_id, number, base_version=asked.version,
                      message=asked.message)
    flash(_("Revision %(n)d restored as a new revision.", n=number), "success")
    return redirect(url_for("curate.history", place_id=place_id), code=303)


# --- log ---------------------------------------------------------------------------------------


@bp.get("/curate/log")
@curator_required
def log():
    args = request.args
    f = LogArgs().load(args.to_dict())
    page = max(args.get("page", type=int) or 1, 1)
    entries = audit.log_entries(f, limit=101, offset=(page - 1) * 100)
    return render_template("curate/log.html", entries=entries[:100],
                           more=len(entries) > 100, page=page, f=f, args=args,
                           actions=audit.log_actions())


# --- reply templates ---------------------------------------------------------------------------


def _templates_page(errors=None, values=None):
    return render_template("curate/templates.html", templates=moderation.templates(),
                           reasons=moderation.REASON_CODES, errors=errors or {},
                           v=values or {})


def _template_refused(errors: dict, exc: Exception) -> str:
    """``render`` for ``rerenders_form``: the templates page, the new template's form as sent,
    its messages by the fields."""
    return _templates_page(messages_by_field(errors), request.form)


@bp.get("/curate/templates")
@curator_required
def templates():
    return _templates_page()


@bp.post("/curate/templates")
@curator_required
@rerenders_form(_template_refused)
def create_template():
    tpl = from_form(ReplyTemplateSchema(), request.form)
    moderation.create_template(_me(), tpl.name, tpl.body, tpl.reason_code)
    flash(_("Template saved."), "success")
    return redirect(url_for("curate.templates"), code=303)


@bp.post("/curate/templates/<int:template_id>")
@curator_required
@redirects_on_refusal(lambda template_id: url_for("curate.templates"))
def update_template(template_id: int):
    tpl = from_form(ReplyTemplateSchema(), request.form)
    moderation.update_template(_me(), template_id, tpl.name, tpl.body, tpl.reason_code)
    flash(_("Template saved."), "success")
    return redirect(url_for("curate.templates"), code=303)


@bp.post("/curate/templates/<int:template_id>/delete")
@curator_required
def delete_template(template_id: int):
    moderation.delete_template(_me(), template_id)
    flash(_("Template deleted."), "success")
    return redirect(url_for("curate.templates"), code=303)


# --- roles (admins) ----------------------------------------------------------------------------


@bp.get("/curate/users")
@curator_required
def users():
    if not current_user.is_admin:
        abort(403)
    q = request.args.get("q", "")
    return render_template("curate/users.html", users=moderation.users_for_roles(q), q=q,
                           roles=ROLES)


@bp.post("/curate/users/<int:user_id>/role")
@curator_required
@redirects_on_refusal(lambda user_id: url_for("curate.users", q=request.form.get("q", "")))
def set_role(user_id: int):
    moderation.change_role(_me(), user_id, request.form.get("role", ""))
    flash(_("Role changed."), "success")
    return redirect(url_for("curate.users", q=request.form.get("q", "")), code=303)


# --- editing a place ---------------------------------------------------------------------------


def _edit_values(snap: dict, message: str = "") -> dict:
    return {
        "title": snap.get("title", ""), "summary": snap.get("summary", ""),
        "body": snap.get("body", ""), "lon": f"{snap['lon']:.7f}", "lat": f"{snap['lat']:.7f}",
        "era": revisions.base_era(snap), "language": snap.get("language", ""),
        "themes": list(snap.get("themes") or []),
        "step_free": "" if snap.get("step_free") is None else ("1" if snap["step_free"] else "0"),
        "message": message,
    }


def _render_edit(place, values, version, errors=None, conflict=None):
    from flask import current_app

    return render_template(
        "places/edit.html", place=place, v=values, version=version, errors=errors or {},
        themes=_themes(), languages=current_app.config["LANGUAGES"], conflict=conflict,
        live=place.status == PlaceStatus.APPROVED and _me().is_curator,
        map_data={"item": {**_map_position(place, values), "title": values["title"]},
                  "editable": True},
    )


def _map_position(place, values: dict) -> dict:
    """Where the edit map opens: the position in the form, or the place's when what was
    typed there is not a position."""
    try:
        lon, lat = float(values["lon"]), float(values["lat"])
    except (TypeError, ValueError):
        lon = lat = math.nan
    if not (math.isfinite(lon) and math.isfinite(lat)):
        lon, lat = lonlat(place)
    return {"lon": lon, "lat": lat}


def _typed_values() -> dict:
    """The edit form as this person sent it, to show it again."""
    form = request.form
    values = {k: form.get(k, "") for k in ("title", "summary", "body", "lon", "lat", "era",
                                           "language", "step_free", "message")}
    values["themes"] = form.getlist("themes")
    return values


def _edit_refused(errors: dict, exc: Exception, place_id: int):
    """``render`` for ``rerenders_form`` (the unit of work is rolled back): a stale edit shows
    the form with what this person typed, now based on the current version, next to that
    version and what differs (409); any other refusal shows the messages by the fields."""
    place = db.session.get(Place, place_id)
    if isinstance(exc, revisions.StaleEdit):
        current = exc.current["snapshot"]
        conflict = {
            "current": _edit_values(current),
            "changes": revisions.snapshot_diff(current, exc.mine) if exc.mine else [],
        }
        # Saving again is a deliberate choice made with both versions in view.
        return _render_edit(place, _typed_values(), exc.current_version, conflict=conflict)
    return _render_edit(place, _typed_values(), request.form.get("version", type=int) or 0,
                        messages_by_field(errors))


@bp.route("/places/<int:place_id>/edit", methods=["GET", "POST"], endpoint="edit_place")
@login_required
@rerenders_form(_edit_refused)
def edit_place(place_id: int):
    user = _me()
    place = revisions.get_editable(user, place_id)
    if request.method == "GET":
        return _render_edit(place, _edit_values(revisions.working_snapshot(place)),
                            place.version)
    rev = revisions.save_edit(user, place_id, edit_from_form(request.form),
                              base_version=request.form.get("version", type=int) or 0)
    if rev.status == RevisionStatus.APPROVED:
        flash(_("Saved. The change is public now."), "success")
    else:
        flash(_("Saved. Your change waits for a curator."), "success")
    if user.is_curator:
        return redirect(url_for("curate.history", place_id=place_id), code=303)
    return redirect(url_for("contribute.mine", _anchor=f"place-{place_id}"), code=303)
