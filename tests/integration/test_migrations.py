"""The migrations are the schema: they upgrade, downgrade and agree with the models."""

import warnings

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from tests.conftest import ROOT, make_test_app

MIGRATIONS = str(ROOT / "migrations")


@pytest.fixture
def scratch_app(clone_db):
    app = make_test_app(clone_db("migrations"))
    yield app
    with app.app_context():
        from app.extensions import db

        db.engine.dispose()


def test_downgrade_to_base_and_upgrade_again(scratch_app):
    from app.extensions import db

    with scratch_app.app_context():
        downgrade(directory=MIGRATIONS, revision="base")
        tables = set(inspect(db.engine).get_table_names()) - {"spatial_ref_sys", "alembic_version"}
        assert tables == set()
        upgrade(directory=MIGRATIONS)
        tables = set(inspect(db.engine).get_table_names())
        assert {"users", "places", "place_revisions", "media", "themes", "tours", "tour_stops",
                "flags", "moderation_events"} <= tables


def test_models_and_migrations_agree(scratch_app):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from app.extensions import db

    with scratch_app.app_context(), db.engine.connect() as conn, warnings.catch_warnings():
        warnings.simplefilter("error")
        env_module = _env_include_object()
        ctx = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": env_module}
        )
        diff = compare_metadata(ctx, db.metadata)
    assert diff == [], diff


def _env_include_object():
    from geoalchemy2 import alembic_helpers

    skip = {"spatial_ref_sys", "layer", "topology"}

    def include_object(obj, name, type_, reflected, compare_to):
        if type_ == "table" and name in skip:
            return False
        return alembic_helpers.include_object(obj, name, type_, reflected, compare_to)

    return include_object


def test_moderation_log_is_append_only(db_session):
    from sqlalchemy import text
    from sqlalchemy.exc import InternalError

    db_session.execute(text(
        "INSERT INTO moderation_events (actor_name, action, target_type, target_id) "
        "VALUES ('x', 'approve', 'place', 1)"
    ))
    with pytest.raises(InternalError, match="append-only"), db_session.begin_nested():
        db_session.execute(text("UPDATE moderation_events SET action = 'reject'"))
    with pytest.raises(InternalError, match="append-only"), db_session.begin_nested():
        db_session.execute(text("DELETE FROM moderation_events"))


def test_check_constraints_hold(db_session):
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    for sql in [
        "INSERT INTO users (email, display_name, role, login_token) VALUES ('a@b.c','a','king','t')",
        "INSERT INTO places (slug, title, geom, status) VALUES ('s','t', "
        "ST_SetSRID(ST_MakePoint(8.7, 47.5), 4326), 'lost')",
        "INSERT INTO places (slug, title, geom, era_year) VALUES ('s','t', "
        "ST_SetSRID(ST_MakePoint(8.7, 47.5), 4326), 1960)",
        "INSERT INTO tours (slug, title, status) VALUES ('s','t','deleted')",
    ]:
        with pytest.raises(IntegrityError), db_session.begin_nested():
            db_session.execute(text(sql))


def test_migration_check_command_is_clean(scratch_app):
    # `flask db check` exits non-zero when autogenerate would produce operations.
    result = scratch_app.test_cli_runner().invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output
