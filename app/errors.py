"""Domain exceptions and their HTTP answers, in one place.

Services raise these; the API answers problem+json with ``{"error": {code, message, field}}``,
HTML pages render an error page (forms catch ``ValidationError`` themselves to re-render).
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

log = logging.getLogger("stadtspur.errors")

MACHINE_PREFIXES = ("/api/", "/ogc", "/tiles/", "/oembed", "/healthz")
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


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):
        if wants_json():
            return problem(exc.status, exc.code, exc.message, exc.field)
        return _html(exc.status, _("That did not work"), exc.message)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        if exc.code is None:
            return exc
        messages = {
            400: _("The request could not be understood."),
            401: _("Please log in first."),
            403: _("You are not allowed to do this."),
            404: _("This page does not exist (any more)."),
            405: _("This method is not allowed here."),
            409: _("Someone else changed this in the meantime."),
            413: _("The upload is too large."),
            429: _("Too many attempts. Please wait a moment and try again."),
        }
        message = messages.get(exc.code, exc.description or exc.name)
        field = None
        # flask-smorest/webargs put the refused fields in exc.data: name the first one.
        details = (getattr(exc, "data", None) or {}).get("messages") or {}
        for fields in details.values():
            if isinstance(fields, dict) and fields:
                field, problems = next(iter(fields.items()))
                first = problems[0] if isinstance(problems, list) and problems else problems
                message = f"{field}: {first}" if isinstance(first, str) else message
                break
        if wants_json():
            resp = problem(exc.code, exc.name.lower().replace(" ", "_"), message, field)
            for key, value in (exc.get_headers() or []):
                if key.lower() not in ("content-type",):
                    resp.headers[key] = value
            return resp
        return _html(exc.code, exc.name, message)

    def _unavailable(exc: Exception):
        log.error("database unavailable: %s", exc.__class__.__name__)
        from app.extensions import db

        db.session.rollback()
        message = _("The service is briefly unavailable. Please try again in a minute.")
        if wants_json():
            resp = problem(503, "unavailable", message)
        else:
            resp = app.make_response(_html(503, _("Temporarily unavailable"), message))
        resp.headers["Retry-After"] = "30"
        return resp

    @app.errorhandler(OperationalError)
    def _operational(exc: OperationalError):
        return _unavailable(exc)

    @app.errorhandler(DBAPIError)
    def _dbapi(exc: DBAPIError):
        if exc.connection_invalidated:
            return _unavailable(exc)
        log.exception("database error")
        from app.extensions import db

        db.session.rollback()
        return _internal(exc)

    @app.errorhandler(500)
    def _internal(exc):
        message = _("Something went wrong on our side. It has been logged.")
        if wants_json():
            return problem(500, "internal_error", message)
        return _html(500, _("Server error"), message)
