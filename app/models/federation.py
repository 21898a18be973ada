"""Federation (ActivityPub): our actors' keys, the remote actors we know, who follows whom,
the activities received (each once), deliveries' domains, blocks and remote thanks.

A local actor is named by a string: ``city``, ``theme:<slug>`` or ``tour:<slug>``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import check_in, created_ts, intpk

# An activity or actor id longer than this is refused (it also bounds the unique indexes).
MAX_URI = 2000
BLOCK_KINDS = ("domain", "actor")
THANKS_KINDS = ("like", "announce")
# A story's change, or a tour's news: published, retired.
OUTBOX_KINDS = ("create", "update", "delete", "publish", "retire")


class FederationKey(db.Model):
    """The RSA key pair of one local actor, made when the actor is first asked for."""

    __tablename__ = "federation_keys"

    actor: Mapped[str] = mapped_column(String(200), primary_key=True)
    private_pem: Mapped[str] = mapped_column(Text, nullable=False)
    public_pem: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[created_ts]


class RemoteActor(db.Model):
    """An actor of another server, as its document said when we last fetched it."""

    __tablename__ = "federation_remote_actors"

    id: Mapped[intpk]
    uri: Mapped[str] = mapped_column(String(MAX_URI), nullable=False, unique=True)
    domain: Mapped[str] = mapped_column(String(255), nullable=False, index=True)
    inbox: Mapped[str] = mapped_column(String(MAX_URI), nullable=False)
    shared_inbox: Mapped[str | None] = mapped_column(String(MAX_URI))
    key_id: Mapped[str] = mapped_column(String(MAX_URI), nullable=False, index=True)
    public_pem: Mapped[str] = mapped_column(Text, nullable=False)
    username: Mapped[str] = mapped_column(String(200), nullable=False, server_default="")
    fetched_at: Mapped[created_ts]


class Follower(db.Model):
    """A remote actor following one of our actors (accepted at once)."""

    __tablename__ = "federation_followers"
    __table_args__ = (UniqueConstraint("actor", "remote_actor_id",
                                       name="uq_federation_followers_actor_remote"),)

    id: Mapped[intpk]
    actor: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    remote_actor_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("federation_remote_actors.id", ondelete="CASCADE"),
        nullable=False, index=True)
    follow_id: Mapped[str] = mapped_column(String(MAX_URI), nullable=False)
    created_at: Mapped[created_ts]

    remote = relationship("RemoteActor")


class ReceivedActivity(db.Model):
    """An activity that reached an inbox: its id makes a repeated delivery a no-op."""

    __tablename__ = "federation_received"

    id: Mapped[intpk]
    activity_id: Mapped[str] = mapped_column(String(MAX_URI), nullable=False, unique=True)
    type: Mapped[str] = mapped_column(String(40), nullable=False)
    actor_uri: Mapped[str] = mapped_column(String(MAX_URI), nullable=False)
    domain: Mapped[str] = mapped_column(String(255), nullable=False, index=True)
    payload: Mapped[dict] = mapped_column(JSONB, nullable=False)
    received_at: Mapped[created_ts]
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class FederationDomain(db.Model):
    """Delivery health of one remote domain: after repeated failures it is left alone for a
    while (``unavailable_until``)."""

    __tablename__ = "federation_domains"

    domain: Mapped[str] = mapped_column(String(255), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    unavailable_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    updated_at: Mapped[created_ts]


class FederationBlock(db.Model):
    """A curator's block of a remote account (its actor id) or a whole instance (domain)."""

    __tablename__ = "federation_blocks"
    __table_args__ = (CheckConstraint(check_in("kind", BLOCK_KINDS), name="kind"),)

    id: Mapped[intpk]
    kind: Mapped[str] = mapped_column(String(8), nullable=False)
    target: Mapped[str] = mapped_column(String(MAX_URI), nullable=False, unique=True)
    reason: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    blocked_by_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[created_ts]


class FederationTrust(db.Model):
    """A remote account (actor id) or instance (domain) a curator trusts: its replies show at
    once (a watched word still holds them), as a trusted local member's do."""

    __tablename__ = "federation_trusts"
    __table_args__ = (CheckConstraint(check_in("kind", BLOCK_KINDS), name="kind"),)

    id: Mapped[intpk]
    kind: Mapped[str] = mapped_column(String(8), nullable=False)
    target: Mapped[str] = mapped_column(String(MAX_URI), nullable=False, unique=True)
    trusted_by_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[created_ts]


class RemoteThanks(db.Model):
    """A Like or Announce of a story by a remote actor: counted as a thank-you."""

    __tablename__ = "federation_thanks"
    __table_args__ = (
        CheckConstraint(check_in("kind", THANKS_KINDS), name="kind"),
        UniqueConstraint("story_id", "remote_actor_id", "kind",
                         name="uq_federation_thanks_story_remote_kind"),
    )

    id: Mapped[intpk]
    story_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("stories.id", ondelete="CASCADE"), nullable=False, index=True)
    remote_actor_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("federation_remote_actors.id", ondelete="CASCADE"),
        nullable=False)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    activity_id: Mapped[str] = mapped_column(String(MAX_URI), nullable=False)
    created_at: Mapped[created_ts]


class OutboxEntry(db.Model):
    """A story's change (or a tour's news) to be sent to followers, written in the
    transaction that made it, so nothing is lost if the process stops before the delivery
    jobs are queued. No foreign keys: a deleted story's Delete is still to be sent."""

    __tablename__ = "federation_outbox"
    __table_args__ = (
        CheckConstraint(check_in("kind", OUTBOX_KINDS), name="kind"),
        CheckConstraint("num_nonnulls(story_id, tour_id) = 1", name="one_subject"),
    )

    id: Mapped[intpk]
    story_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    tour_id: Mapped[int | None] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(8), nullable=False)
    created_at: Mapped[created_ts]
    fanned_out_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RemoteReply(db.Model):
    """A reply that came from another server: which actor wrote it and its Note's id (for
    its Update and Delete)."""

    __tablename__ = "federation_replies"

    reply_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("replies.id", ondelete="CASCADE"), primary_key=True)
    remote_actor_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("federation_remote_actors.id", ondelete="CASCADE"),
        nullable=False, index=True)
    object_id: Mapped[str] = mapped_column(String(MAX_URI), nullable=False, unique=True)
    created_at: Mapped[created_ts]
