"""idempotency keys of stories: the story a key created, in a column of its own

Keys of ``POST /api/v1/places/<id>/stories`` (stored as "story:" and a hash) had kept the
story's id as the last 16 hex digits of ``request_hash`` after 48 digits of the request's
fingerprint. The upgrade moves the id into ``story_id`` and keeps the 48 digits (a retry's
fingerprint is compared by prefix); the downgrade writes them back in the old form.

Revision ID: 6446ec911dfe
Revises: 66a8177580a0
Create Date: 2026-12-04 20:39:40.282762
"""

import sqlalchemy as sa
from alembic import op

revision = "6446ec911dfe"
down_revision = "66a8177580a0"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("idempotency_keys", sa.Column("story_id", sa.BigInteger(), nullable=True))
    op.create_foreign_key(op.f("fk_idempotency_keys_story_id_stories"), "idempotency_keys",
                          "stories", ["story_id"], ["id"], ondelete="SET NULL")
    op.execute(
        "UPDATE idempotency_keys SET story_id = NULLIF(('x' || substr(request_hash, 49, 16))"
        "::bit(64)::bigint, 0), request_hash = left(request_hash, 48) "
        "WHERE key LIKE 'story:%' AND char_length(request_hash) = 64"
    )
    op.execute(
        "UPDATE idempotency_keys SET story_id = NULL WHERE key LIKE 'story:%' "
        "AND story_id IS NOT NULL AND NOT EXISTS "
        "(SELECT 1 FROM stories WHERE stories.id = idempotency_keys.story_id)"
    )


def downgrade():
    op.execute(
        "UPDATE idempotency_keys SET request_hash = left(request_hash, 48) || "
        "lpad(to_hex(coalesce(story_id, 0)), 16, '0') "
        "WHERE key LIKE 'story:%'"
    )
    op.drop_constraint(op.f("fk_idempotency_keys_story_id_stories"), "idempotency_keys",
                       type_="foreignkey")
    op.drop_column("idempotency_keys", "story_id")
