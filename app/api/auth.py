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


def _check_role(roles: tuple[str, ...]) -> None:
    user = api_user()
    if user is None:
        raise Unauthorized("Log in or send a personal API token.")
    if roles and user.role not in roles:
        raise Forbidden("Your role does not allow this.")


def require_user(*roles: str):
    """Decorator: a logged-in caller (401 otherwise) with one of ``roles`` (403 otherwise).

    The check runs before the request body is parsed (``check_roles_first``), wherever this
    stands among the view's decorators: a caller who may not write learns nothing of the
    schema from a 422."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            _check_role(roles)
            return view(*args, **kwargs)

        # functools.wraps copies it onto every decorator's wrapper above, up to the view
        # that is registered for the endpoint.
        wrapper.required_roles = roles
        return wrapper

    return decorator


def check_roles_first() -> None:
    """Before any view: the role check of a ``require_user`` view, ahead of the body's
    validation (flask-smorest parses the body inside the view)."""
    if request.method == "OPTIONS":
        return  # answered by Flask itself (the allowed methods), for anyone, CORS preflights too
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    roles = getattr(view, "required_roles", None)
    if roles is not None:
        _check_role(roles)
