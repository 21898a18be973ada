"""Embeds: a light tour page other sites may show in an iframe, and oEmbed (1.0) for it.

Every other page forbids framing (CSP ``frame-ancestors 'none'`` and ``X-Frame-Options``);
the embed page lifts that for itself only, through talisman's per-view options.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    make_response,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale

from app.api.http import public_read
from app.csp import content_security_policy
from app.errors import DomainError, NotFound
from app.models.usage import Metric, OfferingKind
from app.services import tours as tour_service
from app.services.insights import counting

bp = Blueprint("embed", __name__)

DEFAULT_WIDTH = 600
DEFAULT_HEIGHT = 720


class NotImplementedFormat(DomainError):
    status = 501
    code = "not_implemented"


def embed_csp(app) -> dict:
    return {**content_security_policy(app), "frame-ancestors": "*"}


@bp.record_once
def _allow_framing(state) -> None:
    # Talisman reads these per-view options on every request to this endpoint.
    tour_embed.talisman_view_options = {
        "frame_options": None,
        "content_security_policy": embed_csp(state.app),
    }


@bp.get("/embed/tours/<slug>")
@public_read(max_age=300)
def tour_embed(slug: str):
    """The tour's map and stops, small enough for an iframe; links open the full site."""
    found = tour_service.get_visible_tour(slug)
    if found is None:
        abort(404)
    stops = tour_service.stop_points(found)
    page = make_response(render_template(
        "embed/tour.html",
        tour=found,
        stops=stops,
        points=[s for s in stops if s["available"]],
        route=tour_service.route_geojson(found),
        locale=str(get_locale()),
    ))
    return counting.counted(page, request.method, request.headers, OfferingKind.TOUR, found.id,
                            Metric.EMBED_VIEW)


def embed_snippet(slug: str, width: int = DEFAULT_WIDTH, height: int = DEFAULT_HEIGHT,
                  title: str = "") -> str:
    """The iframe HTML another site pastes (also shown on the tour page)."""
    from markupsafe import escape

    src = url_for("embed.tour_embed", slug=slug, _external=True)
    return (
        f'<iframe src="{escape(src)}" width="{int(width)}" height="{int(height)}" '
        f'title="{escape(title)}" loading="lazy" style="border:0;max-width:100%" '
        'referrerpolicy="strict-origin-when-cross-origin"></iframe>'
    )


def _dimension(name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        abort(400)
    if value < 1:
        abort(400)
    return min(default, value)


@bp.get("/oembed")
@public_read(max_age=300)
def oembed():
    """oEmbed for tour pages: ``url`` of a tour page (or its embed page), ``format=json``."""
    fmt = request.args.get("format", "json")
    if fmt != "json":
        raise NotImplementedFormat("Only format=json is offered.", field="format")
    url = request.args.get("url", "")
    parts = urlsplit(url)
    site = urlsplit(request.url_root)
    path = parts.path.rstrip("/")
    slug = None
    if parts.netloc == site.netloc:
        for prefix in ("/tours/", "/embed/tours/"):
            if path.startswith(prefix) and "/" not in path[len(prefix):]:
                slug = path[len(prefix):]
    if not url:
        from app.errors import ValidationError

        raise ValidationError("url is required: the address of a tour page.", field="url")
    found = tour_service.get_visible_tour(slug) if slug else None
    if found is None:
        raise NotFound("This address is not a tour of this site.", field="url")
    width = _dimension("maxwidth", DEFAULT_WIDTH)
    height = _dimension("maxheight", DEFAULT_HEIGHT)
    return jsonify(
        {
            "version": "1.0",
            "type": "rich",
            "title": found.title,
            "provider_name": f"Stadtspur {current_app.config['CITY_NAME']}",
            "provider_url": request.url_root,
            "author_name": found.author.display_name if found.author else None,
            "html": embed_snippet(found.slug, width, height, found.title),
            "width": width,
            "height": height,
            "cache_age": 300,
        }
    )


@bp.app_template_global("embed_snippet")
def _embed_snippet_global(slug: str, title: str = "") -> str:
    return embed_snippet(slug, title=title)
