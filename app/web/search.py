"""Search: one box for places and tours, with filters; works without JavaScript."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import get_locale

from app.errors import ValidationError
from app.services import search as search_service
from app.services import themes as theme_service

bp = Blueprint("search", __name__)


@bp.get("/search")
def search():
    error = None
    status = 200
    try:
        params = search_service.parse_params(request.args)
        results = search_service.search(params)
    except ValidationError as exc:
        params, results = search_service.SearchParams(), search_service.SearchResults()
        error, status = exc, 422
    return render_template(
        "search/search.html",
        params=params,
        raw=request.args,
        results=results,
        error=error,
        themes=[row["theme"] for row in theme_service.all_themes()],
        eras=list(search_service.ERA_RANGES),
        locale=str(get_locale()),
    ), status
