"""usage counters, goals, reviews, retired tours' alternatives, and the job queue

The unused ``tour_usage`` table (per tour, day and kind) becomes ``usage_counters`` (per day,
offering, stop, metric and source); its rows are carried over, and the downgrade carries the
tour-wide counts of its four kinds back.

The job queue (procrastinate) gets a schema of its own, ``procrastinate``: its tables are the
library's, not the app's models, and stay out of the app's schema and of its model checks.

Revision ID: 3f6b2d8e1c40
Revises: 64388023a642
Create Date: 2026-12-03 14:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "3f6b2d8e1c40"
down_revision = "64388023a642"
branch_labels = None
depends_on = None

JOB_SCHEMA = "procrastinate"

METRICS = ("page_view", "follow_start", "stop_reached", "completion", "offline_save",
           "audio_play", "read_aloud", "qr_scan", "gpx_download", "pdf_download", "embed_view")


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade():
    op.create_table(
        "usage_counters",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("offering_kind", sa.String(length=8), nullable=False),
        sa.Column("offering_id", sa.BigInteger(), nullable=False),
        sa.Column("stop", sa.SmallInteger(), nullable=False),
        sa.Column("metric", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("n", sa.BigInteger(), server_default="0", nullable=False),
        sa.CheckConstraint(_in("offering_kind", ("tour", "theme", "place")),
                           name=op.f("ck_usage_counters_offering_kind")),
        sa.CheckConstraint(_in("metric", METRICS), name=op.f("ck_usage_counters_metric")),
        sa.CheckConstraint(_in("source", ("server", "online", "offline")),
                           name=op.f("ck_usage_counters_source")),
        sa.CheckConstraint("stop >= 0", name=op.f("ck_usage_counters_stop_nonnegative")),
        sa.CheckConstraint("n >= 0", name=op.f("ck_usage_counters_n_nonnegative")),
        sa.PrimaryKeyConstraint("day", "offering_kind", "offering_id", "stop", "metric",
                                "source", name=op.f("pk_usage_counters")),
    )
    op.create_index("ix_usage_counters_offering_day", "usage_counters",
                    ["offering_kind", "offering_id", "day"])
    op.create_table(
        "usage_goals",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("offering_kind", sa.String(length=8), nullable=False),
        sa.Column("offering_id", sa.BigInteger(), nullable=False),
        sa.Column("metric", sa.String(length=16), nullable=False),
        sa.Column("target", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("hypothesis", sa.Text(), server_default="", nullable=False),
        sa.Column("review_on", sa.Date(), nullable=False),
        sa.Column("notified_on", sa.Date(), nullable=True),
        sa.Column("set_by_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.CheckConstraint(_in("offering_kind", ("tour", "theme", "place")),
                           name=op.f("ck_usage_goals_offering_kind")),
        sa.CheckConstraint(_in("metric", METRICS), name=op.f("ck_usage_goals_metric")),
        sa.CheckConstraint(_in("period", ("week", "month", "year")),
                           name=op.f("ck_usage_goals_period")),
        sa.CheckConstraint("target > 0", name=op.f("ck_usage_goals_target_positive")),
        sa.ForeignKeyConstraint(["set_by_id"], ["users.id"],
                                name=op.f("fk_usage_goals_set_by_id_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_goals")),
        sa.UniqueConstraint("offering_kind", "offering_id", name="uq_usage_goals_offering"),
    )
    op.create_index(op.f("ix_usage_goals_review_on"), "usage_goals", ["review_on"])
    op.create_table(
        "usage_reviews",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("offering_kind", sa.String(length=8), nullable=False),
        sa.Column("offering_id", sa.BigInteger(), nullable=False),
        sa.Column("decision", sa.String(length=8), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("next_review_on", sa.Date(), nullable=True),
        sa.Column("decided_by_id", sa.BigInteger(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(_in("offering_kind", ("tour", "theme", "place")),
                           name=op.f("ck_usage_reviews_offering_kind")),
        sa.CheckConstraint(_in("decision", ("keep", "adapt", "retire")),
                           name=op.f("ck_usage_reviews_decision")),
        sa.ForeignKeyConstraint(["decided_by_id"], ["users.id"],
                                name=op.f("fk_usage_reviews_decided_by_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_reviews")),
    )
    op.create_index("ix_usage_reviews_offering", "usage_reviews",
                    ["offering_kind", "offering_id"])
    op.create_table(
        "tour_alternatives",
        sa.Column("tour_id", sa.BigInteger(), nullable=False),
        sa.Column("alternative_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.CheckConstraint("tour_id <> alternative_id", name=op.f("ck_tour_alternatives_not_itself")),
        sa.CheckConstraint("position >= 1", name=op.f("ck_tour_alternatives_position_positive")),
        sa.ForeignKeyConstraint(["tour_id"], ["tours.id"],
                                name=op.f("fk_tour_alternatives_tour_id_tours"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["alternative_id"], ["tours.id"],
                                name=op.f("fk_tour_alternatives_alternative_id_tours"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("tour_id", "alternative_id", name=op.f("pk_tour_alternatives")),
    )
    op.execute("""
        INSERT INTO usage_counters (day, offering_kind, offering_id, stop, metric, source, n)
        SELECT day, 'tour', tour_id, 0,
               CASE kind WHEN 'view' THEN 'page_view' WHEN 'start' THEN 'follow_start'
                         WHEN 'finish' THEN 'completion' ELSE 'offline_save' END,
               'server', count
        FROM tour_usage WHERE count > 0
    """)
    op.drop_table("tour_usage")
    _create_job_schema()


def _create_job_schema():
    from procrastinate.schema import SchemaManager

    # The driver's own cursor, without parameters: the library's SQL is sent as it is (no %
    # or : handling), in the migration's transaction.
    with op.get_bind().connection.driver_connection.cursor() as cur:
        cur.execute(f"CREATE SCHEMA {JOB_SCHEMA}")
        cur.execute(f"SET LOCAL search_path TO {JOB_SCHEMA}")
        cur.execute(SchemaManager.get_schema())
        cur.execute("SET LOCAL search_path TO DEFAULT")


def downgrade():
    op.execute(f"DROP SCHEMA IF EXISTS {JOB_SCHEMA} CASCADE")
    op.create_table(
        "tour_usage",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("tour_id", sa.BigInteger(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("count", sa.Integer(), server_default="0", nullable=False),
        sa.CheckConstraint("kind IN ('view', 'start', 'finish', 'offline_save')",
                           name=op.f("ck_tour_usage_kind")),
        sa.ForeignKeyConstraint(["tour_id"], ["tours.id"], name=op.f("fk_tour_usage_tour_id_tours"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tour_usage")),
        sa.UniqueConstraint("tour_id", "day", "kind", name="uq_tour_usage_tour_day_kind"),
    )
    # The old table had one tour-wide count per day and kind, and only for tours that exist.
    op.execute("""
        INSERT INTO tour_usage (tour_id, day, kind, count)
        SELECT c.offering_id, c.day,
               CASE c.metric WHEN 'page_view' THEN 'view' WHEN 'follow_start' THEN 'start'
                             WHEN 'completion' THEN 'finish' ELSE 'offline_save' END,
               LEAST(sum(c.n), 2147483647)
        FROM usage_counters c JOIN tours t ON t.id = c.offering_id
        WHERE c.offering_kind = 'tour' AND c.stop = 0
          AND c.metric IN ('page_view', 'follow_start', 'completion', 'offline_save')
        GROUP BY c.offering_id, c.day, c.metric
    """)
    op.drop_table("tour_alternatives")
    op.drop_index("ix_usage_reviews_offering", table_name="usage_reviews")
    op.drop_table("usage_reviews")
    op.drop_index(op.f("ix_usage_goals_review_on"), table_name="usage_goals")
    op.drop_table("usage_goals")
    op.drop_index("ix_usage_counters_offering_day", table_name="usage_counters")
    op.drop_table("usage_counters")
