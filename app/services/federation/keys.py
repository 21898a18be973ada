"""Key pairs of our actors (RSA 2048, as Mastodon expects), made on first use."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy.dialects.postgresql import insert

from app.extensions import db
from app.models.federation import FederationKey


def key_of(actor: str) -> FederationKey:
    """The key pair of local ``actor``, made and stored the first time it is asked for
    (two requests at once keep the first one stored)."""
    found = db.session.get(FederationKey, actor)
    if found is not None:
        return found
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode()
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    db.session.execute(insert(FederationKey).values(
        actor=actor, private_pem=private_pem, public_pem=public_pem).on_conflict_do_nothing())
    return db.session.get(FederationKey, actor, populate_existing=True)


def private_key(actor: str) -> rsa.RSAPrivateKey:
    """The loaded private key of local ``actor``."""
    return serialization.load_pem_private_key(key_of(actor).private_pem.encode(), None)
