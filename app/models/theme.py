from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import created_ts, intpk

place_themes = Table(
    "place_themes",
    db.metadata,
    Column("place_id", BigInteger, ForeignKey("places.id", ondelete="CASCADE"), primary_key=True),
    Column("theme_id", BigInteger, ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True),
)

theme_follows = Table(
    "theme_follows",
    db.metadata,
    Column("user_id", BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("theme_id", BigInteger, ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True),
)


class Theme(db.Model):
    __tablename__ = "themes"

    id: Mapped[intpk]
    slug: Mapped[str] = mapped_column(String(80), nullable=False, unique=True)
    name_de: Mapped[str] = mapped_column(String(120), nullable=False)
    name_en: Mapped[str] = mapped_column(String(120), nullable=False)
    description_de: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    description_en: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    colour: Mapped[str] = mapped_column(String(7), nullable=False, server_default="#2b6cb0")
    icon: Mapped[str] = mapped_column(String(40), nullable=False, server_default="pin")
    created_at: Mapped[created_ts]

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name_de

    def description(self, locale: str) -> str:
        return self.description_en if locale == "en" else self.description_de
