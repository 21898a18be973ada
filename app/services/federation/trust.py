"""Remote accounts and instances a curator trusts: their replies show at once, as a trusted
local member's do (a watched word still holds one for a curator)."""

from __future__ import annotations

from sqlalchemy import or_, select

from app.extensions import db
from app.models import User
from app.models.federation import FederationTrust
from app.services.audit import log
from app.services.federation.blocks import target_kind
from app.services.federation.remote import domain_of
from app.services.roles import require_curator


def is_trusted(actor_uri: str) -> bool:
    """Whether ``actor_uri`` or its instance is trusted."""
    return db.session.scalar(select(FederationTrust.id).where(or_(
        FederationTrust.target == actor_uri,
        (FederationTrust.kind == "domain") & (FederationTrust.target == domain_of(actor_uri))))
    ) is not None


def trust(curator: User, target: str) -> FederationTrust:
    """Trust an account (its actor id, ``https://…``) or an instance (a host name)."""
    require_curator(curator)
    kind, target = target_kind(target)
    found = db.session.scalar(select(FederationTrust).where(FederationTrust.target == target))
    if found is None:
        found = FederationTrust(kind=kind, target=target, trusted_by_id=curator.id)
        db.session.add(found)
        db.session.flush()
        log(curator, "trust", "federation_trust", found.id, None, kind)
    return found


def distrust(curator: User, trust_id: int) -> None:
    """Stop trusting (replies already shown stay)."""
    require_curator(curator)
    found = db.session.get(FederationTrust, trust_id)
    if found is not None:
        log(curator, "distrust", "federation_trust", found.id, found.kind, None)
        db.session.delete(found)


def all_trusts() -> list[FederationTrust]:
    """Every trusted account and instance, newest first."""
    return list(db.session.scalars(select(FederationTrust)
                                   .order_by(FederationTrust.created_at.desc())))
