"""HTTP conventions of the machine-facing endpoints (/api, /ogc, /tiles, /feeds, /oembed).

- CORS is open for reads and closed for writes: GET/HEAD answers and preflights asking for
  GET/HEAD carry ``Access-Control-Allow-Origin: *``; nothing else does, so another site's
  script can read open data but never write with a visitor's session.
- Read endpoints answer with an ETag and Cache-Control; ``If-None-Match`` gives 304.
  ``@public_read(max_age)`` marks a response as the same for everyone (a CDN may keep it);
  every other GET under these prefixes gets an ETag and ``private, no-cache``, which is safe
  for answers that depend on the caller.
- Writes are rate limited with ``@write_limit()`` (see docs/api.md for the pattern).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import Flask, Response, current_app, g, request
from marshmallow import ValidationError as SchemaError

from app.errors import FormErrors, errors_by_field
from app.extensions import limiter

READ_PREFIXES = ("/api/", "/ogc", "/tiles/", "/feeds/", "/oembed")
SAFE = ("GET", "HEAD")
EXPOSED = "ETag, Link, Content-Length, Content-Type, Retry-After"
DEFAULT_WRITE_LIMIT = "30 per minute; 300 per hour"


def public_read(max_age: int = 60, s_maxage: int | None = None) -> Callable:
    """Decorator for read endpoints whose answer is the same for every caller: sets
    ``Cache-Control: public`` (shared caches may keep it ``s_maxage`` seconds), a strong ETag
    of the body, and answers ``If-None-Match`` with 304."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            g.public_read = (max_age, max_age if s_maxage is None else s_maxage)
            return view(*args, **kwargs)

        return wrapper

    return decorator


def _finish_read(resp: Response) -> Response:
    if request.method not in SAFE or resp.status_code != 200 or resp.direct_passthrough:
        return resp
    if resp.is_streamed:
        return resp
    public = g.get("public_read")
    if public:
        max_age, shared = public
        resp.headers["Cache-Control"] = f"public, max-age={max_age}, s-maxage={shared}"
    elif "Cache-Control" not in resp.headers:
        resp.headers["Cache-Control"] = "private, no-cache"
    if not resp.get_etag()[0]:
        resp.add_etag()
    return resp.make_conditional(request)


def _cors(resp: Response) -> Response:
    if request.method in SAFE:
        resp.headers["Access-Control-Allow-Origin"] = "*"
        resp.headers["Access-Control-Expose-Headers"] = EXPOSED
    elif request.method == "OPTIONS" and request.headers.get("Origin"):
        asked = request.headers.get("Access-Control-Request-Method", "").upper()
        if asked in SAFE:
            resp.headers["Access-Control-Allow-Origin"] = "*"
            resp.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
            resp.headers["Access-Control-Allow-Headers"] = (
                "Accept, Accept-Language, If-None-Match, If-Modified-Since"
            )
            resp.headers["Access-Control-Max-Age"] = "86400"
    return resp


def init_http(app: Flask) -> None:
    """Install the CORS and caching conventions for the machine-facing prefixes."""

    @app.after_request
    def _machine_headers(resp: Response) -> Response:
        if not request.path.startswith(READ_PREFIXES):
            return resp
        return _cors(_finish_read(resp))


def rate_key() -> str:
    """Who a write limit counts: the token or logged-in user when there is one, else the
    client address (behind PROXY_COUNT proxies, the forwarded one)."""
    from app.api.auth import api_user

    try:
        user = api_user()
    except Exception:  # noqa: BLE001  (an invalid token is counted by address; the view rejects it)
        user = None
    if user is not None:
        return f"user:{user.id}"
    return f"addr:{request.remote_addr or 'unknown'}"


def write_limit(limit: str | None = None) -> Callable:
    """Rate limit for a write endpoint, counted per user or token (else per address).
    ``limit`` defaults to the config value API_WRITE_LIMIT or 30/min and 300/hour.
    Over the limit the API answers 429 problem+json with Retry-After."""

    def current_limit() -> str:
        return limit or current_app.config.get("API_WRITE_LIMIT", DEFAULT_WRITE_LIMIT)

    return limiter.limit(current_limit, key_func=rate_key, methods=["POST", "PUT", "PATCH",
                                                                      "DELETE"])


def json_body(schema):
    """The request's JSON body loaded by ``schema`` (call it after the role checks), refusals
    as FormErrors (422 naming every field); no body is an empty object."""
    body = request.get_json(silent=True)
    try:
        return schema.load(body if body is not None else {})
    except SchemaError as exc:
        raise FormErrors(errors_by_field(exc)) from exc
