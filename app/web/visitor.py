"""Visitor pages: home, place, tour, follow mode, and the visitor's own settings."""

from __future__ import annotations

from urllib.parse import quote

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from app.errors import FormErrors, ValidationError
from app.extensions import csrf
from app.inputs.base import from_form
from app.inputs.moderation import ReportSchema
from app.inputs.place_page import StoryListSchema
from app.inputs.position import parse_near
from app.inputs.route_mode import RouteVariantArgs
from app.licences import names_and_links
from app.models.statuses import MediaKind, TourStatus
from app.models.usage import Metric, OfferingKind
from app.services import flags as flag_service
from app.services import offline as offline_service
from app.services import places as place_service
from app.services import search as search_service
from app.services import stories as story_service
from app.services import themes as theme_service
from app.services import tours as tour_service
from app.services import walknet
from app.services.conversation import talk as talk_service
from app.services.insights import counting, retirement
from app.services.media import PHOTO_VARIANTS
from app.web.context import media_url
from app.web.forms import refuse_cross_site
from app.web.i18n import safe_next

bp = Blueprint("visitor", __name__)

# Photo sizes, smallest first, for srcset (longest side in pixels, app/services/media.py).
PHOTO_SIZES = sorted(PHOTO_VARIANTS.items(), key=lambda kv: kv[1])
TEXT_SIZES = ("normal", "large")


def _locale() -> str:
    return str(get_locale())


def _near_from_request() -> tuple[tuple[float, float], bool]:
    """(lon, lat) from ?near=, else the city centre; and whether it is the visitor's own."""
    try:
        near = parse_near(request.args.get("near"))
    except ValidationError:
        near = None
    if near is None:
        return tuple(current_app.config["CITY_CENTRE"]), False
    return near, True


def _nearby_values() -> dict:
    (lon, lat), mine = _near_from_request()
    return {
        "nearby": search_service.nearby_places(lon, lat),
        "nearby_tours": search_service.nearby_tours(lon, lat),
        "near_mine": mine,
    }


@bp.get("/")
def home():
    tours = tour_service.published_tours()
    user = current_user if current_user.is_authenticated else None
    return render_template(
        "visitor/home.html",
        points=place_service.map_points(),
        featured=[t for t in tours if t.featured] or tours[:2],
        tours=tours,
        themes=theme_service.all_themes(),
        followed_new=theme_service.new_in_followed(user) if user else [],
        followed_ids=theme_service.followed_theme_ids(user),
        **_nearby_values(),
    )


@bp.get("/nearby")
def nearby():
    """The "near me" list as an HTML fragment, for static/js/nearby.js."""
    return render_template("visitor/_nearby.html", **_nearby_values())


def photo_view(m) -> dict:
    """A photo as plain values: a medium-sized src and a srcset of every stored size."""
    width, height = m.width or 0, m.height or 0
    candidates = []
    for name, longest in PHOTO_SIZES:
        if name in (m.variants or {}) and width and height:
            scale = min(1.0, longest / max(width, height))
            candidates.append(f"{media_url(m, name)} {round(width * scale)}w")
    medium_scale = min(1.0, PHOTO_VARIANTS["medium"] / max(width, height, 1))
    return {
        "id": m.id,
        "src": media_url(m, "medium"),
        "srcset": ", ".join(candidates),
        "width": round(width * medium_scale) or None,
        "height": round(height * medium_scale) or None,
        "caption": m.caption,
        "credit": m.credit,
        "licence": m.licence,
    }


def audio_view(m) -> dict:
    return {
        "id": m.id,
        "src": media_url(m),
        "mime": offline_service.public_audio_mime(m),
        "caption": m.caption,
        "credit": m.credit,
        "licence": m.licence,
        "duration_s": m.duration_s,
    }


@bp.get("/places/<int:place_id>")
def place(place_id: int):
    found = place_service.get_public_place(place_id)
    if found is None:
        # A duplicate merged by a curator lives on at the place it was merged into.
        from app.services.moderation import redirect_target

        target = redirect_target(place_id)
        if target is not None:
            return redirect(url_for("visitor.place", place_id=target), code=301)
        abort(404)
    try:
        asked = from_form(StoryListSchema(), request.args)
    except FormErrors as exc:
        message = " ".join(m for messages in exc.errors.values() for m in messages)
        return render_template("errors/error.html", status=400,
                               title=_("These stories cannot be shown"), message=message), 400
    lon, lat = place_service.lonlat(found)
    listing = story_service.place_page_stories(found, order=asked.order,
                                               language=asked.language, kind=asked.kind)
    lead, others = listing.lead, listing.stories
    lead_id = lead.id if lead is not None else None
    media = [m for m in place_service.public_media(found) if m.story_id in (None, lead_id)]
    page_url = url_for("visitor.place", place_id=found.id, _external=True)
    # Each story the page shows in full is viewed: the lead story while its text is shown,
    # and the further public stories.
    shown = [s.id for s in ([lead] if lead is not None else []) + others
             if story_service.is_public(s)]
    return counting.counted_views(make_response(render_template(
        "visitor/place.html",
        place=found,
        lon=lon,
        lat=lat,
        photos=[photo_view(m) for m in media if m.kind == MediaKind.PHOTO],
        recordings=[audio_view(m) for m in media if m.kind == MediaKind.AUDIO],
        lead_public=lead is None or not lead.is_removed,
        # A recording played is counted for its story (anonymous beacon, static/js/beacon.js).
        lead_counted=lead_id if lead_id in shown else None,
        stories=[_story_view(s) for s in others],
        listing=listing,
        asked=asked,
        talk=talk_service.place_talk(
            found.id, current_user._get_current_object()
            if current_user.is_authenticated else None),
        locale=_locale(),
        page_url=page_url,
        geo_uri=f"geo:{lat:.6f},{lon:.6f}?q={lat:.6f},{lon:.6f}({quote(found.title)})",
        osm_url=(
            f"https://www.openstreetmap.org/?mlat={lat:.6f}&mlon={lon:.6f}"
            f"#map=18/{lat:.6f}/{lon:.6f}"
        ),
    )), request.method, request.headers, OfferingKind.STORY, shown)


def _story_view(story) -> dict:
    """A further story of a place as its page shows it, with its own public media."""
    media = [m for m in story.media if story_service.is_public_medium(m)]
    return {"story": story,
            "photos": [photo_view(m) for m in media if m.kind == MediaKind.PHOTO],
            "recordings": [audio_view(m) for m in media if m.kind == MediaKind.AUDIO]}


def _counted(kind: OfferingKind, offering_id: int, page: str):
    """The page, its view counted once it is sent (app/services/insights/counting.py)."""
    return counting.counted(make_response(page), request.method, request.headers, kind,
                            offering_id, Metric.PAGE_VIEW)


def _tour_or_404(slug: str):
    found = tour_service.get_visible_tour(slug)
    if found is None:
        abort(404)
    return found


@bp.get("/tours/<slug>")
def tour(slug: str):
    found = _tour_or_404(slug)
    if found.status == TourStatus.RETIRED:
        # A retired tour with alternatives: one takes over its address, several are listed.
        alternatives = retirement.alternatives(found)
        if len(alternatives) == 1:
            return redirect(url_for("visitor.tour", slug=alternatives[0].slug), code=301)
        if alternatives:
            return render_template("tours/retired.html", tour=found, alternatives=alternatives)
    stops = tour_service.stop_points(found)
    return _counted(OfferingKind.TOUR, found.id, render_template(
        "visitor/tour.html",
        tour=found,
        stops=stops,
        route=_map_route(found),
        locale=_locale(),
        offline=_offline_manifest(found, stops),
        downloads=_downloads(found.slug),
        network=walknet.accessibility_facts(found.network_routes),
        follow_step_free=found.route_source != "step_free" and walknet.variant_line(
            (found.network_routes or {}).get("step_free")) is not None,
        related=tour_service.related_tours(found) if found.status == TourStatus.RETIRED else [],
    ))


def _map_route(found):
    """The tour map's route: on the walking network with the legs it could not route as
    features of their own (drawn dashed), else the tour's line."""
    if found.route_source in walknet.NETWORK_SOURCES:
        features = walknet.variant_features(found.network_routes, found.route_source)
        if features:
            return {"type": "FeatureCollection", "features": features}
    return tour_service.route_geojson(found)


def _route_exists(path: str) -> bool:
    """Whether another blueprint serves ``path`` (not the tour page itself: "<slug>.pdf")."""
    try:
        endpoint, _args = current_app.url_map.bind("localhost").match(path, method="GET")
    except HTTPException:
        return False
    return endpoint != "visitor.tour"


def _downloads(slug: str) -> list[dict]:
    """GPX and the printable sheet (URL contract in DESIGN.md), offered once they are served."""
    candidates = [
        {"url": f"/api/v1/tours/{quote(slug)}.gpx", "label": _("Download GPX"), "download": True},
        {"url": f"/tours/{quote(slug)}.pdf", "label": _("Print sheet (PDF)"), "download": False},
    ]
    return [d for d in candidates if _route_exists(d["url"])]


@bp.get("/tours/<slug>/offline.json")
def tour_offline(slug: str):
    """The files "save for offline" stores (static/js/offline.js fetches this)."""
    found = _tour_or_404(slug)
    resp = jsonify(_offline_manifest(found, tour_service.stop_points(found)))
    resp.headers["Cache-Control"] = "no-cache"
    # Fetched only by "save for offline": each fetch is one tour saved on a phone.
    return counting.counted(resp, request.method, request.headers, OfferingKind.TOUR, found.id,
                            Metric.OFFLINE_SAVE)


def _offline_manifest(found, stops: list[dict]) -> dict:
    """The service's offline pack with its pages as addresses: the tour page first."""
    pack = offline_service.offline_manifest(found, stops)
    pages = [url_for("visitor.tour", slug=found.slug), url_for("visitor.follow", slug=found.slug)]
    if walknet.variant_line((found.network_routes or {}).get("step_free")) is not None:
        # the step-free variant is followed offline too
        pages.append(url_for("visitor.follow", slug=found.slug, route="step_free"))
    pages += [url_for("visitor.place", place_id=pid) for pid in pack.pop("place_ids")]
    # the stories the stops show (featured, or the places' newest), read from follow mode
    pages += [url_for("stories.story", story_id=sid) for sid in pack.pop("story_ids")]
    return {"slug": pack["slug"], "title": pack["title"], "url": pages[0], "pages": pages,
            "media": pack["media"], "tiles": pack["tiles"], "approx_bytes": pack["approx_bytes"]}


def _follow_data(found, stops: list[dict], mode: str | None = None) -> dict:
    """The follow page's data with the addresses of the tour page and the stops' pages; on the
    walking network (the tour's own route there, or the asked variant ``mode``) with where
    each stop lies on the line, for the distance along it."""
    try:
        network = walknet.follow_route(found.network_routes, found.route_source, mode)
    except LookupError:
        abort(404)
    route = network["route"] if network else tour_service.route_geojson(found)
    data = offline_service.follow_data(found, stops, route)
    if network:
        data.update(routeMode=network["mode"], stopIndexes=network["stopIndexes"],
                    gaps=network["gaps"], attribution=network["attribution"])
    for stop in data["stops"]:
        stop["url"] = (url_for("visitor.place", place_id=stop["placeId"])
                       if stop["available"] else None)
        for story in stop["stories"]:
            story["url"] = url_for("stories.story", story_id=story["id"])
    data["tourUrl"] = url_for("visitor.tour", slug=found.slug)
    return data


@bp.get("/tours/<slug>/follow")
def follow(slug: str):
    found = _tour_or_404(slug)
    try:
        mode = from_form(RouteVariantArgs(), request.args).get("route")
    except ValidationError:
        abort(404)  # a variant that does not exist, like a tour that does not
    stops = tour_service.stop_points(found, stories=True)
    return render_template(
        "visitor/follow.html",
        tour=found,
        stops=stops,
        data=_follow_data(found, stops, mode),
        licences=names_and_links(),
        locale=_locale(),
    )


@bp.post("/settings/text-size")
@csrf.exempt
def text_size():
    """The "larger text" setting: a cookie read by base.html, so it works without JavaScript.
    No CSRF token (it is on every public page); another site's forged POST is refused."""
    refuse_cross_site()
    size = request.form.get("size", "")
    if size not in TEXT_SIZES:
        return render_template(
            "errors/error.html", status=422, title=_("Unknown text size"),
            message=_("Choose normal or large text."),
        ), 422
    resp = make_response(redirect(safe_next(request.form.get("next")), code=303))
    resp.set_cookie(
        "text_size", size, max_age=365 * 24 * 3600, samesite="Lax", httponly=False,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
    return resp


@bp.post("/places/<int:place_id>/report")
@csrf.exempt
def report(place_id: int):
    """Report a story to the curators without JavaScript (with JavaScript, share.js posts the
    same form to POST /api/v1/flags). The moderation service records it. A visitor's form
    carries no CSRF token (it would set a session cookie on a public page) and is checked by
    its headers; someone logged in has a session, and their form carries the token."""
    refuse_cross_site()
    if current_user.is_authenticated:
        csrf.protect()
    found = place_service.get_public_place(place_id)
    if found is None:
        abort(404)
    user = current_user._get_current_object() if current_user.is_authenticated else None
    try:
        # the schema of POST /api/v1/flags; the place is the page's, whatever the form says
        asked = from_form(ReportSchema(), {"reason": request.form.get("reason", ""),
                                           "message": request.form.get("message", "")})
        flag_service.create_flag(user, place_id=found.id, reason=asked.reason,
                                 message=asked.message, remote_addr=request.remote_addr or "")
    except ValidationError as exc:
        return render_template("errors/error.html", status=422, title=_("Report not sent"),
                               message=exc.message), 422
    flash(_("Thank you. A curator will look at your report."), "success")
    return redirect(url_for("visitor.place", place_id=found.id), code=303)
