"""Curator pages and the moderation API: role checks on every action (anonymous → login or
401, resident → 403), decisions through forms and JSON, public pages and API showing exactly
the approved revision, merge redirects, and the CSV export command."""

import pytest
from sqlalchemy import select

from app.models import ModerationEvent, Place, ReplyTemplate
from app.services import revisions
from tests.conftest import create_user, login
from tests.integration.test_moderation_factory import LAT, LON, pending_place


@pytest.fixture(autouse=True)
def english(client, db_session):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.post("/language", data={"lang": "en"})  # an explicit choice beats the account's


@pytest.fixture
def waaghaus(demo, db_session):
    return db_session.scalar(select(Place).where(Place.title == "Waaghaus"))


def curator_pages(place_id, flag_id=1, template_id=1, user_id=1):
    """(method, path, form) of every curator page and action."""
    return [
        ("get", "/curate", None),
        ("get", f"/curate/place/{place_id}", None),
        ("post", f"/curate/place/{place_id}/decide", {"decision": "approve"}),
        ("post", f"/curate/places/{place_id}/merge", {"into": "1"}),
        ("post", f"/curate/flag/{flag_id}/resolve", {"resolution": "dismiss"}),
        ("get", "/curate/flags", None),
        ("post", f"/curate/hidden/place/{place_id}/show", {}),
        ("get", f"/curate/places/{place_id}/history", None),
        ("get", f"/curate/places/{place_id}/diff", None),
        ("post", f"/curate/places/{place_id}/restore/1", {"version": "1"}),
        ("get", "/curate/log", None),
        ("get", "/curate/templates", None),
        ("post", "/curate/templates", {"name": "x", "body": "y"}),
        ("post", f"/curate/templates/{template_id}", {"name": "x", "body": "y"}),
        ("post", f"/curate/templates/{template_id}/delete", {}),
        ("get", "/curate/users", None),
        ("post", f"/curate/users/{user_id}/role", {"role": "admin"}),
    ]


def api_actions(place_id):
    return [
        ("get", "/api/v1/moderation/queue", None),
        ("post", f"/api/v1/places/{place_id}/review", {"decision": "approve", "version": 1}),
        ("post", "/api/v1/media/1/review", {"decision": "approve"}),
        ("post", f"/api/v1/places/{place_id}/merge", {"into": 1, "version": 1}),
        ("get", f"/api/v1/places/{place_id}/revisions", None),
        ("post", f"/api/v1/places/{place_id}/revisions/1/restore", {"version": 1}),
        ("post", "/api/v1/flags/1/resolve", {"resolution": "dismiss"}),
        ("get", "/api/v1/moderation/log", None),
    ]


def test_anonymous_is_sent_to_login_and_api_answers_401(client, demo, db_session, resident):
    place = pending_place(resident)
    for method, path, form in curator_pages(place.id):
        resp = getattr(client, method)(path, data=form)
        assert resp.status_code == 302 and "/login" in resp.headers["Location"], path
    for method, path, body in api_actions(place.id):
        resp = getattr(client, method)(path, json=body)
        assert resp.status_code == 401, path
        assert resp.json["error"]["code"] == "unauthorized"
    assert client.get(f"/places/{place.id}/edit").status_code == 302
    assert place.status == "pending"
    assert db_session.scalar(select(ModerationEvent.id)) is None


def test_residents_get_403_on_every_curator_action(client, demo, db_session, resident, admin):
    place = pending_place(create_user("other@example.org"))
    login(client, resident.email)
    for method, path, form in curator_pages(place.id, user_id=admin.id):
        resp = getattr(client, method)(path, data=form)
        assert resp.status_code == 403, path
    for method, path, body in api_actions(place.id):
        resp = getattr(client, method)(path, json=body)
        assert resp.status_code == 403, path
    # Someone else's place is not theirs to edit either.
    assert client.get(f"/places/{place.id}/edit").status_code == 403
    assert place.status == "pending" and admin.role == "admin"
    assert db_session.scalar(select(ModerationEvent.id)) is None


def test_curators_cannot_change_roles_and_never_an_admins(client, db_session, curator, admin,
                                                          resident):
    login(client, curator.email)
    assert client.get("/curate/users").status_code == 403
    assert client.post(f"/curate/users/{admin.id}/role", data={"role": "resident"}).status_code \
        == 403
    assert client.post(f"/curate/users/{resident.id}/role", data={"role": "curator"}).status_code \
        == 403
    assert admin.role == "admin" and resident.role == "resident"


def test_admin_changes_a_role_on_the_page(client, db_session, admin, resident):
    login(client, admin.email)
    page = client.get("/curate/users")
    assert page.status_code == 200 and resident.email in page.text
    resp = client.post(f"/curate/users/{resident.id}/role", data={"role": "curator"})
    assert resp.status_code == 303 and resident.role == "curator"
    assert client.post(f"/curate/users/{admin.id}/role", data={"role": "resident"}).status_code \
        == 403


def test_queue_page_lists_items_and_counts_in_navigation(client, demo, db_session, resident,
                                                         curator):
    place = pending_place(resident, "Alte Mühle")
    login(client, curator.email)
    page = client.get("/curate")
    assert page.status_code == 200
    assert "Alte Mühle" in page.text and f"/curate/place/{place.id}" in page.text
    assert 'id="queue-map"' in page.text
    assert 'data-count="total">1<' in page.text
    assert client.get("/curate?kind=media").text.count("Alte Mühle") == 0
    item = client.get(f"/curate/place/{place.id}")
    assert item.status_code == 200 and "Hier stand eine Mühle." in item.text
    assert 'data-decision="reject"' in item.text and 'id="item-map"' in item.text


def test_form_decision_redirects_to_the_next_item(client, demo, db_session, resident, curator):
    first = pending_place(resident, "Erste")
    second = pending_place(resident, "Zweite", lon=LON + 0.002)
    login(client, curator.email)
    resp = client.post(f"/curate/place/{first.id}/decide",
                       data={"decision": "approve", "version": first.version})
    assert resp.status_code == 303
    assert resp.headers["Location"].endswith(f"/curate/place/{second.id}")
    assert first.is_public
    # As curate.js sends it: JSON with the next item.
    resp = client.post(f"/curate/place/{second.id}/decide",
                       data={"decision": "reject", "version": second.version},
                       headers={"Accept": "application/json"})
    assert resp.status_code == 422 and resp.json["error"]["field"] == "reason"
    assert second.status == "pending"
    resp = client.post(f"/curate/place/{second.id}/decide",
                       data={"decision": "reject", "reason": "spam", "message": "Nein.",
                             "version": second.version},
                       headers={"Accept": "application/json"})
    assert resp.status_code == 200 and resp.json["next_url"] is None
    assert resp.json["counts"]["place"] == 0
    assert second.status == "rejected"


def test_stale_decision_is_refused(client, demo, db_session, resident, curator):
    place = pending_place(resident)
    login(client, curator.email)
    resp = client.post(f"/curate/place/{place.id}/decide",
                       data={"decision": "approve", "version": place.version - 1 or 99},
                       headers={"Accept": "application/json"})
    assert resp.status_code == 409 and place.status == "pending"


def test_public_page_and_api_keep_approved_text_while_edit_waits(client, waaghaus, db_session,
                                                                 curator, resident):
    waaghaus.author_id = resident.id
    db_session.flush()
    author = resident
    old_body = waaghaus.body
    login(client, author.email)
    page = client.get(f"/places/{waaghaus.id}/edit")
    assert page.status_code == 200
    resp = client.post(f"/places/{waaghaus.id}/edit", data={
        "version": waaghaus.version, "title": "Waaghaus", "body": "Ganz neuer Text zum Haus.",
        "lon": revisions.row_snapshot(waaghaus)["lon"],
        "lat": revisions.row_snapshot(waaghaus)["lat"], "language": waaghaus.language,
        "themes": [t.slug for t in waaghaus.themes], "message": "Korrektur",
    })
    assert resp.status_code == 303
    public = client.get(f"/places/{waaghaus.id}")
    assert "Ganz neuer Text" not in public.text
    api = client.get(f"/api/v1/places/{waaghaus.id}")
    assert api.json["properties"]["body"] == old_body
    client.post("/logout")
    login(client, curator.email)
    [item] = client.get("/api/v1/moderation/queue?kind=edit").json["items"]
    db_session.refresh(waaghaus)
    resp = client.post(f"/api/v1/places/{waaghaus.id}/review",
                       json={"decision": "approve", "message": "", "version": waaghaus.version})
    assert resp.status_code == 200, resp.json
    assert item["place_id"] == waaghaus.id
    assert "Ganz neuer Text" in client.get(f"/places/{waaghaus.id}").text
    assert client.get(f"/api/v1/places/{waaghaus.id}").json["properties"]["body"] \
        == "Ganz neuer Text zum Haus."


def test_second_concurrent_save_gets_409_showing_both_versions(client, waaghaus, db_session,
                                                                curator):
    other = create_user("second@example.org", "curator")
    snap = revisions.row_snapshot(waaghaus)
    version = waaghaus.version
    form = {"version": version, "title": "Waaghaus", "lon": snap["lon"], "lat": snap["lat"],
            "language": waaghaus.language, "themes": snap["themes"]}
    login(client, curator.email)
    first = client.post(f"/places/{waaghaus.id}/edit", data={**form, "body": "Text von Kurt."})
    assert first.status_code == 303
    client.post("/logout")
    login(client, other.email)
    second = client.post(f"/places/{waaghaus.id}/edit", data={**form, "body": "Text von Sonja."})
    assert second.status_code == 409
    assert "Text von Kurt." in second.text and "Text von Sonja." in second.text
    db_session.refresh(waaghaus)
    assert waaghaus.body == "Text von Kurt."
    assert f'name="version" value="{waaghaus.version}"' in second.text
    # Saving again from the page (now on the current version) works and keeps both revisions.
    third = client.post(f"/places/{waaghaus.id}/edit",
                        data={**form, "version": waaghaus.version, "body": "Text von Sonja."})
    assert third.status_code == 303
    bodies = [r.snapshot["body"] for r in revisions.history(waaghaus.id)[:2]]
    assert bodies == ["Text von Sonja.", "Text von Kurt."]


def test_patch_api_409_when_stale_and_422_for_bad_fields(client, waaghaus, db_session, curator):
    login(client, curator.email)
    token_headers = {}
    version = waaghaus.version
    ok = client.patch(f"/api/v1/places/{waaghaus.id}", json={"version": version, "title": "Neu"},
                      headers=token_headers)
    assert ok.status_code == 200 and ok.json["status"] == "approved"
    stale = client.patch(f"/api/v1/places/{waaghaus.id}",
                         json={"version": version, "title": "Anders"})
    assert stale.status_code == 409
    assert stale.json["error"]["current"]["snapshot"]["title"] == "Neu"
    assert stale.json["error"]["yours"]["title"] == "Anders"
    bad = client.patch(f"/api/v1/places/{waaghaus.id}",
                       json={"version": ok.json["version"], "title": ""})
    assert bad.status_code == 422 and bad.json["error"]["field"] == "title"
    far = client.patch(f"/api/v1/places/{waaghaus.id}",
                       json={"version": ok.json["version"], "lon": 2.35, "lat": 48.85})
    assert far.status_code == 422 and far.json["error"]["field"] == "position"
    missing = client.patch(f"/api/v1/places/{waaghaus.id}", json={"title": "x"})
    assert missing.status_code == 422
    db_session.refresh(waaghaus)
    assert waaghaus.title == "Neu"


def test_merge_redirects_the_duplicate(client, waaghaus, db_session, resident, curator):
    dup = pending_place(resident, "Waaghaus Winterthur", lon=LON, lat=LAT)
    login(client, curator.email)
    resp = client.post(f"/curate/places/{dup.id}/merge",
                       data={"into": waaghaus.id, "version": dup.version})
    assert resp.status_code == 303
    redirect = client.get(f"/places/{dup.id}")
    assert redirect.status_code == 301
    assert redirect.headers["Location"].endswith(f"/places/{waaghaus.id}")


def test_api_and_ogc_answer_308_for_a_merged_duplicate(client, waaghaus, db_session, resident,
                                                       curator):
    from app.services import moderation

    dup = pending_place(resident, "Waaghaus Winterthur", lon=LON, lat=LAT)
    # Before the merge the pending duplicate is simply not public.
    assert client.get(f"/api/v1/places/{dup.id}").status_code == 404
    assert client.get(f"/ogc/collections/places/items/{dup.id}").status_code == 404
    moderation.merge(curator, dup.id, waaghaus.id)
    db_session.flush()

    api = client.get(f"/api/v1/places/{dup.id}")
    assert api.status_code == 308
    assert api.headers["Location"] == f"http://localhost/api/v1/places/{waaghaus.id}"
    assert api.headers["Access-Control-Allow-Origin"] == "*"
    followed = client.get(f"/api/v1/places/{dup.id}", follow_redirects=True)
    assert followed.status_code == 200 and followed.json["id"] == waaghaus.id

    ogc = client.get(f"/ogc/collections/places/items/{dup.id}?f=json")
    assert ogc.status_code == 308
    assert ogc.headers["Location"] == (
        f"http://localhost/ogc/collections/places/items/{waaghaus.id}?f=json")
    followed = client.get(f"/ogc/collections/places/items/{dup.id}", follow_redirects=True)
    assert followed.status_code == 200 and followed.json["id"] == waaghaus.id

    # Once the surviving place is not public either, the duplicate leads nowhere.
    waaghaus.status = "archived"
    db_session.flush()
    assert client.get(f"/api/v1/places/{dup.id}").status_code == 404
    assert client.get(f"/ogc/collections/places/items/{dup.id}").status_code == 404
    assert client.get("/api/v1/places/987654321").status_code == 404


def test_history_diff_and_restore(client, waaghaus, db_session, curator):
    login(client, curator.email)
    original = waaghaus.body
    client.patch(f"/api/v1/places/{waaghaus.id}",
                 json={"version": waaghaus.version, "body": original + " Ergänzt."})
    hist = client.get(f"/curate/places/{waaghaus.id}/history")
    assert hist.status_code == 200 and "Revision 2" in hist.text
    diff = client.get(f"/curate/places/{waaghaus.id}/diff?a=1&b=2")
    assert "<ins>" in diff.text and "Ergänzt." in diff.text
    db_session.refresh(waaghaus)
    resp = client.post(f"/curate/places/{waaghaus.id}/restore/1",
                       data={"version": waaghaus.version})
    assert resp.status_code == 303
    db_session.refresh(waaghaus)
    assert waaghaus.body == original
    assert [r.number for r in revisions.history(waaghaus.id)] == [3, 2, 1]
    stale = client.post(f"/curate/places/{waaghaus.id}/restore/2", data={"version": 1})
    assert stale.status_code == 303
    db_session.refresh(waaghaus)
    assert waaghaus.body == original


def test_templates_pages(client, db_session, curator):
    login(client, curator.email)
    bad = client.post("/curate/templates", data={"name": "", "body": "x"})
    assert bad.status_code == 422 and db_session.scalar(select(ReplyTemplate.id)) is None
    assert client.post("/curate/templates", data={"name": "Freundlich", "body": "Danke!",
                                                  "reason_code": "quality"}).status_code == 303
    tpl = db_session.scalar(select(ReplyTemplate))
    assert "Freundlich" in client.get("/curate/templates").text
    client.post(f"/curate/templates/{tpl.id}", data={"name": "Freundlich", "body": "Merci!"})
    assert tpl.body == "Merci!"
    client.post(f"/curate/templates/{tpl.id}/delete")
    assert db_session.scalar(select(ReplyTemplate.id)) is None


def test_log_page_filters(client, demo, db_session, resident, curator):
    place = pending_place(resident, "Gelogt")
    login(client, curator.email)
    client.post(f"/curate/place/{place.id}/decide",
                data={"decision": "reject", "reason": "spam", "version": place.version})
    page = client.get("/curate/log?action=reject")
    assert page.status_code == 200 and f"place #{place.id}" in page.text
    assert f"place #{place.id}" not in client.get("/curate/log?action=approve").text


def test_export_command_writes_csv(runner, db_session, curator, tmp_path):
    from app.services.audit import log

    log(curator, "approve", "place", 7, "pending", "approved", message="ok")
    db_session.flush()
    out = tmp_path / "log.csv"
    result = runner.invoke(args=["moderation", "export", str(out)])
    assert result.exit_code == 0, result.output
    lines = out.read_text().splitlines()
    assert lines[0].startswith("id,created_at") and ",approve,place,7," in lines[1]
