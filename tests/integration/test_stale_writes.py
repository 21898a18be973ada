"""A write that loses a race with another request's write of the same row: the version check
in the UPDATE finds the row changed (SQLAlchemy's StaleDataError), and the service answers a
409 showing the row as the other request left it, without ending the request's transaction
itself (its boundary rolls back, as for every refusal)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from app.extensions import db
from app.models import Place, PlaceRevision
from app.services import revisions
from app.services.revisions import EditInput, StaleEdit
from tests.conftest import create_user


@pytest.fixture
def waaghaus(demo, db_session):
    return db_session.scalar(select(Place).where(Place.title == "Waaghaus"))


def _revisions(place_id: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(PlaceRevision).where(PlaceRevision.place_id == place_id)
    )


def test_losing_a_race_is_a_409_with_the_winners_text(waaghaus, db_session):
    curator = create_user("kurt@example.org", "curator")
    before = _revisions(waaghaus.id)
    version = waaghaus.version
    snap = revisions.row_snapshot(waaghaus)
    # The other request's write, committed after this request read the place: it goes
    # around this session's identity map, as a second worker's would.
    db.session.execute(
        text("UPDATE places SET body = 'Text von Sonja.', version = version + 1 WHERE id = :id"),
        {"id": waaghaus.id},
    )
    edit = EditInput(title=snap["title"], body="Text von Kurt.", lon=snap["lon"],
                     lat=snap["lat"], language=snap["language"], themes=snap["themes"])
    with pytest.raises(StaleEdit) as refused:
        revisions.save_edit(curator, waaghaus.id, edit, base_version=version)
    assert refused.value.current_version == version + 1
    assert refused.value.current["snapshot"]["body"] == "Text von Sonja."
    assert refused.value.mine["body"] == "Text von Kurt."
    # Still the same transaction: the other request's write is there, and the session works.
    assert db.session.scalar(select(Place.body).where(Place.id == waaghaus.id)) \
        == "Text von Sonja."
    db.session.rollback()  # what the request's boundary does with a refusal
    assert _revisions(waaghaus.id) == before
