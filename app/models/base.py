"""Column types shared by the models. The declarative base itself lives in app.extensions
(the db object is built from it), so importing a model never imports extensions half-way."""

from datetime import datetime
from typing import Annotated

from sqlalchemy import BigInteger, DateTime, func
from sqlalchemy.orm import mapped_column

from app.extensions import Base  # noqa: F401  (re-exported for the models)

intpk = Annotated[int, mapped_column(BigInteger, primary_key=True)]
created_ts = Annotated[
    datetime, mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
]


def check_in(column: str, values: tuple[str, ...]) -> str:
    """SQL for a CHECK constraint limiting ``column`` to ``values``."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"
