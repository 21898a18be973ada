"""stories: suggested edits, transcripts, featured stories at tour stops, usage per story

- ``story_suggestions``: edits suggested by people other than a story's author.
- ``media.transcript`` (with who wrote it and when): every recording's text alternative.
- ``tour_stops.featured_story_ids``: the stories a tour's author chose for a stop, in order.
- Usage figures counted per place before stories were counted one by one move to each place's
  first story (``offering_kind`` 'place' → 'story'); the downgrade adds every story's figures
  back to its place.

Revision ID: 5d7e1f2a3b4c
Revises: 3cd6382a44f9
Create Date: 2026-12-04 20:30:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "5d7e1f2a3b4c"
down_revision = "3cd6382a44f9"
branch_labels = None
depends_on = None

OLD_KINDS = "offering_kind IN ('tour', 'theme', 'place')"
NEW_KINDS = "offering_kind IN ('tour', 'theme', 'story', 'place')"
USAGE_TABLES = ("usage_counters", "usage_goals", "usage_reviews")


def upgrade():
    op.create_table(
        "story_suggestions",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("story_id", sa.BigInteger(), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=True),
        sa.Column("base_version", sa.Integer(), nullable=False),
        sa.Column("changes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("message", sa.Text(), server_default="", nullable=False),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("decided_by_id", sa.BigInteger(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_message", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.CheckConstraint("status IN ('pending', 'accepted', 'declined', 'closed')",
                           name=op.f("ck_story_suggestions_status")),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"],
                                name=op.f("fk_story_suggestions_author_id_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["decided_by_id"], ["users.id"],
                                name=op.f("fk_story_suggestions_decided_by_id_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["story_id"], ["stories.id"],
                                name=op.f("fk_story_suggestions_story_id_stories"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_story_suggestions")),
    )
    op.create_index("ix_story_suggestions_story_status", "story_suggestions",
                    ["story_id", "status"])
    op.create_index(op.f("ix_story_suggestions_author_id"), "story_suggestions", ["author_id"])

    op.add_column("media", sa.Column("transcript", sa.Text(), server_default="",
                                     nullable=False))
    op.add_column("media", sa.Column("transcript_by_id", sa.BigInteger(), nullable=True))
    op.add_column("media", sa.Column("transcript_at", sa.DateTime(timezone=True),
                                     nullable=True))
    op.create_foreign_key(op.f("fk_media_transcript_by_id_users"), "media", "users",
                          ["transcript_by_id"], ["id"], ondelete="SET NULL")

    op.add_column("tour_stops", sa.Column("featured_story_ids",
                                          postgresql.ARRAY(sa.BigInteger()),
                                          server_default="{}", nullable=False))

    for table in USAGE_TABLES:
        op.drop_constraint(op.f(f"ck_{table}_offering_kind"), table, type_="check")
        op.create_check_constraint(op.f(f"ck_{table}_offering_kind"), table, NEW_KINDS)
    op.execute(
        "UPDATE usage_counters AS u SET offering_kind = 'story', offering_id = s.id "
        "FROM stories AS s WHERE u.offering_kind = 'place' AND s.place_id = u.offering_id "
        "AND s.is_lead"
    )


def downgrade():
    # Every story's figures go back to its place, summed with what the place already has.
    op.execute(
        "INSERT INTO usage_counters (day, offering_kind, offering_id, stop, metric, source, n) "
        "SELECT u.day, 'place', s.place_id, u.stop, u.metric, u.source, sum(u.n) "
        "FROM usage_counters AS u JOIN stories AS s ON s.id = u.offering_id "
        "WHERE u.offering_kind = 'story' "
        "GROUP BY u.day, s.place_id, u.stop, u.metric, u.source "
        "ON CONFLICT (day, offering_kind, offering_id, stop, metric, source) "
        "DO UPDATE SET n = usage_counters.n + EXCLUDED.n"
    )
    op.execute("DELETE FROM usage_counters WHERE offering_kind = 'story'")
    op.execute("DELETE FROM usage_goals WHERE offering_kind = 'story'")
    op.execute("DELETE FROM usage_reviews WHERE offering_kind = 'story'")
    for table in USAGE_TABLES:
        op.drop_constraint(op.f(f"ck_{table}_offering_kind"), table, type_="check")
        op.create_check_constraint(op.f(f"ck_{table}_offering_kind"), table, OLD_KINDS)

    op.drop_column("tour_stops", "featured_story_ids")
    op.drop_constraint(op.f("fk_media_transcript_by_id_users"), "media", type_="foreignkey")
    op.drop_column("media", "transcript_at")
    op.drop_column("media", "transcript_by_id")
    op.drop_column("media", "transcript")
    op.drop_index(op.f("ix_story_suggestions_author_id"), table_name="story_suggestions")
    op.drop_index("ix_story_suggestions_story_status", table_name="story_suggestions")
    op.drop_table("story_suggestions")
