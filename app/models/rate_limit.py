"""Rate-limit counters (written by app/ratelimit_store.py on a connection of its own)."""

from sqlalchemy import BigInteger, Column, DateTime, Table, Text

from app.extensions import db

rate_limit_counters = Table(
    "rate_limit_counters",
    db.metadata,
    Column("key", Text, primary_key=True),
    Column("count", BigInteger, nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    # Counters need no crash safety: no write-ahead log on every hit.
    prefixes=["UNLOGGED"],
)
