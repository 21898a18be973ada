"""The pages' side of refused input: a service's or a schema's messages by field, shown next
to the fields of a WTForms form (Flask-WTF gives the pages their CSRF protection), and the
cross-site check of the few public forms that carry no CSRF token."""

from __future__ import annotations

from flask import abort, request
from flask_wtf import FlaskForm


def refuse_cross_site() -> None:
    """403 for a POST another site made the browser send, for the public forms that carry no
    CSRF token (a token would give every visitor a session cookie): Fetch Metadata's
    ``Sec-Fetch-Site``, or, from a browser that does not send it, the ``Origin``. A request
    with neither comes from no browser, so no other site can have forged it."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        if site not in ("same-origin", "none"):  # "none": typed or bookmarked by the person
            abort(403)
        return
    origin = request.headers.get("Origin")
    if origin is not None and origin != request.host_url.rstrip("/"):
        abort(403)


def show_errors(form: FlaskForm, errors: dict[str, list[str]], default: str) -> FlaskForm:
    """Put ``errors`` (field name to messages) on ``form``'s fields; messages for a field the
    form does not have, or for the form as a whole, go to the field named ``default``."""
    for name, messages in errors.items():
        target = getattr(form, name, None) if name else None
        if target is None or not hasattr(target, "errors"):
            target = getattr(form, default)
        target.errors = [*list(target.errors or []), *messages]
    return form


def messages_by_field(errors: dict[str, list[str]], whole: str = "form") -> dict[str, str]:
    """``errors`` for templates that show one message per field: several messages of a field
    are joined, and the form's own (key "") are named ``whole``."""
    return {(name or whole): " ".join(texts) for name, texts in errors.items()}
