"""The request boundary: one unit of work per request, and every error's HTTP answer.

Services raise the domain errors below and never commit. ``finish_unit_of_work`` commits once
when a view has answered successfully and rolls back otherwise; a view never calls
``commit()`` or ``rollback()`` itself. The API answers errors as problem+json with
``{"error": {code, message, field}}``; page views that show a form wrap themselves in
``rerenders_form`` to answer a refused input with the form again, messages by the fields;
every other error on a page is the site's error page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

log = logging.getLogger("stadtspur.errors")

# Answered by machines (feed readers, map clients, crawlers): their errors are problem+json,
# never an HTML page a client cannot read.
MACHINE_PREFIXES = (
    "/api/", "/ogc", "/tiles/", "/oembed", "/healthz", "/feeds/", "/sitemap.xml", "/sitemaps/",
)
# Machine-facing paths that also have an HTML encoding (OGC API Features): there a request that
# asked for HTML gets its errors as the site's HTML error page too.
HTML_ENCODED_PREFIXES = ("/ogc",)
HTML = "text/html"
JSON_TYPES = ("application/json", "application/geo+json")


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code

    def problem_members(self) -> dict:
        """Members the problem+json answer carries beside code, message and field."""
        return {}


class ValidationError(DomainError):
    status = 422
    code = "invalid"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Conflict(DomainError):
    """A write against a stale version, or a replayed key with different content."""

    status = 409
    code = "conflict"

    def __init__(self, message: str, *, current=None, **kw):
        super().__init__(message, **kw)
        self.current = current

    def problem_members(self) -> dict:
        return {"current": self.current} if self.current is not None else {}


class FormErrors(ValidationError):
    """Several fields of one input refused at once: ``errors`` maps a field to its messages."""

    def __init__(self, errors: dict[str, str | list[str]]):
        self.errors = {
            field: [messages] if isinstance(messages, str) else list(messages)
            for field, messages in errors.items()
        }
        field, messages = next(iter(self.errors.items()))
        super().__init__(messages[0], field=field)

    def problem_members(self) -> dict:
        # The API's contract: one message per field.
        return {"fields": {name: " ".join(texts) for name, texts in self.errors.items()}}


def errors_by_field(exc: Exception) -> dict[str, list[str]]:
    """The messages of a refused input by field name ("" for the form as a whole), whether
    it came from a service (``DomainError``, ``FormErrors``) or from a marshmallow schema."""
    from marshmallow import ValidationError as SchemaError

    if isinstance(exc, FormErrors):
        return dict(exc.errors)
    if isinstance(exc, SchemaError):
        return _flatten(exc.normalized_messages())
    if isinstance(exc, DomainError):
        return {exc.field or "": [exc.message]}
    raise TypeError(f"not an input error: {exc!r}")


def _flatten(messages, prefix: str = "") -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if key == "_schema":
                name = prefix
            for field, texts in _flatten(value, name).items():
                out.setdefault(field, []).extend(texts)
    elif isinstance(messages, list | tuple):
        if all(isinstance(m, str) for m in messages):
            out[prefix] = list(messages)
        else:
            for item in messages:
                for field, texts in _flatten(item, prefix).items():
                    out.setdefault(field, []).extend(texts)
    else:
        out[prefix] = [str(messages)]
    return out


def rerenders_form(render: Callable[..., object]):
    """For page views that take a form: when the input is refused (a marshmallow
    ``ValidationError`` or any service ``DomainError`` but not-found and forbidden), roll the
    unit of work back and answer ``render(errors, exc, *view_args, **view_kwargs)``, where
    ``errors`` maps each field to its messages ("" for the form as a whole) and ``exc`` is
    the refusal (a duplicate's candidates, a conflict's current state). The answer has
    the error's status (422 for refused input, 409 for a stale edit) unless ``render``
    returns its own ``(body, status)``. Not-found and forbidden answer the site's error
    page."""

    def refused(exc, args, kwargs):
        rollback()
        status = exc.status if isinstance(exc, DomainError) else 422
        answer = render(errors_by_field(exc), exc, *args, **kwargs)
        return answer if isinstance(answer, tuple) else (answer, status)

    return lambda view: _on_refusal(view, refused)


def redirects_on_refusal(target: Callable[..., str]):
    """For page views that take a plain form post and answer with a redirect (a decision, a
    restore, a list's small forms): when the input is refused (as for ``rerenders_form``),
    roll the unit of work back, flash the messages and redirect (303) to
    ``target(*view_args, **view_kwargs)``. A request that asks for JSON (the pages' scripts
    send decisions with fetch) gets the refusal as problem+json instead, as the API answers
    it. Not-found and forbidden answer the site's error page (or problem+json)."""
    from flask import flash, redirect
    from marshmallow import ValidationError as SchemaError

    def refused(exc, args, kwargs):
        if wants_json():
            if isinstance(exc, SchemaError):
                raise FormErrors(errors_by_field(exc)) from exc
            raise exc
        rollback()
        for messages in errors_by_field(exc).values():
            flash(" ".join(messages), "error")
        return redirect(target(*args, **kwargs), code=303)

    return lambda view: _on_refusal(view, refused)


def _on_refusal(view, refused: Callable):
    """``view``, answering refused input (a schema's or a service's, but not-found and
    forbidden, which answer the site's error page) with ``refused(exc, args, kwargs)``."""
    from marshmallow import ValidationError as SchemaError

    @wraps(view)
    def wrapped(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except (SchemaError, DomainError) as exc:
            if isinstance(exc, NotFound | Forbidden):
                raise
            return refused(exc, args, kwargs)

    return wrapped


def rollback() -> None:
    """Undo the unit of work, and drop the mail it owed (nothing is sent about it)."""
    from app.extensions import db
    from app.services.mail import take_notices

    db.session.rollback()
    take_notices(db.session())


def finish_unit_of_work(response: Response) -> Response:
    """Commit the request's writes once, if its view answered with success (below 400), and
    so send the mail it owed (app/notifications.py); roll back an answer that refused
    something, so nothing of it is half stored and nothing is mailed about it."""
    from app.extensions import db

    if response.status_code < 400:
        db.session.commit()
    else:
        rollback()
    return response


class UnitOfWorkFlask(Flask):
    """Flask whose every view call is one unit of work (see ``finish_unit_of_work``): a
    commit that fails (a constraint, a lost connection) raises here, inside the request, and
    is answered by the error handlers like any other error."""

    def dispatch_request(self):
        rv = super().dispatch_request()
        if request.routing_exception is not None:
            return rv
        return finish_unit_of_work(self.make_response(rv))


def asks_for_html() -> bool:
    """Whether a request to an endpoint with an HTML encoding wants HTML: ``f=html``, or no
    ``f=json``/``f=geojson`` and an Accept header that prefers text/html over JSON, as a
    browser's does. No Accept header, ``*/*`` and JSON types mean JSON. An unknown ``f`` is
    refused by the endpoint; its error follows the Accept header."""
    f = request.args.get("f")
    if f == "html":
        return True
    if f in ("json", "geojson"):
        return False
    return request.accept_mimetypes.best_match([*JSON_TYPES, HTML]) == HTML


def wants_json() -> bool:
    if request.path.startswith(MACHINE_PREFIXES):
        return not (request.path.startswith(HTML_ENCODED_PREFIXES) and asks_for_html())
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and not request.accept_mimetypes.accept_html


def problem(status: int, code: str, message: str, field: str | None = None, **extra):
    body = {"error": {"code": code, "message": message}}
    if field:
        body["error"]["field"] = field
    body["error"].update(extra)
    # RFC 9457 members alongside our own error object.
    body.update({"type": "about:blank", "title": code, "status": status, "detail": message})
    resp = jsonify(body)
    resp.status_code = status
    resp.mimetype = "application/problem+json"
    return resp


def _html(status: int, title: str, message: str):
    return render_template("errors/error.html", status=status, title=title, message=message), status


HTTP_MESSAGES = {
    400: _l("The request could not be understood."),
    401: _l("Please log in first."),
    403: _l("You are not allowed to do this."),
    404: _l("This page does not exist (any more)."),
    405: _l("This method is not allowed here."),
    409: _l("Someone else changed this in the meantime."),
    413: _l("The upload is too large."),
    429: _l("Too many attempts. Please wait a moment and try again."),
}


def register_error_handlers(app: Flask) -> None:
    """Answer every error of ``app`` as problem+json or as the site's error page, and roll
    back the unit of work it interrupted."""
    # Mail owed by a unit of work is sent once it has committed (and dropped on rollback).
    from app import notifications  # noqa: F401

    app.teardown_request(_rollback_unfinished)
    app.register_error_handler(DomainError, _domain)
    app.register_error_handler(HTTPException, _http)
    app.register_error_handler(OperationalError, _unavailable)
    app.register_error_handler(DBAPIError, _dbapi)
    app.register_error_handler(500, _internal)


def _rollback_unfinished(exc: BaseException | None) -> None:
    # Anything not committed at the boundary (an error, an aborted request) is undone.
    if exc is not None:
        rollback()


def _domain(exc: DomainError):
    rollback()
    if wants_json():
        return problem(exc.status, exc.code, exc.message, exc.field, **exc.problem_members())
    return _html(exc.status, _("That did not work"), exc.message)


def _refused_fields(exc: HTTPException) -> dict[str, str]:
    """The fields flask-smorest/webargs refused (in ``exc.data``), each with its first
    message, in the order they were named; a nested one by its path (``stops.0.colour``)."""
    details = (getattr(exc, "data", None) or {}).get("messages") or {}
    out: dict[str, str] = {}
    for fields in details.values():
        if not isinstance(fields, dict):
            continue
        for field, texts in _flatten(fields).items():
            if texts:
                out.setdefault(field, texts[0])
    return out


def _http(exc: HTTPException):
    if exc.code is None:
        return exc
    rollback()
    message = str(HTTP_MESSAGES.get(exc.code, exc.description or exc.name))
    refused = _refused_fields(exc)
    field = next(iter(refused), None)
    extra = {}
    if field is not None:
        message = f"{field}: {refused[field]}"
        # Every refused field (an unknown field or two besides), as FormErrors names them.
        extra["fields"] = refused
    if not wants_json():
        return _html(exc.code, exc.name, message)
    resp = problem(exc.code, exc.name.lower().replace(" ", "_"), message, field, **extra)
    for key, value in (exc.get_headers() or []):
        if key.lower() not in ("content-type",):
            resp.headers[key] = value
    return resp


def _unavailable(exc: Exception):
    log.error("database unavailable: %s", exc.__class__.__name__)
    rollback()
    message = _("The service is briefly unavailable. Please try again in a minute.")
    if wants_json():
        resp = problem(503, "unavailable", message)
    else:
        resp = current_app.make_response(_html(503, _("Temporarily unavailable"), message))
    resp.headers["Retry-After"] = "30"
    return resp


def _dbapi(exc: DBAPIError):
    if exc.connection_invalidated:
        return _unavailable(exc)
    log.exception("database error")
    rollback()
    return _internal(exc)


def _internal(exc):
    rollback()
    message = _("Something went wrong on our side. It has been logged.")
    if wants_json():
        return problem(500, "internal_error", message)
    return _html(500, _("Server error"), message)
