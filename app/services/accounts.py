"""Accounts: creating users, passwords, roles, login ids and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from app.errors import Conflict, Forbidden, ValidationError
from app.extensions import db
from app.models.user import ROLES, ApiToken, User, new_session_token

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 10
# Long passphrases are welcome; the cap only stops hashing megabytes.
MAX_PASSWORD_LENGTH = 1024


def normalise_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    """Argon2id hash of ``password``."""
    return _hasher.hash(password)


def check_password(user: User, password: str) -> bool:
    """True when ``password`` matches; rehashes transparently when parameters changed."""
    if not user.password_hash:
        return False
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return True


def validate_password(password: str) -> None:
    """Raise ValidationError for a password that is too short or too long."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            f"Use at least {MIN_PASSWORD_LENGTH} characters.", field="password", code="too_short"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationError("This password is too long.", field="password", code="too_long")


def get_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def create_user(
    email: str,
    display_name: str,
    password: str | None,
    *,
    role: str = "resident",
    locale: str = "de",
    check_strength: bool = True,
) -> User:
    """Create an account; raises Conflict when the email is taken."""
    if role not in ROLES:
        raise ValidationError(f"Unknown role {role!r}.", field="role")
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise ValidationError("Please enter a valid email address.", field="email")
    if get_by_email(email) is not None:
        raise Conflict("An account with this email address exists already.", field="email")
    if password is not None and check_strength:
        validate_password(password)
    user = User(
        email=email,
        display_name=display_name.strip() or email.split("@")[0],
        password_hash=hash_password(password) if password else None,
        role=role,
        locale=locale,
        session_token=new_session_token(),
    )
    db.session.add(user)
    db.session.flush()
    return user


def set_role(actor: User | None, user: User, role: str) -> None:
    """Change ``user``'s role. ``actor`` None means the command line (trusted)."""
    if role not in ROLES:
        raise ValidationError(f"Unknown role {role!r}.", field="role")
    if actor is not None and not actor.is_admin:
        raise Forbidden("Only admins change roles.")
    user.role = role
    db.session.flush()


def end_all_sessions(user: User) -> None:
    """Invalidate every session cookie issued for ``user`` (logout everywhere)."""
    user.session_token = new_session_token()
    db.session.flush()


def load_user_from_session_id(session_id: str) -> User | None:
    """Flask-Login user loader: the id carries the account's current session token."""
    user_id, _, token = session_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active:
        return None
    if not secrets.compare_digest(user.session_token, token):
        return None
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_token(user: User, name: str) -> str:
    """Create a personal API token and return it; only its hash is stored."""
    name = name.strip()
    if not name:
        raise ValidationError("Give the token a name.", field="name")
    token = "sts_" + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user=user, name=name[:80], token_hash=_token_hash(token)))
    db.session.flush()
    return token


def user_for_api_token(token: str) -> User | None:
    """The active user owning an unrevoked ``token``, or None."""
    row = db.session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == _token_hash(token), ApiToken.revoked_at.is_(None)
        )
    )
    if row is None or not row.user.active:
        return None
    row.last_used_at = datetime.now(UTC)
    return row.user


def revoke_api_token(user: User, token_id: int) -> None:
    row = db.session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise Forbidden("This token is not yours.")
    row.revoked_at = datetime.now(UTC)
    db.session.flush()
