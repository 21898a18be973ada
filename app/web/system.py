"""Health check and other machine-facing endpoints of the site itself."""

from pathlib import Path

from flask import Blueprint, current_app, jsonify, send_from_directory
from sqlalchemy import text

from app.extensions import csrf, db, limiter

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
        db.session.rollback()
        postgis, database, status = None, "unavailable", 503
    body = {"status": "ok" if status == 200 else "unavailable", "database": database,
            "postgis": postgis}
    resp = jsonify(body)
    resp.status_code = status
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/media/<path:key>")
def media_file(key: str):
    """Public media files. Only the public/ subtree is reachable; originals never are.
    In production a web server or object storage serves MEDIA_URL instead."""
    root = Path(current_app.config["MEDIA_ROOT"]) / "public"
    resp = send_from_directory(root, key, max_age=31536000)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp
