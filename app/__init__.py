"""Stadtspur: a crowdsourced city tour. ``create_app`` assembles the Flask application."""

from __future__ import annotations

from flask import Flask

from app.config import INSTANCE, ROOT, load_config
from app.csp import content_security_policy
from app.errors import UnitOfWorkFlask


def create_app(config: dict | None = None) -> Flask:
    """Application factory. ``config`` overrides settings read from the environment."""
    app = UnitOfWorkFlask(
        __name__,
        static_folder=str(ROOT / "static"),
        static_url_path="/static",
        template_folder=str(ROOT / "templates"),
        instance_path=str(INSTANCE),
    )
    app.config.update(load_config(config))

    from app.logging_setup import configure_logging

    configure_logging(app)

    if app.config["PROXY_COUNT"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_prefix=n)

    _init_extensions(app)

    from app.inputs import request_guard

    # Before the blueprints: their <int:…> rules are built with the bounded converter.
    request_guard.install(app)
    _register_blueprints(app)

    # After the API: flask-smorest installs its own HTTPException handler, ours must win.
    from app.errors import register_error_handlers

    register_error_handlers(app)

    from app.cli import register_cli

    register_cli(app)

    from app.web.context import register_template_helpers

    register_template_helpers(app)
    return app


def _init_extensions(app: Flask) -> None:
    from app import models  # noqa: F401  (registers tables on the metadata)
    from app.extensions import babel, csrf, db, limiter, login_manager, migrate, talisman

    db.init_app(app)
    _init_compression(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), compare_type=True)
    csrf.init_app(app)
    limiter.init_app(app)

    from app.web.i18n import select_locale, select_timezone

    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)

    login_manager.init_app(app)
    login_manager.login_view = "account.login"
    login_manager.session_protection = "basic"

    from app.services.accounts import load_user_from_session_id

    login_manager.user_loader(load_user_from_session_id)

    talisman.init_app(
        app,
        # TLS is terminated by the reverse proxy; redirecting here would loop behind it.
        force_https=False,
        strict_transport_security=app.config["ENV_NAME"] == "production",
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        session_cookie_http_only=True,
        session_cookie_samesite="Lax",
        content_security_policy=content_security_policy(app),
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
        permissions_policy={
            "geolocation": "(self)",
            "microphone": "(self)",
            "camera": "(self)",
            "interest-cohort": "()",
        },
    )


# Text the app sends compressed (Flask-Compress's list, plus the API's and downloads' types).
COMPRESSED_TYPES = (
    "text/html", "text/css", "text/javascript", "application/javascript", "text/plain",
    "text/xml", "text/csv", "application/json", "application/geo+json",
    "application/problem+json", "application/manifest+json", "application/xml",
    "application/atom+xml", "application/rss+xml", "application/gpx+xml", "image/svg+xml",
)


def _init_compression(app: Flask) -> None:
    """Brotli, zstd or gzip for text, from the app itself: the Docker image serves gunicorn
    directly, so no proxy in front is required to do it. Static files are sent as streams;
    Flask-Compress leaves gzip out for those by default, but it is the one encoding every
    browser offers over plain HTTP too."""
    from flask_compress import Compress
    from flask_login import current_user

    app.config.setdefault("COMPRESS_MIMETYPES", list(COMPRESSED_TYPES))
    app.config.setdefault("COMPRESS_ALGORITHM_STREAMING", ["zstd", "br", "gzip", "deflate"])
    app.config.setdefault("COMPRESS_REGISTER", False)
    compress = Compress(app)

    @app.after_request
    def _compress(response):
        # A byte range of a file is sent as it is: compressing it would not be that range.
        if response.status_code == 206:
            return response
        # BREACH: a compressed page holding a logged-in person's CSRF token next to text an
        # attacker can put there (a search, a name) leaks the token byte by byte through the
        # compressed size. Their pages go uncompressed; visitors' pages, the data and the
        # static files, which carry nothing worth stealing, are compressed.
        if response.mimetype == "text/html" and current_user.is_authenticated:
            return response
        return compress.after_request(response)


def _register_blueprints(app: Flask) -> None:
    from app.api import register_api
    from app.web import register_web_blueprints

    register_web_blueprints(app)
    register_api(app)

    from app.api.federation import register_federation

    register_federation(app)
