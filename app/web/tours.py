"""Tour pages for authors and curators: /tours/new, /tours/<slug>/edit and its actions,
/me/tours, /curate/tours; and the printable sheet /tours/<slug>.pdf.

Every page works without JavaScript (one form with the stops as rows, buttons for each
action); static/js/tour-editor.js adds the map picker, search, drag-and-drop and keyboard
reordering, the order proposal and route drawing. The forms are read by app/inputs/tours.py
(the schemas the API shares); the stop buttons' values (``up:<place id>`` …) are decoded here,
so the services get typed values only.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import UTC, datetime

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.errors import Conflict, DomainError, ValidationError, rerenders_form
from app.formatting import format_distance
from app.inputs import tours as inputs
from app.inputs.route_mode import route_mode_from_form
from app.models.usage import Metric, OfferingKind
from app.services import tour_print, walknet
from app.services import tours as service
from app.services.insights import counting
from app.services.roles import require_curator
from app.services.themes import theme_choices
from app.web.context import media_url
from app.web.forms import messages_by_field

bp = Blueprint("tours", __name__)


@bp.after_request
def _not_for_caches(response):
    # Editor pages carry a CSRF token and unpublished content; the PDF sets its own header.
    if response.mimetype != "application/pdf":
        response.headers["Cache-Control"] = "no-store"
    return response


def _user():
    return current_user._get_current_object()


def _locale() -> str:
    return str(get_locale())


def _themes() -> list[dict]:
    return theme_choices(_locale())


def _render_editor(tour=None, content=None, errors=None, status=200, proposal=None,
                   route_report=None, *, version=None, search=None, conflict=None,
                   stop_status=None):
    content = content or {"title": "", "intro": "", "theme_id": None, "language": _locale(),
                          "accessibility": "", "cover_media_id": None, "stops": [],
                          "route": None, "route_source": None}
    stops = service.editor_stops(content)
    themes = _themes()
    theme_slug = next((t["slug"] for t in themes if t["id"] == content.get("theme_id")), "")
    covers = [{"id": c["id"], "src": media_url(c["media"], "thumb"), "caption": c["caption"],
               "place_id": c["place_id"]} for c in service.cover_choices(content["stops"])]
    user = _user()
    editor_data = {
        "stops": [{k: s[k] for k in ("place_id", "title", "lon", "lat", "available")}
                  for s in stops],
        "places": service.place_choices(limit=5000),
        "route": content.get("route"),
        "routeSource": content.get("route_source"),
        "serviceArea": current_app.config["SERVICE_AREA"],
        "suggestUrl": url_for("tours.suggest", slug=tour.slug) if tour else None,
    }
    return render_template(
        "tours/edit.html",
        tour=tour,
        # The main form keeps the version its content is based on: a refused save shown again
        # must not quietly move onto the newest version.
        version=version if version not in (None, "") else (tour.version if tour else None),
        v={**content, "theme": theme_slug},
        stops=stops,
        stop_ids={s["place_id"] for s in stops},
        themes=themes,
        covers=covers,
        languages=current_app.config["LANGUAGES"],
        errors=errors or {},
        proposal=proposal,
        route_report=route_report,
        off_route=service.off_route_stops(tour) if tour else [],
        network=walknet.accessibility_facts(content.get("network_routes")),
        has_network=walknet.active_network() is not None,
        is_curator=user.is_curator,
        moves=service.allowed_moves(user, tour) if tour else set(),
        editor_data=editor_data,
        limits=service.LIMITS,
        max_dwell=service.MAX_DWELL_MIN,
        max_featured=service.MAX_FEATURED,
        search=search,
        conflict=conflict,
        stop_status=stop_status,
    ), status


def _refused(*, field: str | None = None, echo: bool = False):
    """``render`` for ``rerenders_form`` (which has rolled the unit of work back): a stale
    edit shows the current state (beside what was typed, with ``echo``); any other refusal
    shows the editor again with the messages by their fields, or all under ``field``."""

    def render(errors, exc, slug: str | None = None, **_kwargs):
        inp = inputs.typed_tour(request.form)
        if echo:
            # What was typed includes the stop button's change (add, move, remove); a
            # button that was itself refused leaves the stops as they were sent.
            with suppress(DomainError):
                _stop_button(inp)
        if isinstance(exc, Conflict) and slug is not None:
            if echo:
                return _conflict(slug, exc, service.typed_content(inp), _typed_version())
            return _conflict(slug, exc)
        messages = messages_by_field(errors)
        if "version" in messages:
            # The version is a hidden field: its refusal is the form's.
            messages["form"] = messages.pop("version")
        if field:
            messages = {field: " ".join(messages.values())}
        if slug is None:  # a new tour
            return _render_editor(None, service.typed_content(inp), messages, 422)
        tour = service.get_for_edit(_user(), slug)
        if echo:
            return _render_editor(tour, _echo_on(tour, inp), messages, 422,
                                  version=request.form.get("version"))
        return _render_editor(tour, service.working_content(tour), messages, 422)

    return render


def _typed_version() -> int | None:
    """The version the refused form was based on, if it names one that can be read."""
    with suppress(DomainError):
        return inputs.version_from_form(request.form)
    return None


def _conflict(slug: str, exc: Conflict, yours: dict | None = None,
              your_version: int | None = None):
    """A stale edit: the page is shown again with the current state and the message; when the
    refused edit came from the editor's form, both versions side by side, so nothing typed is
    lost."""
    tour = service.get_for_edit(_user(), slug)
    current = service.working_content(tour)
    conflict = None
    if yours is not None:
        conflict = {
            "current": {**current, "version": tour.version,
                        "stops": service.editor_stops(current)},
            "yours": {**yours, "version": your_version,
                      "stops": service.editor_stops(yours)},
        }
    return _render_editor(tour, current, {"form": exc.message}, 409, conflict=conflict)


# --- author pages -----------------------------------------------------------------------------

# The page without JavaScript shows the message of a stop button next to the stops (where the
# redirect lands), not at the top of the long form.
STOP_STATUS_KEY = "tour_stop_status"


def _search_results(q: str) -> dict | None:
    q = " ".join((q or "").split())
    if not q:
        return None
    return {"q": q, "places": service.place_choices(q, limit=20)}


@bp.get("/tours/new")
@login_required
def new():
    return _render_editor()


def _searching() -> bool:
    """The place search of the page without JavaScript: its button, or Enter in its box (Enter
    sends the form through its first, unnamed button)."""
    form = request.form
    if "find_place" in form:
        return True
    return (not any(name in form for name in ("save", "stop_action"))
            and bool(form.get("place_q", "").strip()))


def _search_page(tour, inp: service.TourInput):
    """Search results for the page without JavaScript: nothing is saved, the form keeps what
    was typed (and the version it is based on)."""
    q = request.form.get("place_q", "")
    content = _echo_on(tour, inp)
    search = _search_results(q)
    if search is None:
        return _render_editor(tour, content, {"place_q": _("Type part of the name of a place.")},
                              422, version=request.form.get("version"))
    return _render_editor(tour, content, version=request.form.get("version"), search=search)


# The largest id a place can have (PostgreSQL integer): a button naming a larger one fits no
# stop, and must not reach the database.
MAX_ID = 2**31 - 1


def _decode_stop_button(value: str) -> tuple[service.StopAction, int]:
    """A stop button's value, ``"up:<place id>"``, ``"down:…"``, ``"remove:…"`` or
    ``"add:…"``, as the action and the place id; anything else is refused (field ``stops``)."""
    name, _sep, raw = value.partition(":")
    if name in set(service.StopAction) and raw.isascii() and raw.isdigit() and (
            int(raw) <= MAX_ID):
        return service.StopAction(name), int(raw)
    raise ValidationError(_("That change to the stops is not possible."), field="stops")


def _stop_button(inp: service.TourInput) -> service.StopChange | None:
    """Apply the stop button the form was sent with (if any) to the stops in ``inp``."""
    value = request.form.get("stop_action")
    if value is None:
        return None
    action, place_id = _decode_stop_button(value)
    return service.apply_stop_change(inp, action, place_id)


def _stop_message(change: service.StopChange) -> str:
    if change.action == service.StopAction.ADD:
        return _("%(title)s added as stop %(n)s.", title=change.title, n=change.position)
    if change.action == service.StopAction.REMOVE:
        return _("%(title)s removed.", title=change.title)
    return _("%(title)s is now stop %(n)s of %(total)s.", title=change.title, n=change.position,
             total=change.total)


def _after_save(slug: str, change: service.StopChange | None, pending: bool):
    if change is None:
        if pending:
            flash(_("Your changes are saved. They go live when a curator publishes them."),
                  "success")
        else:
            flash(_("The tour is saved."), "success")
        return redirect(url_for("tours.edit", slug=slug), code=303)
    session[STOP_STATUS_KEY] = _stop_message(change)
    if pending:
        flash(_("Your changes are saved. They go live when a curator publishes them."),
              "success")
    # After "add" the search results stay, so several places can be added one after another.
    found = request.form.get("found_q", "") if change.action == service.StopAction.ADD else ""
    return redirect(url_for("tours.edit", slug=slug, q=found or None, _anchor="stops"),
                    code=303)


@bp.post("/tours/new")
@login_required
@rerenders_form(_refused(echo=True))
def create():
    if _searching():
        return _search_page(None, inputs.typed_tour(request.form))
    inp = inputs.tour_from_form(request.form)
    change = _stop_button(inp)
    tour = service.create_tour(_user(), inp)
    if change is not None:
        return _after_save(tour.slug, change, pending=False)
    flash(_("The tour is saved as a draft."), "success")
    return redirect(url_for("tours.edit", slug=tour.slug), code=303)


def _echo_on(tour, inp: service.TourInput) -> dict:
    """What was typed, over the saved tour: the route and its facts stay those saved."""
    echo = service.typed_content(inp)
    if tour is None:
        return echo
    return {**service.working_content(tour),
            **{k: v for k, v in echo.items() if k not in ("route", "route_source")}}


@bp.get("/tours/<slug>/edit")
@login_required
def edit(slug: str):
    tour = service.get_for_edit(_user(), slug)
    return _render_editor(tour, service.working_content(tour),
                          search=_search_results(request.args.get("q", "")),
                          stop_status=session.pop(STOP_STATUS_KEY, None))


@bp.post("/tours/<slug>/edit")
@login_required
@rerenders_form(_refused(echo=True))
def update(slug: str):
    if _searching():
        return _search_page(service.get_for_edit(_user(), slug), inputs.typed_tour(request.form))
    inp = inputs.tour_from_form(request.form)
    version = inputs.version_from_form(request.form)
    change = _stop_button(inp)
    service.update_tour(_user(), slug, inp, version)
    tour = service.get_for_edit(_user(), slug)
    return _after_save(slug, change, pending=bool(tour.pending_snapshot))


@bp.post("/tours/<slug>/suggest-order")
@login_required
def suggest(slug: str):
    """A shorter walking order as a proposal; JSON for the editor script, else a page."""
    ask = inputs.suggestion_from_form(request.values)
    proposal = service.propose_order(_user(), slug, keep_start=ask["keep_start"],
                                     keep_end=ask["keep_end"], place_ids=ask.get("order"))
    if request.accept_mimetypes.best == "application/json":
        return jsonify(proposal)
    tour = service.get_for_edit(_user(), slug)
    content = service.working_content(tour)
    titles = dict(service.place_titles(proposal["order"]))
    proposal["titles"] = [titles.get(pid, "") for pid in proposal["order"]]
    return _render_editor(tour, content, proposal=proposal)


@bp.post("/tours/<slug>/order")
@login_required
@rerenders_form(_refused(field="order"))
def order(slug: str):
    """Accept an order (the proposal, or a reordering without the full form)."""
    ids = inputs.order_from_form(request.form)
    service.reorder_stops(_user(), slug, ids, inputs.version_from_form(request.form))
    flash(_("The stops are in the new order."), "success")
    return redirect(url_for("tours.edit", slug=slug), code=303)


@bp.post("/tours/<slug>/route/gpx")
@login_required
@rerenders_form(_refused(field="file"))
def route_gpx(slug: str):
    upload = request.files.get("file")
    tour = service.get_for_edit(_user(), slug)
    if upload is None or not upload.filename:
        return _render_editor(tour, service.working_content(tour),
                              {"file": _("Choose a GPX file first.")}, 422)
    report = service.set_route_from_gpx(_user(), slug, upload.read(),
                                        inputs.version_from_form(request.form))
    return _after_route(slug, report)


def _after_route(slug: str, report: service.RouteReport):
    flash(_("The route is saved: %(length)s, %(points)d points.",
            length=format_distance(report.length_m), points=report.points), "success")
    for stop in report.off_route:
        flash(_("Stop %(n)d (%(title)s) is %(m)d m from the route.", n=stop["number"],
                title=stop["title"], m=stop["distance_m"]), "warning")
    return redirect(url_for("tours.edit", slug=slug, _anchor="route"), code=303)


@bp.post("/tours/<slug>/route/drawn")
@login_required
@rerenders_form(_refused(field="route"))
def route_drawn(slug: str):
    report = service.set_route_drawn(_user(), slug, inputs.drawn_route_from_form(request.form),
                                     inputs.version_from_form(request.form))
    return _after_route(slug, report)


@bp.post("/tours/<slug>/route/network")
@login_required
@rerenders_form(_refused(field="route_mode"))
def route_network(slug: str):
    asked = route_mode_from_form(request.form)
    service.set_route_network(_user(), slug, asked["mode"], asked["version"])
    flash(_("The route now follows the streets on foot.") if asked["mode"] == "foot" else
          _("The route now follows the streets without steps."), "success")
    return redirect(url_for("tours.edit", slug=slug, _anchor="route"), code=303)


@bp.post("/tours/<slug>/route/reset")
@login_required
@rerenders_form(_refused(field="route"))
def route_reset(slug: str):
    service.reset_route(_user(), slug, inputs.version_from_form(request.form))
    flash(_("The route now runs straight from stop to stop."), "success")
    return redirect(url_for("tours.edit", slug=slug, _anchor="route"), code=303)


# What the page says after each move of the lifecycle (the moves: services/tours/lifecycle.py).
LIFECYCLE_MESSAGES = {
    "submit": lambda: _("The tour is sent to the curators."),
    "publish": lambda: _("The tour is published."),
    "retire": lambda: _("The tour is retired. Its page stays with a notice."),
    "discard": lambda: _("The waiting changes are discarded."),
}


@bp.post("/tours/<slug>/<any(submit, publish, retire, discard):action>")
@login_required
@rerenders_form(_refused())
def lifecycle(slug: str, action: str):
    try:
        tour = service.transition(_user(), slug, action, inputs.version_from_form(request.form))
    except service.RetireAsksAlternatives:
        # An older page's retire button: the review form asks which tours to suggest.
        flash(_("Choose which tours to suggest instead, then retire the tour."), "info")
        return redirect(url_for("insights.tour", slug=slug, _anchor="review"), code=303)
    flash(LIFECYCLE_MESSAGES[action](), "success")
    if action in ("publish", "retire"):
        return redirect(url_for("visitor.tour", slug=tour.slug), code=303)
    return redirect(url_for("tours.edit", slug=tour.slug), code=303)


@bp.post("/tours/<slug>/return")
@login_required
@rerenders_form(_refused(field="message"))
def return_to_author(slug: str):
    service.transition(_user(), slug, "return", inputs.version_from_form(request.form),
                       request.form.get("message", ""))
    flash(_("The tour is back with its author as a draft."), "success")
    return redirect(url_for("tours.curate"), code=303)


@bp.get("/me/tours")
@login_required
def mine():
    return render_template("tours/mine.html", tours=service.my_tours(_user()))


@bp.get("/curate/tours")
@login_required
def curate():
    require_curator(_user())
    return render_template(
        "tours/curate.html",
        review=service.tours_awaiting_review(),
        attention=service.tours_needing_attention(),
        groups=service.curation_overview(),
        locale=_locale(),
    )


# --- the printable sheet ----------------------------------------------------------------------


@bp.get("/tours/<slug>.pdf")
def sheet(slug: str):
    """An A4 sheet for people without a smartphone: map, stops with QR codes, times."""
    tour = service.get_public_tour(slug, include_retired=True)
    site = request.url_root.rstrip("/")
    stops = service.stop_points(tour, stories=True)
    available = [s for s in stops if s["available"]]
    route = service.route_geojson(tour)
    overview = tour_print.overview_map(
        route["coordinates"] if route else None, available,
        tile_url=current_app.config["TILE_URL"],
        user_agent=f"Stadtspur tour sheet ({site})",
    )
    tour_url = url_for("visitor.tour", slug=tour.slug, _external=True)
    html = render_template(
        "print/tour.html",
        tour=tour,
        # Each stop's QR code points at the short address that counts the scan
        # (app/web/insights.py) and forwards to the stop's page: its place with all its
        # stories (the sheet prints the featured one, shortened).
        stops=[{**s, "qr": tour_print.qr_data_uri(_qr_url(tour.slug, s["number"])),
                "url": f"{site}/places/{s['place_id']}"} if s["available"] else s
               for s in stops],
        map_src=tour_print.svg_data_uri(overview["svg"]) if overview["svg"] else None,
        map_tiles=overview["tiles"],
        tile_attribution=_plain_attribution(current_app.config["TILE_ATTRIBUTION"]),
        tour_url=tour_url,
        tour_qr=tour_print.qr_data_uri(tour_url),
        network=walknet.accessibility_facts(tour.network_routes),
        on_network=tour.route_source in walknet.NETWORK_SOURCES,
        dwell=sum(s["dwell_min"] for s in stops),
        printed=format_date(datetime.now(UTC), "long"),
        locale=_locale(),
    )
    css = render_template("print/sheet.css")
    pdf = tour_print.render_pdf(html, css)
    resp = Response(pdf, mimetype="application/pdf")
    resp.headers["Content-Disposition"] = f'inline; filename="{tour.slug}.pdf"'
    resp.headers["Cache-Control"] = "public, max-age=300"
    return counting.counted(resp, request.method, request.headers, OfferingKind.TOUR, tour.id,
                            Metric.PDF_DOWNLOAD)


def _qr_url(slug: str, number: int) -> str:
    return url_for("insights.qr", slug=slug, stop=number, _external=True)


def _plain_attribution(html: str) -> str:
    from app.services.text import plain_text

    return plain_text(html).replace("&copy;", "©")
