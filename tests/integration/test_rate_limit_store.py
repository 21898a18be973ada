"""Rate-limit counters in PostgreSQL: every worker (here: two storage objects, as two
processes would hold) sees the same counts; windows expire; production refuses to start
several workers that count in memory."""

from __future__ import annotations

import runpy
from pathlib import Path
from types import SimpleNamespace

import pytest
from limits import RateLimitItemPerMinute, parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from app.config import load_config, rate_limits_shared
from app.ratelimit_store import PostgresStorage, storage_uri

CONF = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


@pytest.fixture
def uri(clone_db):
    return storage_uri(clone_db("ratelimits"))


def test_two_workers_share_one_count(uri):
    first, second = storage_from_string(uri), storage_from_string(uri)
    assert isinstance(first, PostgresStorage) and first.check()
    limit = parse("3 per minute")
    one, two = FixedWindowRateLimiter(first), FixedWindowRateLimiter(second)
    assert [one.hit(limit, "login", "a"), two.hit(limit, "login", "a"),
            one.hit(limit, "login", "a")] == [True, True, True]
    # The fourth attempt is refused whichever worker answers it.
    assert not two.hit(limit, "login", "a") and not one.hit(limit, "login", "a")
    # Another key is counted on its own.
    assert two.hit(limit, "login", "b")
    # Fixed windows count refused hits too (as every backend of the library does).
    assert first.get(limit.key_for("login", "a")) == 5


def test_window_expires_and_restarts(uri):
    storage = storage_from_string(uri)
    assert storage.incr("k", expiry=1) == 1
    assert storage.incr("k", expiry=1) == 2
    expiry = storage.get_expiry("k")
    # Expire the window without waiting for it: move its end into the past.
    with storage._connect() as conn:
        from sqlalchemy import text

        conn.execute(text("UPDATE rate_limit_counters SET expires_at = now() - interval '1 s'"))
    assert storage.get("k") == 0
    assert storage.incr("k", expiry=60) == 1
    assert storage.get_expiry("k") > expiry


def test_clear_and_reset(uri):
    storage = storage_from_string(uri)
    limiter = FixedWindowRateLimiter(storage)
    item = RateLimitItemPerMinute(1)
    assert limiter.hit(item, "x") and not limiter.hit(item, "x")
    storage.clear(item.key_for("x"))
    assert limiter.hit(item, "x")
    storage.incr("y", expiry=60)
    assert storage.reset() == 2
    assert storage.get("y") == 0


def test_config_counts_in_the_database_unless_told_otherwise(monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    cfg = load_config({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg2://u@h/db",
                       "SECRET_KEY": "x"})
    assert cfg["RATELIMIT_STORAGE_URI"] == "stadtspur-pg://u@h/db" and rate_limits_shared(cfg)
    monkeypatch.setenv("REDIS_URL", "redis://cache:6379/0")
    cfg = load_config({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg2://u@h/db",
                       "SECRET_KEY": "x"})
    assert cfg["RATELIMIT_STORAGE_URI"] == "redis://cache:6379/0"


def _start(workers: int, monkeypatch, **env):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    hooks = runpy.run_path(str(CONF))
    hooks["on_starting"](SimpleNamespace(cfg=SimpleNamespace(workers=workers)))


def test_production_refuses_several_workers_counting_in_memory(monkeypatch):
    prod = {"STADTSPUR_ENV": "production", "SECRET_KEY": "s", "DATABASE_URL": "postgresql://u@h/d"}
    with pytest.raises(SystemExit, match="rate limits counted in each worker's memory"):
        _start(2, monkeypatch, RATELIMIT_STORAGE_URI="memory://", **prod)
    _start(1, monkeypatch, RATELIMIT_STORAGE_URI="memory://", **prod)
    monkeypatch.delenv("RATELIMIT_STORAGE_URI")
    _start(4, monkeypatch, **prod)
