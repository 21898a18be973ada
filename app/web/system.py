"""Health check and other machine-facing endpoints of the site itself."""

from pathlib import Path

from flask import Blueprint, abort, current_app, jsonify, request, send_from_directory
from flask_login import current_user
from sqlalchemy import text

from app.extensions import csrf, db, limiter
from app.services import media as media_service
from app.services.accounts import user_for_api_token

bp = Blueprint("system", __name__)


@bp.get("/healthz")
@limiter.exempt
@csrf.exempt
def healthz():
    try:
        postgis = db.session.execute(text("SELECT postgis_lib_version()")).scalar()
        database = "ok"
        status = 200
    except Exception:  # noqa: BLE001  (any failure means "not healthy", reported as such)
        postgis, database, status = None, "unavailable", 503
    body = {"status": "ok" if status == 200 else "unavailable", "database": database,
            "postgis": postgis}
    resp = jsonify(body)
    resp.status_code = status
    resp.headers["Cache-Control"] = "no-store"
    return resp


PUBLIC_MEDIA_MAX_AGE = 60


def media_viewer():
    """Who asks for a medium that is not public: the owner of a personal API token
    (``Authorization: Bearer``), else the logged-in browser session, else nobody.

    The API hands out media URLs to token holders, so a token must open them exactly as the
    session does. A header that is not a valid bearer token counts as nobody (the medium then
    answers 404 like any other): a refusal here must not tell whether the file exists."""
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return user_for_api_token(token.strip())
    return current_user if current_user.is_authenticated else None


@bp.get("/media/<path:key>")
def media_file(key: str):
    """Public media files. Only the public/ subtree is reachable; originals never are.

    A photo or recording that is not public yet (pending, rejected, hidden, or of a place
    that is not public) is served only to its uploader and to curators, whether they send
    their personal API token or their browser session, and nobody may store it; everyone
    else gets 404, as if it did not exist. So MEDIA_URL must point here (a CDN in front is
    fine: only public files are marked cacheable), never straight at the public folder."""
    medium = media_service.medium_for_public_key(key)
    if medium is None:
        abort(404)
    root = Path(current_app.config["MEDIA_ROOT"]) / "public"
    # Public files, by far the most requests, need no lookup of the caller. They are kept a
    # minute, like the API's reads, then revalidated by ETag (a cheap 304): a photo that
    # curators hide must leave browser and CDN caches as quickly as the text around it.
    if media_service.is_public_medium(medium):
        resp = send_from_directory(root, key, max_age=PUBLIC_MEDIA_MAX_AGE)
    else:
        if not media_service.may_see_medium(media_viewer(), medium):
            abort(404)
        resp = send_from_directory(root, key)
        resp.headers["Cache-Control"] = "private, no-store"
        # The answer depends on who asks: no cache may hand it to someone else.
        resp.vary.update(("Authorization", "Cookie"))
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp
