"""The version of a public place for those who may edit it: ``GET /api/v1/places/<id>``
answers a strong ETag naming the place's id and version (for everyone), the ``version``
property for its author and curators only (that answer is private), and ``PATCH`` takes the
ETag in ``If-Match`` instead of (or with) the body's ``version``: stale → 409 as for a stale
body version, nothing stored."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Place, PlaceRevision, User
from app.services.accounts import create_api_token
from tests.conftest import create_user, login

TAG = re.compile(r'^"place-(\d+)-v(\d+)-[0-9a-f]{16}"$')


def bearer(user) -> dict:
    token = create_api_token(user, "test")
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(autouse=True)
def english(client, db_session):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def place(demo, db_session):
    """A public demo place whose author is a resident."""
    found = db_session.scalar(select(Place).where(Place.title == "Waaghaus"))
    assert found is not None and found.is_public
    found.author_id = create_user("author@example.org", name="Rosa").id
    db_session.commit()
    return found


@pytest.fixture
def people(place):
    return {
        "author": bearer(db.session.get(User, place.author_id)),
        "curator": bearer(create_user("curator@example.org", role="curator")),
        "stranger": bearer(create_user("stranger@example.org")),
    }


def url(place) -> str:
    return f"/api/v1/places/{place.id}"


def tag_of(resp) -> tuple[int, int]:
    found = TAG.match(resp.headers["ETag"])
    assert found, resp.headers.get("ETag")
    return int(found.group(1)), int(found.group(2))


def revisions_of(place) -> int:
    return db.session.scalar(
        select(func.count()).select_from(PlaceRevision).where(PlaceRevision.place_id == place.id))


# --- reading the version ----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["anonymous", "stranger", "invalid token"])
def test_who_may_not_edit_sees_no_version_but_a_public_etag(client, place, people, who):
    headers = {"anonymous": {}, "stranger": people["stranger"],
               "invalid token": {"Authorization": "Bearer not-a-token"}}[who]
    resp = client.get(url(place), headers=headers)
    assert resp.status_code == 200
    assert "version" not in resp.get_json()["properties"]
    # The ETag is for everyone (documented): it names id and version, which is no secret.
    assert tag_of(resp) == (place.id, place.version)
    assert resp.headers["Cache-Control"].startswith("public")
    assert "Authorization" in resp.headers.get("Vary", "")


@pytest.mark.parametrize("who", ["author", "curator"])
def test_editors_see_the_version_in_a_private_answer(client, place, people, who):
    resp = client.get(url(place), headers=people[who])
    assert resp.status_code == 200
    assert resp.get_json()["properties"]["version"] == place.version
    assert tag_of(resp) == (place.id, place.version)
    assert "private" in resp.headers["Cache-Control"]
    # Other bytes than the public answer, so another (strong) tag.
    assert resp.headers["ETag"] != client.get(url(place)).headers["ETag"]


def test_a_curators_session_sees_the_version_too(app, place):
    create_user("curator@example.org", role="curator")
    browser = app.test_client()
    login(browser, "curator@example.org")
    resp = browser.get(url(place))
    assert resp.get_json()["properties"]["version"] == place.version


def test_if_none_match_gives_304(client, place, people):
    for headers in ({}, people["author"]):
        first = client.get(url(place), headers=headers)
        again = client.get(url(place), headers={**headers, "If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304
        assert again.headers["ETag"] == first.headers["ETag"]


def test_the_etag_changes_after_an_edit(client, place, people):
    before = client.get(url(place))
    edited = client.patch(url(place), headers=people["curator"],
                          json={"version": place.version, "title": "Waaghaus am Markt"})
    assert edited.status_code == 200, edited.get_json()
    after = client.get(url(place), headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert tag_of(after) == (place.id, edited.get_json()["version"])
    assert after.headers["ETag"] != before.headers["ETag"]


def test_an_edit_waiting_for_review_moves_the_etag_on_though_the_text_stays(
    client, place, people
):
    before = client.get(url(place))
    waiting = client.patch(url(place), headers=people["author"],
                           json={"version": place.version, "summary": "Neu erzählt."})
    assert waiting.status_code == 200 and waiting.get_json()["status"] == "pending"
    after = client.get(url(place))
    assert after.get_json()["properties"] == before.get_json()["properties"]
    assert tag_of(after)[1] == waiting.get_json()["version"] != tag_of(before)[1]


# --- editing with If-Match ----------------------------------------------------------------------


def test_if_match_current_is_applied(client, place, people):
    etag = client.get(url(place), headers=people["curator"]).headers["ETag"]
    resp = client.patch(url(place), headers={**people["curator"], "If-Match": etag},
                        json={"title": "Waaghaus (1503)"})
    assert resp.status_code == 200, resp.get_json()
    db.session.refresh(place)
    assert place.title == "Waaghaus (1503)"
    assert resp.get_json()["version"] == place.version


def test_the_public_etag_works_for_an_editor_too(client, place, people):
    # An editor may hold an answer a cache gave everyone: its ETag names the version as well.
    etag = client.get(url(place)).headers["ETag"]
    resp = client.patch(url(place), headers={**people["author"], "If-Match": etag},
                        json={"summary": "Vom Markt aus gesehen."})
    assert resp.status_code == 200, resp.get_json()


def test_if_match_stale_is_a_conflict_and_stores_nothing(client, place, people):
    etag = client.get(url(place)).headers["ETag"]
    first = client.patch(url(place), headers={**people["curator"], "If-Match": etag},
                         json={"title": "Erste Fassung"})
    assert first.status_code == 200
    db.session.refresh(place)
    title, version, count = place.title, place.version, revisions_of(place)

    stale = client.patch(url(place), headers={**people["author"], "If-Match": etag},
                         json={"title": "Zweite Fassung"})
    assert stale.status_code == 409
    error = stale.get_json()["error"]
    assert error["code"] == "stale_version"
    assert error["current"]["version"] == version
    assert error["current"]["snapshot"]["title"] == "Erste Fassung"
    assert error["yours"]["title"] == "Zweite Fassung"
    db.session.refresh(place)
    assert (place.title, place.version, revisions_of(place)) == (title, version, count)


@pytest.mark.parametrize("if_match", [
    "stale body, current tag", "current body, stale tag", "another place's tag", "weak tag",
    "unknown tag"])
def test_every_version_named_must_be_current(client, place, people, if_match):
    current = client.get(url(place)).headers["ETag"]
    other_id = db.session.scalar(
        select(Place.id).where(Place.id != place.id, Place.status == "approved").limit(1))
    body_version, header = {
        "stale body, current tag": (place.version - 1, current),
        "current body, stale tag": (place.version, f'"place-{place.id}-v{place.version - 1}"'),
        "another place's tag": (None, f'"place-{other_id}-v{place.version}"'),
        "weak tag": (None, "W/" + current),
        "unknown tag": (None, '"abc"'),
    }[if_match]
    body = {"title": "Nie gespeichert"}
    if body_version is not None:
        body["version"] = body_version
    count = revisions_of(place)
    resp = client.patch(url(place), headers={**people["curator"], "If-Match": header}, json=body)
    assert resp.status_code == 409, resp.get_json()
    assert resp.get_json()["error"]["current"]["version"] == place.version
    db.session.refresh(place)
    assert place.title == "Waaghaus" and revisions_of(place) == count


def test_short_tag_and_several_tags(client, place, people):
    resp = client.patch(url(place), headers={
        **people["curator"], "If-Match": f'"place-{place.id}-v0", "place-{place.id}-v{place.version}"'},
        json={"title": "Waaghaus, kurz"})
    assert resp.status_code == 200, resp.get_json()


def test_old_clients_and_no_version_at_all(client, place, people):
    # The body's version alone works as before.
    ok = client.patch(url(place), headers=people["curator"],
                      json={"version": place.version, "title": "Waaghaus alt"})
    assert ok.status_code == 200
    # Neither version nor If-Match (nor only "*", which names no version): 422 naming version.
    for extra in ({}, {"If-Match": "*"}):
        missing = client.patch(url(place), headers={**people["curator"], **extra},
                               json={"title": "x"})
        assert missing.status_code == 422
        assert missing.get_json()["error"]["field"] == "version"
    db.session.refresh(place)
    assert place.title == "Waaghaus alt"


def test_if_match_does_not_open_the_edit_to_others(client, place, people):
    etag = client.get(url(place)).headers["ETag"]
    resp = client.patch(url(place), headers={**people["stranger"], "If-Match": etag},
                        json={"title": "Fremd"})
    assert resp.status_code == 403


# --- the document -----------------------------------------------------------------------------


def test_openapi_documents_the_headers(client):
    spec = client.get("/api/openapi.json").get_json()
    item = spec["paths"]["/api/v1/places/{place_id}"]
    get_params = {p["name"] for p in item["get"].get("parameters", [])}
    assert "If-None-Match" in get_params
    assert "ETag" in item["get"]["responses"]["200"]["headers"]
    assert "304" in item["get"]["responses"]
    patch_params = {p["name"] for p in item["patch"].get("parameters", [])}
    assert "If-Match" in patch_params
    assert "If-Match" in item["patch"]["responses"]["409"]["description"]
    schema = spec["components"]["schemas"]
    edit = next(s for name, s in schema.items() if name.startswith("Edit") and "title" in
                s.get("properties", {}))
    assert "version" not in edit.get("required", [])
