"""Settings read from the environment, with safe development defaults.

Production (``STADTSPUR_ENV=production``) refuses to start without ``SECRET_KEY`` and
``DATABASE_URL``; development generates a secret key once into ``instance/`` and uses the
private database cluster recorded there by ``make run``.
"""

from __future__ import annotations

import json
import os
import secrets
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INSTANCE = ROOT / "instance"

# Winterthur and its surroundings; a city is configuration, so this is only the default.
DEFAULT_SERVICE_AREA = {
    "type": "Polygon",
    "coordinates": [
        [[8.62, 47.42], [8.85, 47.42], [8.85, 47.57], [8.62, 47.57], [8.62, 47.42]]
    ],
}


class ConfigError(RuntimeError):
    pass


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, not {raw!r}") from exc


def _dev_secret_key() -> str:
    path = INSTANCE / "secret_key"
    if not path.exists():
        INSTANCE.mkdir(exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _database_url(production: bool) -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        # Heroku-style URLs name the dialect "postgres"; SQLAlchemy wants the driver spelled out.
        if url.startswith("postgres://"):
            url = "postgresql+psycopg2://" + url[len("postgres://") :]
        return url
    if production:
        raise ConfigError("DATABASE_URL must be set in production")
    recorded = INSTANCE / "database_url"
    if recorded.exists():
        return recorded.read_text().strip()
    raise ConfigError(
        "No database configured: set DATABASE_URL or run `make run` once to start the "
        "private development database."
    )


def load_config(overrides: dict | None = None) -> dict:
    """Build the Flask config from the environment, then apply ``overrides`` (tests)."""
    overrides = dict(overrides or {})
    env = os.environ.get("STADTSPUR_ENV", "development")
    production = env == "production"
    secret = os.environ.get("SECRET_KEY")
    if not secret and "SECRET_KEY" not in overrides:
        if production:
            raise ConfigError("SECRET_KEY must be set in production")
        secret = _dev_secret_key()
    cfg: dict = {
        "ENV_NAME": env,
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": overrides.get("SQLALCHEMY_DATABASE_URI")
        or _database_url(production),
        **_database(),
        **_media_and_tiles(),
        **_city(),
        **_cookies(production),
        **_rate_limits(),
        **_mail(production),
        **_conversation(),
        **_federation(production),
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO"),
        "LOG_JSON": _bool(os.environ.get("LOG_JSON"), production),
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        **_openapi(),
    }
    cfg.update(overrides)
    if not cfg["RATELIMIT_STORAGE_URI"]:
        from app.ratelimit_store import storage_uri

        cfg["RATELIMIT_STORAGE_URI"] = storage_uri(cfg["SQLALCHEMY_DATABASE_URI"])
    if cfg["DEFAULT_MEDIA_LICENCE"] not in cfg["MEDIA_LICENCES"]:
        raise ConfigError(
            f"DEFAULT_MEDIA_LICENCE {cfg['DEFAULT_MEDIA_LICENCE']!r} must be one of "
            f"MEDIA_LICENCES {','.join(cfg['MEDIA_LICENCES'])!r}"
        )
    return cfg


def _database() -> dict:
    return {
        "SQLALCHEMY_ENGINE_OPTIONS": {
            # A restarted database is survived: stale pooled connections are replaced.
            "pool_pre_ping": True,
            "pool_recycle": 1800,
            "connect_args": {"connect_timeout": 5},
        },
        "SQLALCHEMY_TRACK_MODIFICATIONS": False,
    }


def _media_and_tiles() -> dict:
    return {
        # Uploads: a phone photo is rarely over 15 MB; several photos plus a recording fit.
        "MAX_CONTENT_LENGTH": _int("MAX_CONTENT_LENGTH", 40 * 1024 * 1024),
        "MEDIA_ROOT": os.environ.get("MEDIA_ROOT", str(INSTANCE / "media")),
        "MEDIA_URL": os.environ.get("MEDIA_URL", "/media/"),
        "TILE_URL": os.environ.get("TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png"),
        "TILE_ATTRIBUTION": os.environ.get(
            "TILE_ATTRIBUTION",
            '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> '
            "contributors",
        ),
        # Bulk prefetch of tiles is only allowed from our own tile server.
        "TILE_PREFETCH_ALLOWED": _bool(os.environ.get("TILE_PREFETCH_ALLOWED")),
        # The short list a contributor picks each photo's and recording's licence from.
        "MEDIA_LICENCES": tuple(
            code.strip()
            for code in os.environ.get("MEDIA_LICENCES", "CC-BY-SA-4.0,CC-BY-4.0,CC0-1.0")
            .split(",")
            if code.strip()
        ),
        "DEFAULT_MEDIA_LICENCE": os.environ.get("DEFAULT_MEDIA_LICENCE", "CC-BY-SA-4.0"),
    }


def _city() -> dict:
    area_raw = os.environ.get("SERVICE_AREA_GEOJSON")
    return {
        "CITY_NAME": os.environ.get("CITY_NAME", "Winterthur"),
        "CITY_CENTRE": tuple(
            float(v) for v in os.environ.get("CITY_CENTRE", "8.7241,47.4997").split(",")
        ),
        "CITY_ZOOM": _int("CITY_ZOOM", 14),
        "SERVICE_AREA": json.loads(area_raw) if area_raw else DEFAULT_SERVICE_AREA,
        "DEFAULT_LOCALE": os.environ.get("DEFAULT_LOCALE", "de"),
        "LANGUAGES": ("de", "en"),
        "BABEL_DEFAULT_LOCALE": os.environ.get("DEFAULT_LOCALE", "de"),
        "BABEL_DEFAULT_TIMEZONE": os.environ.get("TIMEZONE", "Europe/Zurich"),
        "BABEL_TRANSLATION_DIRECTORIES": str(ROOT / "app" / "translations"),
    }


def _federation(production: bool) -> dict:
    """ActivityPub. Off by default in production until the host name is final: actor
    addresses are built from FEDERATION_BASE_URL and must never change once followed."""
    from slugify import slugify

    city = os.environ.get("CITY_NAME", "Winterthur")
    return {
        "FEDERATION": _bool(os.environ.get("FEDERATION"), not production),
        "FEDERATION_BASE_URL": (os.environ.get("FEDERATION_BASE_URL")
                                or os.environ.get("SITE_URL") or "http://127.0.0.1:5000"),
        "FEDERATION_CITY_ACTOR": os.environ.get("FEDERATION_CITY_ACTOR") or slugify(city),
        "FEDERATION_CITY_DESCRIPTION": os.environ.get("FEDERATION_CITY_DESCRIPTION", ""),
        # Remote servers on private or loopback addresses are never fetched nor posted to,
        # unless this is set (the tests' second server runs on loopback).
        "FEDERATION_ALLOW_PRIVATE": _bool(os.environ.get("FEDERATION_ALLOW_PRIVATE")),
        "FEDERATION_MAX_BODY": _int("FEDERATION_MAX_BODY", 256 * 1024),
        # Activities accepted per remote host and minute.
        "FEDERATION_HOST_RATE": _int("FEDERATION_HOST_RATE", 120),
        # Consecutive failed deliveries after which a domain is left alone for a day.
        "FEDERATION_DOMAIN_FAILURES": _int("FEDERATION_DOMAIN_FAILURES", 10),
    }


def _cookies(production: bool) -> dict:
    return {
        # Cookies: secure by default; development over plain http needs them off.
        "SESSION_COOKIE_SECURE": _bool(os.environ.get("SESSION_COOKIE_SECURE"), production),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_NAME": "stadtspur_session",
        "PERMANENT_SESSION_LIFETIME": timedelta(days=_int("SESSION_DAYS", 14)),
        # Send the session cookie only when the session changed. Refreshed on every answer, a
        # slow answer to a request sent before login (the service worker caching pages, a
        # second tab) would put the old session back over the new one: logged out again, or
        # a form refused for a CSRF token of the other session.
        "SESSION_REFRESH_EACH_REQUEST": False,
        "REMEMBER_COOKIE_SECURE": _bool(os.environ.get("SESSION_COOKIE_SECURE"), production),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_DURATION": timedelta(days=_int("SESSION_DAYS", 14)),
        "WTF_CSRF_TIME_LIMIT": 3600 * 8,
    }


def _rate_limits() -> dict:
    return {
        # Counters every worker and host shares: Redis where REDIS_URL is given, else the
        # project's own PostgreSQL (see app/ratelimit_store.py).
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI")
        or os.environ.get("REDIS_URL")
        or "",
        "RATELIMIT_HEADERS_ENABLED": True,
        "RATELIMIT_ENABLED": _bool(os.environ.get("RATELIMIT_ENABLED"), True),
        # Number of reverse proxies in front of the app; 0 means trust no X-Forwarded-* header.
        "PROXY_COUNT": _int("PROXY_COUNT", 0),
    }


def _conversation() -> dict:
    # Who waits for a curator and how much one person may write (app/services/conversation/
    # rules.py): approved stories and places before replies appear at once, and before
    # links in them do; per person and hour.
    return {
        "CONVERSATION_TRUST_MIN": _int("CONVERSATION_TRUST_MIN", 1),
        "CONVERSATION_LINK_TRUST_MIN": _int("CONVERSATION_LINK_TRUST_MIN", 3),
        "CONVERSATION_REPLIES_PER_HOUR": _int("CONVERSATION_REPLIES_PER_HOUR", 30),
        "CONVERSATION_REACTIONS_PER_HOUR": _int("CONVERSATION_REACTIONS_PER_HOUR", 120),
        "CONVERSATION_TALK_PER_HOUR": _int("CONVERSATION_TALK_PER_HOUR", 10),
    }


def _mail(production: bool) -> dict:
    return {
        "MAIL_BACKEND": os.environ.get("MAIL_BACKEND", "smtp" if production else "outbox"),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "Stadtspur <noreply@stadtspur.invalid>"),
        "SMTP_HOST": os.environ.get("SMTP_HOST", "localhost"),
        "SMTP_PORT": _int("SMTP_PORT", 587),
        "SMTP_USER": os.environ.get("SMTP_USER"),
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD"),
        "SMTP_STARTTLS": _bool(os.environ.get("SMTP_STARTTLS"), True),
        "OUTBOX_DIR": os.environ.get("OUTBOX_DIR", str(INSTANCE / "outbox")),
        # The day the weekly notification digests go out (0 = Monday; daily ones every day).
        "NOTIFICATIONS_WEEKLY_DAY": _int("NOTIFICATIONS_WEEKLY_DAY", 0),
        "FLAG_HIDE_THRESHOLD": _int("FLAG_HIDE_THRESHOLD", 3),
    }


def _openapi() -> dict:
    return {
        # flask-smorest: the OpenAPI document is generated from the API's code.
        "API_TITLE": "Stadtspur API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "openapi.json",
        "API_SPEC_OPTIONS": {
            "info": {
                "description": "Approved places, tours and themes as GeoJSON, plus contribution "
                "and moderation. Place data CC0 1.0; stories CC BY-SA 4.0 unless a feature "
                "says otherwise.",
                "license": {"name": "CC0-1.0 (data)", "url": "https://creativecommons.org/publicdomain/zero/1.0/"},
            },
            "components": {
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer"},
                    "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "stadtspur_session"},
                }
            },
        },
    }


def rate_limits_shared(cfg: dict) -> bool:
    """Whether the rate-limit counters are seen by every worker (not in one process's memory)."""
    return not cfg["RATELIMIT_STORAGE_URI"].startswith("memory://")
