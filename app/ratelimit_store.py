"""Rate-limit counters in the project's own PostgreSQL, shared by every worker and host.

Flask-Limiter (through the ``limits`` library) keeps its counters in a storage backend; the
library ships Redis, Memcached and MongoDB backends but none for PostgreSQL, and an in-memory
counter per process lets every gunicorn worker allow the full limit again. This backend keeps
fixed-window counters in one UNLOGGED table (no WAL: counters need no crash safety), one
upsert per hit, on a connection of its own in autocommit: a refused request rolls its unit of
work back, and the attempt must still count.

Select it with ``RATELIMIT_STORAGE_URI = "stadtspur-pg://<the rest of the database URL>"``
(the config does so by default when no ``REDIS_URL`` is given).
"""

from __future__ import annotations

import threading
import time

from limits.storage import Storage
from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError

SCHEME = "stadtspur-pg"
# Expired windows are restarted in place by the next hit of their key; rows of keys never hit
# again are swept every this many new keys.
SWEEP_EVERY = 500

_INCR = text("""
    INSERT INTO rate_limit_counters AS c (key, count, expires_at)
    VALUES (:key, :amount, now() + make_interval(secs => :expiry))
    ON CONFLICT (key) DO UPDATE SET
        count = CASE WHEN c.expires_at <= now() THEN :amount ELSE c.count + :amount END,
        expires_at = CASE WHEN c.expires_at <= now()
                          THEN now() + make_interval(secs => :expiry) ELSE c.expires_at END
    RETURNING count, (xmax = 0) AS inserted
""")
_GET = text("SELECT count FROM rate_limit_counters WHERE key = :key AND expires_at > now()")
_EXPIRY = text("SELECT extract(epoch FROM expires_at) FROM rate_limit_counters WHERE key = :key")
_SWEEP = text("DELETE FROM rate_limit_counters WHERE expires_at < now() - interval '1 hour'")


def storage_uri(database_url: str) -> str:
    """The ``RATELIMIT_STORAGE_URI`` naming this backend on the database at ``database_url``."""
    return f"{SCHEME}://{database_url.split('://', 1)[1]}"


class PostgresStorage(Storage):
    """A ``limits`` storage backend on PostgreSQL (fixed-window strategy)."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._url = "postgresql+psycopg2://" + uri.split("://", 1)[1]
        self._engine = None
        self._lock = threading.Lock()
        self._new_keys = 0

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def _connect(self):
        # Made on first use: gunicorn forks workers after the app is imported, and a pool
        # must never be shared across a fork.
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    self._engine = create_engine(
                        self._url, isolation_level="AUTOCOMMIT", pool_size=2, max_overflow=8,
                        pool_pre_ping=True, connect_args={"connect_timeout": 5},
                    )
        return self._engine.connect()

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        with self._connect() as conn:
            count, inserted = conn.execute(
                _INCR, {"key": key, "amount": amount, "expiry": float(expiry)}
            ).one()
            if inserted:
                self._new_keys += 1
                if self._new_keys % SWEEP_EVERY == 0:
                    conn.execute(_SWEEP)
        return int(count)

    def get(self, key: str) -> int:
        with self._connect() as conn:
            return int(conn.execute(_GET, {"key": key}).scalar() or 0)

    def get_expiry(self, key: str) -> float:
        with self._connect() as conn:
            expiry = conn.execute(_EXPIRY, {"key": key}).scalar()
        return float(expiry) if expiry is not None else time.time()

    def check(self) -> bool:
        try:
            with self._connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except SQLAlchemyError:
            return False

    def reset(self) -> int | None:
        with self._connect() as conn:
            return conn.execute(text("DELETE FROM rate_limit_counters")).rowcount

    def clear(self, key: str) -> None:
        with self._connect() as conn:
            conn.execute(text("DELETE FROM rate_limit_counters WHERE key = :key"), {"key": key})
