"""Writing tours through the API: what the editor pages do, with bearer tokens — create,
edit with optimistic locking, reorder, suggest an order, and the lifecycle with role checks.
Every refusal is a clear 4xx and stores nothing."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from app.extensions import db
from app.models import Place, Tour
from app.services.accounts import create_api_token
from tests.conftest import create_user


def places(n=4):
    return list(db.session.scalars(
        select(Place.id).where(Place.status == "approved").order_by(Place.id).limit(n)))


def bearer(user) -> dict:
    token = create_api_token(user, "test")
    # Committed (a savepoint in tests): a refused request rolls back only its own work.
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def tour_count() -> int:
    return db.session.scalar(select(func.count(Tour.id)))


def new_tour(client, headers, ids, **extra):
    body = {"title": "Mein Spaziergang", "intro": "Ein *kurzer* Weg.", "theme": "seniors-memories",
            "stops": [{"place_id": i, "transition_note": f"Weiter zu {i}"} for i in ids]}
    body.update(extra)
    return client.post("/api/v1/tours", json=body, headers=headers)


def test_create_read_edit_and_reorder_a_draft(client, demo):
    ids = places(3)
    author = bearer(create_user("walker@example.org"))
    resp = new_tour(client, author, ids)
    assert resp.status_code == 201, resp.get_json()
    draft = resp.get_json()
    assert draft["status"] == "draft" and draft["theme"] == "seniors-memories"
    assert [s["place_id"] for s in draft["stops"]] == ids
    assert draft["stops"][1]["transition_note"] == f"Weiter zu {ids[1]}"
    assert draft["route"]["type"] == "LineString" and draft["route_source"] == "generated"
    assert draft["length_m"] > 0 and draft["duration_relaxed_min"] >= draft["duration_normal_min"]
    slug = draft["slug"]
    assert resp.headers["Location"].endswith(f"/api/v1/tours/{slug}/draft")
    assert client.get(f"/api/v1/tours/{slug}/draft", headers=author).get_json() == draft
    # A draft is not public.
    assert client.get(f"/api/v1/tours/{slug}").status_code == 404

    edited = client.patch(f"/api/v1/tours/{slug}", headers=author,
                          json={"version": draft["version"], "title": "Mein liebster Weg"})
    assert edited.status_code == 200, edited.get_json()
    after = edited.get_json()
    assert after["title"] == "Mein liebster Weg" and after["version"] > draft["version"]
    assert after["intro"] == draft["intro"] and after["theme"] == "seniors-memories"  # left as they were
    assert [s["place_id"] for s in after["stops"]] == ids

    order = [ids[2], ids[0], ids[1]]
    moved = client.post(f"/api/v1/tours/{slug}/order", headers=author,
                        json={"version": after["version"], "order": order})
    assert moved.status_code == 200
    assert [s["place_id"] for s in moved.get_json()["stops"]] == order

    proposal = client.post(f"/api/v1/tours/{slug}/suggest-order", headers=author, json={})
    assert proposal.status_code == 200
    assert sorted(proposal.get_json()["order"]) == sorted(ids)
    assert proposal.get_json()["length_after_m"] <= proposal.get_json()["length_before_m"]
    # A proposal stores nothing.
    again = client.get(f"/api/v1/tours/{slug}/draft", headers=author).get_json()
    assert [s["place_id"] for s in again["stops"]] == order


def test_stale_version_is_409_with_the_current_one_and_nothing_changes(client, demo):
    author = bearer(create_user("walker@example.org"))
    draft = new_tour(client, author, places(2)).get_json()
    slug = draft["slug"]
    first = client.patch(f"/api/v1/tours/{slug}", headers=author,
                         json={"version": draft["version"], "title": "Erste Änderung"})
    assert first.status_code == 200
    stale = client.patch(f"/api/v1/tours/{slug}", headers=author,
                         json={"version": draft["version"], "title": "Zweite Änderung"})
    assert stale.status_code == 409
    assert stale.mimetype == "application/problem+json"
    assert stale.get_json()["error"]["current"] == first.get_json()["version"]
    db.session.expire_all()
    assert db.session.scalar(select(Tour.title).where(Tour.slug == slug)) == "Erste Änderung"
    reorder = client.post(f"/api/v1/tours/{slug}/order", headers=author,
                          json={"version": draft["version"], "order": places(2)[::-1]})
    assert reorder.status_code == 409


def test_bad_input_is_422_with_every_field_named_and_nothing_stored(client, demo):
    author = bearer(create_user("walker@example.org"))
    before = tour_count()
    resp = new_tour(client, author, [999_999], title="  ", theme="no-such-theme")
    assert resp.status_code == 422
    error = resp.get_json()["error"]
    assert set(error["fields"]) == {"title", "theme", "stops"}
    assert "stops" in error["fields"] and error["fields"]["stops"]
    missing = client.post("/api/v1/tours", json={"intro": "no title"}, headers=author)
    assert missing.status_code == 422 and missing.get_json()["error"]["field"] == "title"
    ids = places(2)
    twice = new_tour(client, author, [ids[0], ids[0]])
    assert twice.status_code == 422
    assert set(twice.get_json()["error"]["fields"]) == {"stops"}
    long_stay = client.post("/api/v1/tours", headers=author, json={
        "title": "x", "stops": [{"place_id": ids[0], "dwell_min": 10_000}]})
    assert long_stay.status_code == 422
    assert tour_count() == before
    draft = new_tour(client, author, ids).get_json()
    not_all = client.post(f"/api/v1/tours/{draft['slug']}/order", headers=author,
                          json={"version": draft["version"], "order": [ids[0]]})
    assert not_all.status_code == 422 and not_all.get_json()["error"]["field"] == "order"
    hidden = db.session.scalar(
        select(Place.id).where(Place.status != "approved").limit(1))
    if hidden is not None:
        unpublished = client.patch(f"/api/v1/tours/{draft['slug']}", headers=author, json={
            "version": draft["version"], "stops": [{"place_id": hidden}]})
        assert unpublished.status_code == 422


def test_lifecycle_with_role_checks(client, demo):
    ids = places(3)
    author_user = create_user("walker@example.org")
    author = bearer(author_user)
    other = bearer(create_user("other@example.org"))
    curator = bearer(create_user("cur@example.org", role="curator"))
    draft = new_tour(client, author, ids).get_json()
    slug = draft["slug"]

    # Nobody else sees or changes someone's draft; anonymous callers are asked to log in.
    assert client.get(f"/api/v1/tours/{slug}/draft", headers=other).status_code == 404
    assert client.patch(f"/api/v1/tours/{slug}", headers=other,
                        json={"version": draft["version"], "title": "Meins"}).status_code == 404
    assert client.post("/api/v1/tours", json={"title": "Anonym"}).status_code == 401
    assert client.get(f"/api/v1/tours/{slug}/draft").status_code == 401
    bad_token = {"Authorization": "Bearer not-a-token"}
    assert client.get(f"/api/v1/tours/{slug}/draft", headers=bad_token).status_code == 401

    def act(headers, action, version, **extra):
        return client.post(f"/api/v1/tours/{slug}/transition", headers=headers,
                           json={"action": action, "version": version, **extra})

    # The author cannot publish their own tour; they send it for review.
    assert act(author, "publish", draft["version"]).status_code == 403
    review = act(author, "submit", draft["version"])
    assert review.status_code == 200 and review.get_json()["status"] == "review"
    assert act(author, "submit", review.get_json()["version"]).status_code == 409
    back = act(curator, "return", review.get_json()["version"], message="Mehr Text bitte.")
    assert back.status_code == 200 and back.get_json()["status"] == "draft"
    review = act(author, "submit", back.get_json()["version"]).get_json()
    published = act(curator, "publish", review["version"])
    assert published.status_code == 200 and published.get_json()["status"] == "published"
    assert client.get(f"/api/v1/tours/{slug}").status_code == 200

    # Editing a published tour waits for a curator; the public tour stays as it was.
    pending = client.patch(f"/api/v1/tours/{slug}", headers=author, json={
        "version": published.get_json()["version"], "title": "Neuer Titel"}).get_json()
    assert pending["pending_changes"] is True and pending["title"] == "Neuer Titel"
    public = client.get(f"/api/v1/tours/{slug}").get_json()
    assert public["properties"]["title"] == "Mein Spaziergang"
    # Someone else may not change a published tour.
    assert client.patch(f"/api/v1/tours/{slug}", headers=other, json={
        "version": pending["version"], "title": "Meins"}).status_code == 403
    live = act(curator, "publish", pending["version"]).get_json()
    assert live["pending_changes"] is False
    assert client.get(f"/api/v1/tours/{slug}").get_json()["properties"]["title"] == "Neuer Titel"

    # Only curators retire, and retiring asks which tours to suggest instead: the
    # transition refuses it and points to the review, which asks; a retired tour leaves
    # the listing.
    assert act(author, "retire", live["version"]).status_code == 403
    refused = act(curator, "retire", live["version"])
    assert refused.status_code == 422
    error = refused.get_json()["error"]
    assert error["code"] == "retire_asks_alternatives"
    assert error["review"] == f"/api/v1/usage/tours/{slug}/review"
    assert client.get(f"/api/v1/tours/{slug}").get_json()["properties"]["status"] == "published"
    retired = client.post(error["review"], headers=curator, json={
        "decision": "retire", "note": "Kaum begangen.", "alternatives": [],
        "version": live["version"]})
    assert retired.status_code == 201 and retired.get_json()["status"] == "retired"
    listing = client.get("/api/v1/tours?limit=100").get_json()
    assert slug not in {f["properties"].get("slug") for f in listing["features"]}


def test_unknown_action_and_missing_version_are_422(client, demo):
    author = bearer(create_user("walker@example.org"))
    draft = new_tour(client, author, places(2)).get_json()
    slug = draft["slug"]
    wrong = client.post(f"/api/v1/tours/{slug}/transition", headers=author,
                        json={"action": "explode", "version": draft["version"]})
    assert wrong.status_code == 422
    no_version = client.patch(f"/api/v1/tours/{slug}", headers=author, json={"title": "x"})
    assert no_version.status_code == 422


def test_draw_a_route_then_go_back_to_straight_lines(client, demo):
    author = bearer(create_user("walker@example.org"))
    draft = new_tour(client, author, places(2)).get_json()
    slug = draft["slug"]
    (lon1, lat1), (lon2, lat2) = draft["route"]["coordinates"][0], draft["route"]["coordinates"][-1]
    bend = [lon1, lat2]
    line = {"type": "LineString", "coordinates": [[lon1, lat1], bend, [lon2, lat2]]}
    drawn = client.put(f"/api/v1/tours/{slug}/route", headers=author,
                       json={"version": draft["version"], "geometry": line})
    assert drawn.status_code == 200, drawn.get_json()
    assert drawn.get_json()["points"] == 3
    after = client.get(f"/api/v1/tours/{slug}/draft", headers=author).get_json()
    assert after["route_source"] == "drawn" and len(after["route"]["coordinates"]) == 3

    # Outside the service area, or not a line: 422 and the drawn route stays.
    rome = {"type": "LineString", "coordinates": [[12.49, 41.89], [12.50, 41.90]]}
    for bad in (rome, {"type": "Point", "coordinates": [lon1, lat1]}):
        refused = client.put(f"/api/v1/tours/{slug}/route", headers=author,
                             json={"version": after["version"], "geometry": bad})
        assert refused.status_code == 422 and refused.get_json()["error"]["field"] == "route"
    assert client.get(f"/api/v1/tours/{slug}/draft",
                      headers=author).get_json()["route_source"] == "drawn"
    stale = client.delete(f"/api/v1/tours/{slug}/route?version={draft['version']}",
                          headers=author)
    assert stale.status_code == 409
    reset = client.delete(f"/api/v1/tours/{slug}/route?version={after['version']}",
                          headers=author)
    assert reset.status_code == 200
    assert reset.get_json()["route_source"] == "generated"
    assert len(reset.get_json()["route"]["coordinates"]) == 2


def test_a_patch_with_unknown_fields_is_422_naming_them_and_nothing_changes(client, demo):
    author = bearer(create_user("walker@example.org"))
    draft = new_tour(client, author, places(2)).get_json()
    slug = draft["slug"]
    resp = client.patch(f"/api/v1/tours/{slug}", headers=author, json={
        "version": draft["version"], "title": "Neu", "status": "published", "slug": "mine"})
    assert resp.status_code == 422
    assert resp.mimetype == "application/problem+json"
    error = resp.get_json()["error"]
    # The first refused field is named, and the message names every one of them.
    assert error["field"] == "slug"
    assert "slug" in error["message"] and "status" in error["message"]
    again = client.get(f"/api/v1/tours/{slug}/draft", headers=author).get_json()
    assert (again["title"], again["status"], again["version"], again["slug"]) == (
        draft["title"], "draft", draft["version"], slug)
    # Inside a stop too.
    stop = client.patch(f"/api/v1/tours/{slug}", headers=author, json={
        "version": draft["version"], "stops": [{"place_id": places(1)[0], "colour": "red"}]})
    assert stop.status_code == 422 and stop.mimetype == "application/problem+json"
    # named by its path, as the others by their names
    assert stop.get_json()["error"]["field"] == "stops.0.colour"
    assert list(stop.get_json()["error"]["fields"]) == ["stops.0.colour"]
    assert client.get(f"/api/v1/tours/{slug}/draft", headers=author).get_json() == again


def test_a_patch_keeps_what_it_leaves_out_and_clears_a_theme_sent_as_null(client, demo):
    author = bearer(create_user("walker@example.org"))
    draft = new_tour(client, author, places(2), accessibility="Stufenlos").get_json()
    slug = draft["slug"]
    cleared = client.patch(f"/api/v1/tours/{slug}", headers=author,
                           json={"version": draft["version"], "theme": None})
    assert cleared.status_code == 200, cleared.get_json()
    after = cleared.get_json()
    assert after["theme"] is None
    assert (after["title"], after["intro"], after["accessibility"], after["language"]) == (
        draft["title"], draft["intro"], "Stufenlos", draft["language"])
    assert [s["place_id"] for s in after["stops"]] == [s["place_id"] for s in draft["stops"]]


def test_a_gpx_upload_with_a_version_that_is_no_number_is_422(client, demo):
    author = bearer(create_user("walker@example.org"))
    draft = new_tour(client, author, places(2)).get_json()
    resp = client.post(f"/api/v1/tours/{draft['slug']}/route", headers=author, data={
        "version": "three", "file": (io.BytesIO(b"<gpx/>"), "walk.gpx")},
        content_type="multipart/form-data")
    assert resp.status_code == 422 and resp.get_json()["error"]["field"] == "version"
    assert client.get(f"/api/v1/tours/{draft['slug']}/draft",
                      headers=author).get_json()["version"] == draft["version"]
