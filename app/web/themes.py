"""Theme pages: a theme's places and tours; logged-in people follow themes."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.errors import NotFound
from app.models.usage import Metric, OfferingKind
from app.services import themes as theme_service
from app.services.insights import counting
from app.web.i18n import safe_next

bp = Blueprint("themes", __name__)


def _theme_or_404(slug: str):
    try:
        return theme_service.get_theme(slug)
    except NotFound:
        abort(404)


@bp.get("/themes")
def index():
    return render_template("visitor/themes.html", themes=theme_service.all_themes(),
                           locale=str(get_locale()))


@bp.get("/themes/<slug>")
def theme(slug: str):
    found = _theme_or_404(slug)
    user = current_user if current_user.is_authenticated else None
    page = make_response(render_template(
        "visitor/theme.html",
        theme=found,
        places=theme_service.theme_places(found),
        tours=theme_service.theme_tours(found),
        following=found.id in theme_service.followed_theme_ids(user),
        locale=str(get_locale()),
    ))
    return counting.counted(page, request.method, request.headers, OfferingKind.THEME, found.id,
                            Metric.PAGE_VIEW)


@bp.post("/themes/<slug>/follow")
@login_required
def follow(slug: str):
    found = _theme_or_404(slug)
    user = current_user._get_current_object()
    if request.form.get("action") == "unfollow":
        theme_service.unfollow(user, found)
        message = _("You no longer follow “%(theme)s”.", theme=found.name(str(get_locale())))
    else:
        theme_service.follow(user, found)
        message = _("You follow “%(theme)s”. New stories in it are shown to you first.",
                    theme=found.name(str(get_locale())))
    flash(message, "success")
    resp = redirect(safe_next(request.form.get("next"), url_for("themes.theme", slug=slug)),
                    code=303)
    if request.form.get("action") != "unfollow":
        counting.count_after(resp, request.headers,
                             [counting.one(OfferingKind.THEME, found.id, Metric.FOLLOW_START)])
    return resp
