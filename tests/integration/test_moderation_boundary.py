"""Curator pages leave the unit of work to the request boundary: a refused decision is
problem+json for curate.js (with the current version when stale) and a flashed message with
a redirect for a plain form post, a refused template is the form again with its message, and
nothing of a refused request is stored."""

import pytest
from sqlalchemy import func, select

from app.models import ModerationEvent, ReplyTemplate
from tests.conftest import login
from tests.integration.test_moderation_factory import pending_place

JSON = {"Accept": "application/json"}


@pytest.fixture(autouse=True)
def english(client, db_session):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.post("/language", data={"lang": "en"})


def _events(db_session) -> int:
    return db_session.scalar(select(func.count(ModerationEvent.id)))


def test_refused_decision_is_problem_json_naming_the_field(client, demo, db_session, resident,
                                                          curator):
    place = pending_place(resident)
    login(client, curator.email)
    before = _events(db_session)
    resp = client.post(f"/curate/place/{place.id}/decide",
                       data={"decision": "request_changes", "version": place.version},
                       headers=JSON)
    assert resp.status_code == 422
    assert resp.mimetype == "application/problem+json"
    assert resp.json["status"] == 422 and resp.json["detail"] == "Say what should be changed."
    assert resp.json["error"]["field"] == "message"
    assert place.status == "pending" and _events(db_session) == before


def test_stale_decision_answers_what_is_current(client, demo, db_session, resident, curator):
    place = pending_place(resident, "Alte Mühle")
    login(client, curator.email)
    resp = client.post(f"/curate/place/{place.id}/decide",
                       data={"decision": "approve", "version": place.version + 5},
                       headers=JSON)
    assert resp.status_code == 409 and resp.mimetype == "application/problem+json"
    current = resp.json["error"]["current"]
    assert current["version"] == place.version
    assert current["snapshot"]["title"] == "Alte Mühle"
    assert place.status == "pending"


def test_refused_form_decision_flashes_and_goes_back_to_the_item(client, demo, db_session,
                                                                resident, curator):
    place = pending_place(resident)
    login(client, curator.email)
    resp = client.post(f"/curate/place/{place.id}/decide",
                       data={"decision": "reject", "version": place.version})
    assert resp.status_code == 303
    assert resp.headers["Location"].endswith(f"/curate/place/{place.id}")
    page = client.get(resp.headers["Location"])
    assert "Choose a reason for the rejection." in page.text
    assert place.status == "pending"


def test_decision_on_a_decided_item_is_404_problem_json(client, demo, db_session, resident,
                                                       curator):
    place = pending_place(resident)
    login(client, curator.email)
    ok = client.post(f"/curate/place/{place.id}/decide",
                     data={"decision": "approve", "version": place.version}, headers=JSON)
    assert ok.status_code == 200
    again = client.post(f"/curate/place/{place.id}/decide",
                        data={"decision": "approve", "version": place.version}, headers=JSON)
    assert again.status_code == 404 and again.mimetype == "application/problem+json"


def test_refused_template_shows_the_form_again_and_stores_nothing(client, db_session, curator):
    login(client, curator.email)
    resp = client.post("/curate/templates", data={"name": "Dankeschön", "body": "  "})
    assert resp.status_code == 422
    assert "Write the reply." in resp.text and 'value="Dankeschön"' in resp.text
    assert db_session.scalar(select(func.count(ReplyTemplate.id))) == 0


def test_refused_template_update_flashes_on_the_list(client, db_session, curator):
    login(client, curator.email)
    assert client.post("/curate/templates", data={"name": "A", "body": "Eins"}).status_code == 303
    assert client.post("/curate/templates", data={"name": "B", "body": "Zwei"}).status_code == 303
    b = db_session.scalar(select(ReplyTemplate).where(ReplyTemplate.name == "B"))
    resp = client.post(f"/curate/templates/{b.id}", data={"name": "a", "body": "Zwei"})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/curate/templates")
    assert "A template with this name exists already." in client.get("/curate/templates").text
    db_session.refresh(b)
    assert b.name == "B"


def test_unknown_role_flashes_and_changes_nothing(client, db_session, admin, resident):
    login(client, admin.email)
    resp = client.post(f"/curate/users/{resident.id}/role", data={"role": "emperor"})
    assert resp.status_code == 303 and resident.role == "resident"
    assert "Unknown role." in client.get(resp.headers["Location"]).text


def test_merge_into_no_number_is_refused_naming_into(client, demo, db_session, resident,
                                                    curator):
    place = pending_place(resident)
    login(client, curator.email)
    resp = client.post(f"/curate/places/{place.id}/merge",
                       data={"into": "Waaghaus", "kind": "place", "item_id": place.id},
                       headers=JSON)
    assert resp.status_code == 422 and resp.json["error"]["field"] == "into"
    assert resp.json["detail"] == "Merge into a published place."
    assert place.merged_into_id is None and place.status == "pending"


def test_unknown_resolution_flashes_and_resolves_nothing(client, demo, db_session, curator):
    from app.models import Flag, Place

    place = db_session.scalar(select(Place).where(Place.title == "Waaghaus"))
    flag = Flag(place_id=place.id, reporter_key="k1", reason="wrong")
    db_session.add(flag)
    db_session.flush()
    login(client, curator.email)
    resp = client.post(f"/curate/flag/{flag.id}/resolve", data={"resolution": "burn"})
    assert resp.status_code == 303
    assert "Choose dismiss, edit, hide or remove." in client.get(resp.headers["Location"]).text
    db_session.refresh(flag)
    assert flag.status == "open"


def test_restore_without_a_version_flashes_and_restores_nothing(client, demo, db_session,
                                                               curator):
    from app.models import Place
    from app.services import revisions

    place = db_session.scalar(select(Place).where(Place.title == "Waaghaus"))
    before = len(revisions.history(place.id))
    login(client, curator.email)
    resp = client.post(f"/curate/places/{place.id}/restore/1", data={"version": "old"})
    assert resp.status_code == 303
    assert "The version must be a whole number." in client.get(resp.headers["Location"]).text
    assert len(revisions.history(place.id)) == before


def test_api_review_refuses_an_unknown_field(client, demo, db_session, resident, curator):
    place = pending_place(resident)
    login(client, curator.email)
    resp = client.post(f"/api/v1/places/{place.id}/review",
                       json={"decision": "approve", "version": place.version, "status": "x"})
    assert resp.status_code == 422 and resp.json["error"]["field"] == "status"
    assert place.status == "pending"
