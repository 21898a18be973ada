import pytest

from app import create_app
from app.config import ConfigError, load_config


def test_testing_config_overrides_environment(app):
    assert app.config["TESTING"] is True
    assert not app.debug


def test_production_requires_secret_key(monkeypatch):
    monkeypatch.setenv("STADTSPUR_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg2://x@localhost/x")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config()


def test_production_requires_database_url(monkeypatch):
    monkeypatch.setenv("STADTSPUR_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        load_config()


def test_production_defaults_are_safe(monkeypatch):
    monkeypatch.setenv("STADTSPUR_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db/stadtspur")
    cfg = load_config()
    assert cfg["SESSION_COOKIE_SECURE"] is True
    assert cfg["SESSION_COOKIE_HTTPONLY"] is True
    assert cfg["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert cfg["PERMANENT_SESSION_LIFETIME"].days <= 31
    assert cfg["MAX_CONTENT_LENGTH"] <= 64 * 1024 * 1024
    assert cfg["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True
    assert cfg["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg2://")
    app = create_app({"SECRET_KEY": "x" * 40})
    assert not app.debug
    with app.test_client().get("/login") as resp:
        assert "Strict-Transport-Security" in resp.headers


def test_proxy_fix_only_when_configured(server_url):
    from werkzeug.middleware.proxy_fix import ProxyFix

    plain = create_app({"SQLALCHEMY_DATABASE_URI": server_url, "SECRET_KEY": "k"})
    assert not isinstance(plain.wsgi_app, ProxyFix)
    proxied = create_app({"SQLALCHEMY_DATABASE_URI": server_url, "SECRET_KEY": "k", "PROXY_COUNT": 1})
    assert isinstance(proxied.wsgi_app, ProxyFix)
