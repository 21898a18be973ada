"""The read engine: public reads in one round trip each, straight through the driver.

Through the ORM session a read costs four round trips to the database (pool ping, BEGIN, the
query, ROLLBACK at teardown); under load that, not the query, bounds requests per second.
Public reads need no transaction: they run on an autocommit engine of their own without the
ping, and a connection found dead is replaced by retrying once.

On that engine the statement goes to the driver's cursor directly, compiled once per SQL
text: SQLAlchemy's per-execution work (cache key, execution context, result rows) cost
about a quarter of a millisecond per request, close to the database's own work for one
place (docs/benchmarks.md).

The engine lives in ``app.extensions[READ_ENGINE]``, made on first use from the app's
database settings. Whoever puts another engine there first (tests, to read inside their own
transaction) gets every read on it; this module never asks which one it has.
"""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import text
from sqlalchemy.dialects.postgresql.psycopg2 import dialect as psycopg2_dialect
from sqlalchemy.exc import DBAPIError

READ_ENGINE = "stadtspur_read_engine"

_DIALECT = psycopg2_dialect()


def read_engine():
    """The app's read engine (autocommit, no pre-ping), made on first use."""
    from flask import current_app
    from sqlalchemy import create_engine

    app = current_app._get_current_object()
    engine = app.extensions.get(READ_ENGINE)
    if engine is None:
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options.pop("pool_pre_ping", None)
        engine = create_engine(
            app.config["SQLALCHEMY_DATABASE_URI"], isolation_level="AUTOCOMMIT", **options
        )
        app.extensions[READ_ENGINE] = engine
    return engine


@lru_cache(maxsize=512)
def driver_sql(sql: str) -> str:
    """``sql`` with its ``:name`` parameters in the driver's ``%(name)s`` style (and literal
    ``%`` escaped), compiled once per distinct text."""
    return str(text(sql).compile(dialect=_DIALECT))


def fetch(sql: str, params: dict | None = None, mapping: bool = False) -> list:
    """All rows of the read-only statement ``sql`` (``:name`` parameters), in one round trip:
    tuples, or dicts by column name with ``mapping``. Database errors surface as SQLAlchemy's
    (so a dead database answers 503 like everywhere else)."""
    params = params or {}
    engine = read_engine()
    statement = driver_sql(sql)
    for attempt in (1, 2):
        conn = cursor = None
        try:
            conn = engine.raw_connection()
            cursor = conn.cursor()
            cursor.execute(statement, params)
            rows = cursor.fetchall()
            if mapping:
                names = [column.name for column in cursor.description]
                rows = [dict(zip(names, row, strict=True)) for row in rows]
            return rows
        except engine.dialect.loaded_dbapi.Error as exc:
            if conn is None:  # no connection at all: the database is down
                dead = True
            else:
                dead = engine.dialect.is_disconnect(exc, conn.dbapi_connection, cursor)
                if dead:
                    conn.invalidate(exc)
                    if attempt == 1:
                        continue  # the server restarted since this connection was pooled
            raise DBAPIError.instance(
                statement, params, exc, engine.dialect.loaded_dbapi.Error,
                connection_invalidated=dead, dialect=engine.dialect,
            ) from exc
        finally:
            if cursor is not None and not cursor.closed:
                cursor.close()
            if conn is not None:
                conn.close()
    raise AssertionError("unreachable")


def one(sql: str, params: dict | None = None):
    """The single row of ``sql``; RuntimeError when there is not exactly one."""
    rows = fetch(sql, params)
    if len(rows) != 1:
        raise RuntimeError(f"expected one row, got {len(rows)}")
    return rows[0]


def scalar(sql: str, params: dict | None = None):
    """The first column of the first row of ``sql``, or None without rows."""
    rows = fetch(sql, params)
    return rows[0][0] if rows else None
