"""Who is calling the API: a personal token (``Authorization: Bearer``) or the browser
session. Cookie sessions must also send the CSRF token in ``X-CSRFToken``: a cookie alone
never authorises a write."""

from __future__ import annotations

from functools import wraps

from flask import current_app, g, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf

from app.errors import DomainError, Forbidden
from app.services.accounts import user_for_api_token

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


def api_user():
    """The calling user, or None. Raises Unauthorized for a bad token or a missing CSRF
    header on a cookie-authenticated write."""
    if "api_user" in g:
        return g.api_user
    user = None
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("Use 'Authorization: Bearer <token>'.")
        user = user_for_api_token(token.strip())
        if user is None:
            raise Unauthorized("This API token is not valid (revoked or unknown).")
    elif current_user.is_authenticated:
        if request.method not in SAFE_METHODS and current_app.config.get("WTF_CSRF_ENABLED", True):
            try:
                validate_csrf(request.headers.get("X-CSRFToken") or request.form.get("csrf_token"))
            except CSRFError as exc:
                raise Unauthorized("Send the CSRF token in the X-CSRFToken header.") from exc
            except Exception as exc:  # wtforms raises ValidationError for a missing token
                raise Unauthorized("Send the CSRF token in the X-CSRFToken header.") from exc
        user = current_user._get_current_object()
    g.api_user = user
    return user


def require_user(*roles: str):
    """Decorator: a logged-in caller (401 otherwise) with one of ``roles`` (403 otherwise)."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            user = api_user()
            if user is None:
                raise Unauthorized("Log in or send a personal API token.")
            if roles and user.role not in roles:
                raise Forbidden("Your role does not allow this.")
            return view(*args, **kwargs)

        return wrapper

    return decorator
