"""One input layer for edits of a place: the edit page, PATCH /api/v1/places/<id> and a
curator's corrections while approving load the same schema (app/inputs/edits.py). A field an
edit may not change is refused with 422 naming it; a bad value is refused naming its field;
nothing of a refused edit is stored."""

import pytest
from sqlalchemy import select

from app.inputs.edits import load_edit
from app.models import Place
from app.services import revisions
from tests.conftest import login
from tests.integration.test_moderation_factory import pending_place


@pytest.fixture(autouse=True)
def english(client, db_session):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.post("/language", data={"lang": "en"})


@pytest.fixture
def waaghaus(demo, db_session):
    return db_session.scalar(select(Place).where(Place.title == "Waaghaus"))


def test_patch_refuses_fields_an_edit_may_not_change_naming_each(client, waaghaus,
                                                                  db_session, curator):
    login(client, curator.email)
    version, title, author = waaghaus.version, waaghaus.title, waaghaus.author_id
    resp = client.patch(f"/api/v1/places/{waaghaus.id}", json={
        "version": version, "title": "Neu", "status": "archived", "author_id": curator.id})
    assert resp.status_code == 422, resp.json
    assert set(resp.json["error"]["fields"]) == {"author_id", "status"}
    assert resp.json["error"]["field"] in ("author_id", "status")
    assert "status" in resp.json["detail"] or "author_id" in resp.json["detail"]
    db_session.refresh(waaghaus)
    assert (waaghaus.version, waaghaus.title, waaghaus.status, waaghaus.author_id) == \
        (version, title, "approved", author)


@pytest.mark.parametrize(("body", "field"), [
    ({"lon": "east"}, "lon"),
    ({"lat": float("nan")}, "lat"),
    ({"step_free": "maybe"}, "step_free"),
    ({"themes": 7}, "themes"),
    ({"title": 12}, "title"),
])
def test_patch_refuses_a_bad_value_naming_its_field(client, waaghaus, db_session, curator,
                                                    body, field):
    login(client, curator.email)
    version = waaghaus.version
    resp = client.patch(f"/api/v1/places/{waaghaus.id}", json={"version": version, **body})
    assert resp.status_code == 422 and resp.json["error"]["field"] == field
    db_session.refresh(waaghaus)
    assert waaghaus.version == version


def test_patch_names_only_what_it_changes(client, waaghaus, db_session, curator):
    login(client, curator.email)
    themes = sorted(t.slug for t in waaghaus.themes)
    step_free = waaghaus.step_free
    resp = client.patch(f"/api/v1/places/{waaghaus.id}",
                        json={"version": waaghaus.version, "summary": "Kurz gesagt."})
    assert resp.status_code == 200, resp.json
    db_session.refresh(waaghaus)
    assert waaghaus.summary == "Kurz gesagt."
    assert sorted(t.slug for t in waaghaus.themes) == themes and waaghaus.step_free == step_free


def test_edit_page_shows_a_bad_position_at_the_position(client, waaghaus, db_session, curator):
    login(client, curator.email)
    snap = revisions.row_snapshot(waaghaus)
    version = waaghaus.version
    resp = client.post(f"/places/{waaghaus.id}/edit", data={
        "version": version, "title": "Waaghaus", "body": "Neu.", "lon": "somewhere",
        "lat": snap["lat"], "language": waaghaus.language, "step_free": ""})
    assert resp.status_code == 422
    assert 'id="position-error"' in resp.text and "This is not a number." in resp.text
    assert 'value="somewhere"' in resp.text  # what was typed is kept
    db_session.refresh(waaghaus)
    assert waaghaus.version == version and waaghaus.body != "Neu."


def test_corrections_before_approving_are_checked_by_the_same_schema(client, demo, db_session,
                                                                     resident, curator):
    place = pending_place(resident, "Alte Muhle")
    login(client, curator.email)
    resp = client.post(f"/curate/place/{place.id}/decide", data={
        "decision": "approve", "version": place.version, "edit_before_approve": "1",
        "title": "Alte Mühle", "summary": "", "body": "Text", "lon": "x", "lat": "47.5",
        "era": ""}, headers={"Accept": "application/json"})
    assert resp.status_code == 422 and resp.json["error"]["field"] == "position"
    assert place.status == "pending" and place.title == "Alte Muhle"


def test_load_edit_leaves_what_it_does_not_name():
    edit = load_edit({"body": "Neu", "step_free": "1", "themes": "altstadt, handwerk"})
    assert edit.body == "Neu" and edit.step_free is True
    assert edit.themes == ["altstadt", "handwerk"]
    assert "title" in edit.unchanged and "body" not in edit.unchanged
    kept = edit.over({"title": "Alt", "lon": 8.7, "lat": 47.5, "themes": ["x"]})
    assert kept.title == "Alt" and kept.themes == ["altstadt", "handwerk"]
