"""rate-limit counters shared by every worker

Revision ID: 7a1c9e0b4d22
Revises: 5d1e0c7a9f21
Create Date: 2026-12-02 23:30:00
"""

from alembic import op

revision = "7a1c9e0b4d22"
down_revision = "5d1e0c7a9f21"
branch_labels = None
depends_on = None


def upgrade():
    # UNLOGGED: counters need no crash safety, and skip the write-ahead log on every hit.
    op.execute(
        """
        CREATE UNLOGGED TABLE rate_limit_counters (
            key text PRIMARY KEY,
            count bigint NOT NULL,
            expires_at timestamptz NOT NULL
        )
        """
    )


def downgrade():
    op.drop_table("rate_limit_counters")
