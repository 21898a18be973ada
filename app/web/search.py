"""Search: one box for places and tours, with filters; works without JavaScript."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _

from app.errors import ValidationError
from app.inputs.position import parse_near
from app.services import search as search_service
from app.services import themes as theme_service
from app.services.search import ERA_RANGES, MAX_QUERY, SORTS, SearchParams

bp = Blueprint("search", __name__)

_CHECKED = ("1", "on", "true")


def search_params(args) -> SearchParams:
    """The search form's query string (a MultiDict) as SearchParams; unknown values are
    refused naming their field."""
    q = " ".join((args.get("q") or "").split())
    if len(q) > MAX_QUERY:
        raise ValidationError(
            _("Please search with at most %(n)d characters.", n=MAX_QUERY), field="q"
        )
    era = args.get("era") or None
    if era is not None and era not in ERA_RANGES:
        raise ValidationError(_("Unknown period."), field="era")
    sort = args.get("sort") or "relevance"
    if sort not in SORTS:
        raise ValidationError(_("Unknown sort order."), field="sort")
    near = parse_near(args.get("near"))
    if sort == "distance" and near is None:
        # Without a position the nearest cannot be known; relevance is the honest fallback.
        sort = "relevance"
    return SearchParams(
        q=q,
        theme=args.get("theme") or None,
        era=era,
        has_audio=args.get("audio") in _CHECKED,
        step_free=args.get("step_free") in _CHECKED,
        sort=sort,
        near=near,
    )


@bp.get("/search")
def search():
    error = None
    status = 200
    try:
        params = search_params(request.args)
        results = search_service.search(params)
    except ValidationError as exc:
        params, results = SearchParams(), search_service.SearchResults()
        error, status = exc, 422
    return render_template(
        "search/search.html",
        params=params,
        raw=request.args,
        results=results,
        error=error,
        themes=[row["theme"] for row in theme_service.all_themes()],
        eras=list(ERA_RANGES),
        locale=str(get_locale()),
    ), status
