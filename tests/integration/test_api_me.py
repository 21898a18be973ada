"""My contributions and my tours through the API: mine only, with the review state."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Place
from app.services.accounts import create_api_token
from tests.conftest import CORPUS, create_user


def bearer(user) -> dict:
    token = create_api_token(user, "test")
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def contribute(client, headers, title, **files):
    data = {"title": title, "body": "Hier stand früher ein Kiosk.", "lon": "8.7241",
            "lat": "47.4997", "licence_consent": "1", "credit_name": "Rosa", **files}
    resp = client.post("/api/v1/places", data=data, headers=headers,
                       content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["id"]


@pytest.mark.usefixtures("media_root")
def test_my_contributions_show_review_state_and_only_mine(client, demo):
    me = bearer(create_user("me@example.org"))
    other = bearer(create_user("other@example.org"))
    photo = (CORPUS / "photos" / "exifpy__landscape_1.jpg").read_bytes()
    mine = contribute(client, me, "Kiosk am Graben", photo=(io.BytesIO(photo), "kiosk.jpg"))
    contribute(client, other, "Nicht meins")
    curator = bearer(create_user("cur@example.org", role="curator"))
    version = db.session.scalar(select(Place.version).where(Place.id == mine))
    decided = client.post(f"/api/v1/places/{mine}/review", headers=curator, json={
        "decision": "request_changes", "message": "Bitte mehr erzählen.", "version": version})
    assert decided.status_code == 200, decided.get_json()

    resp = client.get("/api/v1/me/contributions", headers=me)
    assert resp.status_code == 200
    assert "no-store" in resp.headers["Cache-Control"]
    [feature] = resp.get_json()["features"]
    assert feature["id"] == mine and feature["properties"]["title"] == "Kiosk am Graben"
    assert feature["review"]["message"] == "Bitte mehr erzählen."
    assert feature["review"]["edit"] is True
    [medium] = feature["properties"]["media"]
    assert medium["kind"] == "photo" and medium["url"] and medium["review_message"] == ""
    assert client.get("/api/v1/me/contributions").status_code == 401


def test_my_tours(client, demo):
    me = bearer(create_user("me@example.org"))
    ids = list(db.session.scalars(
        select(Place.id).where(Place.status == "approved").order_by(Place.id).limit(2)))
    made = client.post("/api/v1/tours", headers=me, json={
        "title": "Mein Weg", "stops": [{"place_id": i} for i in ids]})
    assert made.status_code == 201
    tours = client.get("/api/v1/me/tours", headers=me).get_json()["tours"]
    assert [(t["title"], t["status"]) for t in tours] == [("Mein Weg", "draft")]
    assert tours[0]["draft"].endswith(f"/api/v1/tours/{made.get_json()['slug']}/draft")
    other = bearer(create_user("other@example.org"))
    assert client.get("/api/v1/me/tours", headers=other).get_json() == {"tours": []}


def test_the_owners_feature_is_the_public_feature_with_what_only_they_see(client, demo):
    """One definition of a place's Feature: what the owner gets (201 of POST, /me) carries
    every property of the public Feature with the same value, and adds their own."""
    me = bearer(create_user("me@example.org"))
    created = client.post("/api/v1/places", headers=me, content_type="multipart/form-data",
                          data={"title": "Kiosk am Graben", "body": "Hier stand ein Kiosk.",
                                "lon": "8.7241", "lat": "47.4997", "licence_consent": "1",
                                "credit_name": "Rosa", "era": "1960s"})
    assert created.status_code == 201, created.get_json()
    page_keys = set(client.get("/api/v1/places?limit=1").get_json()["features"][0]["properties"])
    owners = created.get_json()["properties"]
    assert page_keys <= set(owners), page_keys - set(owners)
    assert owners["era"] == {"year": 1960, "precision": "decade"}
    assert owners["status"] == "pending" and owners["credit"] == "Rosa"
    assert owners["url"].endswith(f"/places/{created.get_json()['id']}")

    pid = created.get_json()["id"]
    curator = bearer(create_user("cur@example.org", role="curator"))
    version = db.session.scalar(select(Place.version).where(Place.id == pid))
    decided = client.post(f"/api/v1/places/{pid}/review", headers=curator,
                          json={"decision": "approve", "version": version})
    assert decided.status_code == 200, decided.get_json()
    public = client.get(f"/api/v1/places/{pid}").get_json()
    [mine] = client.get("/api/v1/me/contributions", headers=me).get_json()["features"]
    assert mine["geometry"] == public["geometry"]
    shared = set(public["properties"]) - {"author", "media"}  # the public story's own parts
    assert {k: mine["properties"][k] for k in shared} == {
        k: public["properties"][k] for k in shared}
    assert mine["properties"]["status"] == "approved" and "version" in mine["properties"]
