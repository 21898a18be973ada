"""Counting: one upsert per counted thing into ``usage_counters``, on a connection of its own.

Why its own connection (in autocommit, with short connect, statement and lock timeouts)
rather than a savepoint in the request's unit of work: a count must never cost the page
anything. On its own connection it is written after the response has been sent
(``count_after``), so the visitor does not wait for it; it cannot make the page's transaction
fail or wait on a busy row; and when the database is slow, locked or down the count is dropped
with one log line naming the kind of failure, never the request. The rate-limit counters
(app/ratelimit_store.py) use a connection of their own for a similar reason.

What is not counted: requests that ask not to be tracked (``DNT: 1``, ``Sec-GPC: 1``) and
known bots. Bots are recognised by crawlerdetect, which ships the maintained list of the PHP
CrawlerDetect project (thousands of crawler patterns, updated with each release) instead of
a regex of our own that would age. Its check costs up to a millisecond for an unseen user
agent, one more reason the count runs after the response.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from app.models.usage import WHOLE, Metric, OfferingKind, Source

log = logging.getLogger("stadtspur.insights")

# Milliseconds: a count that cannot be written at once is not worth waiting for.
STATEMENT_TIMEOUT_MS = 200
LOCK_TIMEOUT_MS = 50
CONNECT_TIMEOUT_S = 2

_UPSERT = text("""
    INSERT INTO usage_counters AS c (day, offering_kind, offering_id, stop, metric, source, n)
    SELECT * FROM unnest(CAST(:days AS date[]), CAST(:kinds AS varchar[]),
                         CAST(:ids AS bigint[]), CAST(:stops AS smallint[]),
                         CAST(:metrics AS varchar[]), CAST(:sources AS varchar[]),
                         CAST(:ns AS bigint[]))
    ON CONFLICT (day, offering_kind, offering_id, stop, metric, source)
    DO UPDATE SET n = c.n + EXCLUDED.n
""")


@dataclass(frozen=True)
class Count:
    """One thing to count (``n`` times)."""

    kind: OfferingKind
    offering_id: int
    metric: Metric
    day: date
    stop: int = WHOLE
    source: Source = Source.SERVER
    n: int = 1


_engines: dict[str, Engine] = {}
_lock = threading.Lock()
_bot_lock = threading.Lock()
_detector = None


def _clock(tz: ZoneInfo) -> datetime:
    # One place that reads the time, so tests can move the day (a clock fixture).
    return datetime.now(tz)


def today(config: Mapping) -> date:
    """Today in the city's time zone: the only time a count keeps."""
    return _clock(ZoneInfo(config.get("BABEL_DEFAULT_TIMEZONE") or "UTC")).date()


def database_url(config: Mapping) -> str:
    """Where counts are written: the app's database unless ``INSIGHTS_DATABASE_URL`` says."""
    return config.get("INSIGHTS_DATABASE_URL") or config["SQLALCHEMY_DATABASE_URI"]


def one(kind: OfferingKind, offering_id: int, metric: Metric, *, stop: int = WHOLE,
        source: Source = Source.SERVER) -> Count:
    """One count of today."""
    return Count(kind, offering_id, metric, today(current_app.config), stop, source)


def _engine(url: str) -> Engine:
    # Made on first use in each process: gunicorn forks after the app is imported, and a
    # pool must never be shared across a fork.
    engine = _engines.get(url)
    if engine is None:
        with _lock:
            engine = _engines.get(url)
            if engine is None:
                # synchronous_commit off: a count is not worth a disk flush of its own (a
                # crash may lose the last few counts, never the database's consistency).
                options = (f"-c statement_timeout={STATEMENT_TIMEOUT_MS} "
                           f"-c lock_timeout={LOCK_TIMEOUT_MS} -c synchronous_commit=off")
                engine = create_engine(
                    url, isolation_level="AUTOCOMMIT", pool_size=2, max_overflow=2,
                    pool_timeout=0.05, pool_pre_ping=False,
                    connect_args={"connect_timeout": CONNECT_TIMEOUT_S, "options": options},
                )
                _engines[url] = engine
    return engine


def is_bot(user_agent: str) -> bool:
    """Whether ``user_agent`` is a known crawler, bot or spider (or missing altogether)."""
    global _detector
    if not user_agent.strip():
        return True
    if _detector is None:
        from crawlerdetect import CrawlerDetect

        _detector = CrawlerDetect()
    # CrawlerDetect keeps the last matches on the instance: one check at a time.
    with _bot_lock:
        return bool(_detector.isCrawler(user_agent))


def asks_not_to_be_counted(headers: Mapping[str, str]) -> bool:
    """``DNT: 1`` or ``Sec-GPC: 1`` (Global Privacy Control)."""
    return headers.get("DNT", "").strip() == "1" or headers.get("Sec-GPC", "").strip() == "1"


def countable(headers: Mapping[str, str]) -> bool:
    """Whether a request with these headers may be counted at all."""
    return not asks_not_to_be_counted(headers) and not is_bot(headers.get("User-Agent", ""))


def write(url: str, counts: Iterable[Count]) -> bool:
    """Add ``counts`` to the counters in the database at ``url`` in one statement; False (and
    nothing written) when the database cannot take it at once."""
    rows = _merge(counts)
    if not rows:
        return True
    params = {
        "days": [r.day for r in rows], "kinds": [str(r.kind) for r in rows],
        "ids": [r.offering_id for r in rows], "stops": [r.stop for r in rows],
        "metrics": [str(r.metric) for r in rows], "sources": [str(r.source) for r in rows],
        "ns": [r.n for r in rows],
    }
    try:
        with _engine(url).connect() as conn:
            conn.execute(_UPSERT, params)
    except (SQLAlchemyError, OSError) as exc:
        # The kind of failure only: the statement's text and parameters stay out of the log.
        log.warning("usage count dropped (%s)", type(exc).__name__)
        return False
    return True


def _merge(counts: Iterable[Count]) -> list[Count]:
    """Counts of the same counter added up (one row each: an upsert may not touch a row twice)."""
    merged: dict[tuple, int] = {}
    for c in counts:
        key = (c.day, c.kind, c.offering_id, c.stop, c.metric, c.source)
        merged[key] = merged.get(key, 0) + c.n
    return [Count(kind, oid, metric, day, stop, source, n)
            for (day, kind, oid, stop, metric, source), n in merged.items() if n > 0]


# Files: a revalidated copy the phone already holds is not downloaded again.
DOWNLOADS = frozenset({Metric.GPX_DOWNLOAD, Metric.PDF_DOWNLOAD})


def count_after(response, headers: Mapping[str, str], counts: list[Count], *,
                sent_only: bool = False) -> None:
    """Count ``counts`` once ``response`` has been sent (its close), unless the request's
    ``headers`` ask not to be counted or come from a bot. Only the three headers the decision
    needs are kept until then, and only in memory. ``sent_only``: only when the body went out
    (a 304 to a cached download is no download)."""
    if asks_not_to_be_counted(headers):
        return
    agent = headers.get("User-Agent", "")
    url = database_url(current_app.config)

    def _count() -> None:
        if sent_only and response.status_code != 200:  # final by the time it is closed
            return
        try:
            if not is_bot(agent):
                write(url, counts)
        except Exception as exc:  # noqa: BLE001  (a count never breaks anything)
            log.warning("usage count dropped (%s)", type(exc).__name__)

    response.call_on_close(_count)


def reset_engines() -> None:
    """Close the counting connections (tests that move databases, and after a fork)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def counted(response, method: str, headers: Mapping[str, str], kind: OfferingKind,
            offering_id: int, metric: Metric, *, stop: int = WHOLE):
    """``response``, counting one ``metric`` of the offering once it is sent (for GET only:
    a HEAD is no visit); the one call a page or download makes."""
    if method == "GET":
        count_after(response, headers, [one(kind, offering_id, metric, stop=stop)],
                    sent_only=metric in DOWNLOADS)
    return response


def counted_views(response, method: str, headers: Mapping[str, str], kind: OfferingKind,
                  offering_ids: Iterable[int]):
    """``response``, counting one page view of each offering it shows (a place's page shows
    its stories in full: each of them is viewed) once it is sent, in one statement."""
    ids = list(dict.fromkeys(offering_ids))
    if method == "GET" and ids:
        count_after(response, headers, [one(kind, i, Metric.PAGE_VIEW) for i in ids])
    return response


def count_now(headers: Mapping[str, str], counts: list[Count]) -> bool:
    """Count at once (an API write whose answer is built later), with the same rules as
    ``count_after``; False when not counted."""
    if not countable(headers):
        return False
    return write(database_url(current_app.config), counts)
