"""media keep the curators' decision message and reason

Revision ID: 5d1e0c7a9f21
Revises: b34b39cb7dd5
Create Date: 2026-11-30 14:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "5d1e0c7a9f21"
down_revision = "b34b39cb7dd5"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("media", sa.Column("review_reason", sa.String(length=20), nullable=True))
    op.add_column("media", sa.Column("review_message", sa.Text(), server_default="",
                                     nullable=False))


def downgrade():
    op.drop_column("media", "review_message")
    op.drop_column("media", "review_reason")
