"""Blocks of remote accounts and whole instances: their activities are refused, their
follows removed, nothing is delivered to them."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import delete, or_, select

from app.errors import ValidationError
from app.extensions import db
from app.models import User
from app.models.federation import MAX_URI, FederationBlock, Follower, RemoteActor
from app.services.audit import log
from app.services.federation.remote import domain_of
from app.services.roles import require_curator


def is_blocked(actor_uri: str) -> bool:
    """Whether ``actor_uri`` or its instance is blocked."""
    return db.session.scalar(select(FederationBlock.id).where(or_(
        FederationBlock.target == actor_uri,
        (FederationBlock.kind == "domain") & (FederationBlock.target == domain_of(actor_uri))))
    ) is not None


def target_kind(target: str) -> tuple[str, str]:
    """(``actor`` or ``domain``, the target as stored) for a curator's entry: an account's
    address (``https://…``) or a host name (lower case); ValidationError otherwise."""
    target = target.strip()
    kind = "actor" if target.startswith(("https://", "http://")) else "domain"
    if kind == "domain":
        target = target.lower()
    if not target or len(target) > MAX_URI or (kind == "domain" and (
            "/" in target or " " in target or ":" in target)):
        raise ValidationError(_("Give an account's address (https://…) or a host name."),
                              field="target")
    return kind, target


def block(curator: User, target: str, reason: str = "") -> FederationBlock:
    """Block an account (its actor id, ``https://…``) or an instance (a host name); their
    follows of our actors are removed."""
    require_curator(curator)
    kind, target = target_kind(target)
    found = db.session.scalar(select(FederationBlock).where(FederationBlock.target == target))
    if found is None:
        found = FederationBlock(kind=kind, target=target, reason=reason.strip(),
                                blocked_by_id=curator.id)
        db.session.add(found)
        db.session.flush()
    matching = (RemoteActor.uri == target if kind == "actor" else RemoteActor.domain == target)
    db.session.execute(delete(Follower).where(
        Follower.remote_actor_id.in_(select(RemoteActor.id).where(matching))))
    log(curator, "block", "federation_block", found.id, None, kind, reason=reason or None)
    return found


def unblock(curator: User, block_id: int) -> None:
    """Lift a block (follows removed by it stay removed)."""
    require_curator(curator)
    found = db.session.get(FederationBlock, block_id)
    if found is not None:
        log(curator, "unblock", "federation_block", found.id, found.kind, None)
        db.session.delete(found)


def all_blocks() -> list[FederationBlock]:
    """Every block, newest first."""
    return list(db.session.scalars(select(FederationBlock)
                                   .order_by(FederationBlock.created_at.desc())))
