"""Language choice: an explicit choice (cookie), then the account's language, then the
browser's Accept-Language, then the city's default."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, has_request_context, redirect, request, session
from flask_login import current_user

from app.extensions import csrf
from app.web.forms import refuse_cross_site

bp = Blueprint("i18n", __name__)


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # command line, background work
        return current_app.config["DEFAULT_LOCALE"]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return request.accept_languages.best_match(languages) or current_app.config["DEFAULT_LOCALE"]


def select_timezone() -> str:
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site relative paths: never redirect to another host."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


@bp.post("/language")
@csrf.exempt
def set_language():
    """Switch the language. Without a CSRF token, on purpose: the form is on every public
    page, and its token would give every visitor a session cookie; another site's forged
    switch is refused by its headers instead (web/forms.py)."""
    refuse_cross_site()
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
        session.permanent = True
    return redirect(safe_next(request.form.get("next")), code=303)
