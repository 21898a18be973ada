"""Refused before any view runs: input no part of the app can store or answer sensibly.

PostgreSQL cannot store a NUL character in text, nor a lone UTF-16 surrogate (JSON can
carry ``"\\ud800"``); a view that passed either on met a database error (a 500). A JSON body
nested thousands of levels deep exhausted the parser's recursion; an integer in a path beyond
what a ``bigint`` holds overflowed. This module checks every path parameter, query parameter,
form field, uploaded file name and JSON string once, for every request, and answers 400
naming what was refused (problem+json for the API, the error page for pages).
"""

from __future__ import annotations

import json

from flask import Flask, request
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge
from werkzeug.routing import BaseConverter, IntegerConverter

from app.errors import DomainError

# Deeper than any input the app takes (a GeoJSON polygon is 4 levels).
MAX_JSON_DEPTH = 32
MAX_JSON_BYTES = 2 * 1024 * 1024
BIGINT_MAX = 2**63 - 1


class BoundedIntConverter(IntegerConverter):
    """``<int:…>`` that only matches what a PostgreSQL bigint holds: a larger number in a
    path names nothing there is, so it answers 404 like any other unknown address."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", BIGINT_MAX)
        super().__init__(map, *args, **kwargs)


def unstorable(value: str) -> bool:
    """Whether ``value`` holds a NUL or a lone surrogate (text PostgreSQL refuses)."""
    if "\x00" in value:
        return True
    if value.isascii():
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


class UnstorableText(DomainError):
    status = 400
    code = "unstorable_text"


def _refuse(field: str) -> UnstorableText:
    return UnstorableText(
        _("“%(field)s” contains a character that cannot be stored (a NUL or an unpaired "
          "surrogate).", field=field),
        field=field,
    )


def _check_pairs(pairs) -> None:
    for key, value in pairs:
        if unstorable(key):
            raise _refuse(key.replace("\x00", "\\0").encode("utf-8", "replace").decode())
        if isinstance(value, str) and unstorable(value):
            raise _refuse(key)


def _walk_json(document) -> None:
    """Refuse nesting beyond MAX_JSON_DEPTH and unstorable strings, naming the field."""
    stack = [(document, "", 1)]
    while stack:
        node, path, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise BadRequest(_("The JSON body is nested too deeply."))
        if isinstance(node, dict):
            for key, value in node.items():
                name = f"{path}.{key}" if path else key
                if unstorable(key):
                    raise _refuse(path or "body")
                stack.append((value, name, depth + 1))
        elif isinstance(node, list):
            stack.extend((value, f"{path}[{i}]", depth + 1) for i, value in enumerate(node))
        elif isinstance(node, str) and unstorable(node):
            raise _refuse(path or "body")


def _check_json() -> None:
    if not request.is_json or request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if (request.content_length or 0) > MAX_JSON_BYTES:
        raise RequestEntityTooLarge()
    data = request.get_data(cache=True)
    if len(data) > MAX_JSON_BYTES:
        raise RequestEntityTooLarge()
    if not data:
        return
    try:
        document = json.loads(data)
    except RecursionError as exc:
        raise BadRequest(_("The JSON body is nested too deeply.")) from exc
    except ValueError:
        return  # not JSON at all: the view's own parser says what is wrong with it
    _walk_json(document)


class SlugConverter(BaseConverter):
    """``<slug:…>``: what python-slugify makes of a title (lower-case letters, digits, single
    hyphens). A dot ends the slug, so ``/tours/<slug>.gpx`` is never also ``/tours/<slug>``
    (whose methods OPTIONS would then advertise for the file)."""

    regex = r"[a-z0-9]+(?:-[a-z0-9]+)*"


def check_request() -> None:
    """Refuse the request when any part of its input cannot be stored (see module doc)."""
    if unstorable(request.path):
        raise _refuse("path")  # a machine name, like every other field
    _check_pairs((request.view_args or {}).items())
    _check_pairs(request.args.items(multi=True))
    if request.method not in ("GET", "HEAD", "OPTIONS") and not request.is_json:
        _check_pairs(request.form.items(multi=True))
        for name, upload in request.files.items(multi=True):
            if upload.filename and unstorable(upload.filename):
                raise _refuse(name)
    _check_json()


def install(app: Flask) -> None:
    """Bound integer paths, the slug converter and the check of every request's text."""
    app.url_map.converters["int"] = BoundedIntConverter
    app.url_map.converters["slug"] = SlugConverter
    app.before_request(check_request)
