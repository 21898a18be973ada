"""The audit log: every decision and change of public content, append-only, by who and why.

Every writer of moderated content (decisions, edits, flags, merges, tours, roles) records here;
curators read it at /curate/log, the API at /api/v1/moderation/log, and it exports as CSV.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from app.extensions import db
from app.models import ModerationEvent, User

SYSTEM_ACTOR = "Stadtspur"


def log(actor: User | None, action: str, target_type: str, target_id: int,
        before: str | None, after: str | None, *, reason: str | None = None,
        message: str = "") -> ModerationEvent:
    """Append one event to the moderation log (``actor`` None: the system itself)."""
    event = ModerationEvent(
        actor_id=actor.id if actor is not None else None,
        actor_name=actor.display_name if actor is not None else SYSTEM_ACTOR,
        action=action,
        target_type=target_type,
        target_id=target_id,
        before_status=before,
        after_status=after,
        reason=reason,
        message=message or "",
    )
    db.session.add(event)
    return event


@dataclass
class LogFilter:
    """What a curator narrows the log to."""

    actor: str = ""
    action: str = ""
    target_type: str = ""
    target_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def log_query(f: LogFilter):
    """The events matching ``f``, newest first."""
    stmt = select(ModerationEvent)
    if f.actor:
        stmt = stmt.where(ModerationEvent.actor_name.ilike(f"%{f.actor}%"))
    if f.action:
        stmt = stmt.where(ModerationEvent.action == f.action)
    if f.target_type:
        stmt = stmt.where(ModerationEvent.target_type == f.target_type)
    if f.target_id is not None:
        stmt = stmt.where(ModerationEvent.target_id == f.target_id)
    if f.since is not None:
        stmt = stmt.where(ModerationEvent.created_at >= f.since)
    if f.until is not None:
        stmt = stmt.where(ModerationEvent.created_at < f.until)
    return stmt.order_by(ModerationEvent.created_at.desc(), ModerationEvent.id.desc())


def log_entries(f: LogFilter, limit: int = 200, offset: int = 0) -> list[ModerationEvent]:
    """One page of ``log_query``."""
    return list(db.session.scalars(log_query(f).limit(limit).offset(offset)))


def log_actions() -> list[str]:
    """Every action the log holds, for the filter's choices."""
    return list(db.session.scalars(
        select(ModerationEvent.action).distinct().order_by(ModerationEvent.action)
    ))


LOG_COLUMNS = ("id", "created_at", "actor_id", "actor_name", "action", "target_type",
               "target_id", "before_status", "after_status", "reason", "message")


def export_log_csv(out, f: LogFilter | None = None) -> int:
    """Write the log (oldest first) as CSV to the text stream ``out``; returns the rows."""
    writer = csv.writer(out)
    writer.writerow(LOG_COLUMNS)
    stmt = log_query(f or LogFilter()).order_by(None).order_by(
        ModerationEvent.created_at, ModerationEvent.id
    )
    count = 0
    for entry in db.session.scalars(stmt.execution_options(yield_per=1000)):
        row = []
        for col in LOG_COLUMNS:
            value = getattr(entry, col)
            if isinstance(value, datetime):
                value = value.astimezone(UTC).isoformat()
            elif isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
                # Spreadsheets run cells starting like formulas: keep free text inert.
                value = "'" + value
            row.append("" if value is None else value)
        writer.writerow(row)
        count += 1
    return count
