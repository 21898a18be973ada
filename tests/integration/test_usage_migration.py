"""The usage migration carries the old tour_usage rows into usage_counters, and its downgrade
carries the tour-wide counts of the four old kinds back."""

from __future__ import annotations

from datetime import date

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from tests.conftest import ROOT, make_test_app

MIGRATIONS = str(ROOT / "migrations")
BEFORE = "64388023a642"


@pytest.fixture
def scratch_app(clone_db):
    app = make_test_app(clone_db("usage_migration"))
    yield app
    with app.app_context():
        from app.extensions import db

        db.engine.dispose()


def test_counts_survive_upgrade_and_downgrade(scratch_app):
    from app.extensions import db

    day = date(2026, 11, 30)
    with scratch_app.app_context():
        downgrade(directory=MIGRATIONS, revision=BEFORE)
        with db.engine.begin() as conn:
            tour = conn.execute(text(
                "INSERT INTO tours (slug, title) VALUES ('old', 'Old') RETURNING id")).scalar()
            for kind, n in (("view", 40), ("start", 9), ("finish", 3), ("offline_save", 2)):
                conn.execute(text("INSERT INTO tour_usage (tour_id, day, kind, count) "
                                  "VALUES (:t, :d, :k, :n)"), {"t": tour, "d": day, "k": kind,
                                                               "n": n})
        upgrade(directory=MIGRATIONS)
        with db.engine.begin() as conn:
            rows = conn.execute(text(
                "SELECT metric, stop, source, n FROM usage_counters WHERE offering_id = :t "
                "AND offering_kind = 'tour' AND day = :d ORDER BY metric"),
                {"t": tour, "d": day}).all()
            assert [tuple(r) for r in rows] == [
                ("completion", 0, "server", 3), ("follow_start", 0, "server", 9),
                ("offline_save", 0, "server", 2), ("page_view", 0, "server", 40)]
            # counts only the new table can hold: per stop, offline, other metrics
            conn.execute(text(
                "INSERT INTO usage_counters VALUES (:d, 'tour', :t, 0, 'completion', 'offline', 2),"
                " (:d, 'tour', :t, 2, 'stop_reached', 'offline', 5),"
                " (:d, 'tour', :t, 0, 'qr_scan', 'server', 1)"), {"t": tour, "d": day})
        downgrade(directory=MIGRATIONS, revision=BEFORE)
        with db.engine.begin() as conn:
            back = dict(conn.execute(text(
                "SELECT kind, count FROM tour_usage WHERE tour_id = :t AND day = :d"),
                {"t": tour, "d": day}).all())
            assert back == {"view": 40, "start": 9, "finish": 5, "offline_save": 2}
            schemas = conn.execute(text(
                "SELECT count(*) FROM pg_namespace WHERE nspname = 'procrastinate'")).scalar()
            assert schemas == 0
        upgrade(directory=MIGRATIONS)
