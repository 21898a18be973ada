from __future__ import annotations

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import check_in, created_ts, intpk

ROLES = ("resident", "curator", "admin")


def new_login_token() -> str:
    return secrets.token_urlsafe(24)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(check_in("role", ROLES), name="role"),
        CheckConstraint(check_in("locale", ("de", "en")), name="locale"),
    )

    id: Mapped[intpk]
    # Stored lower-cased by the account service, so uniqueness is case-insensitive.
    email: Mapped[str] = mapped_column(String(254), nullable=False, unique=True)
    display_name: Mapped[str] = mapped_column(String(80), nullable=False)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), nullable=False, server_default="resident")
    # Residents marked as helpers may enter stories on behalf of people without a smartphone.
    is_helper: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    locale: Mapped[str] = mapped_column(String(5), nullable=False, server_default="de")
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="true")
    # Part of the login id in the session cookie: rotating it ends every session of the account.
    login_token: Mapped[str] = mapped_column(
        String(64), nullable=False, default=new_login_token
    )
    created_at: Mapped[created_ts]

    tokens: Mapped[list[ApiToken]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def get_id(self) -> str:  # Flask-Login
        return f"{self.id}:{self.login_token}"

    @property
    def is_curator(self) -> bool:
        return self.role in ("curator", "admin")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(String(80), nullable=False)
    # sha256 of the token: a database leak must not leak usable tokens.
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    created_at: Mapped[created_ts]
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship(back_populates="tokens")
