"""A pending photo's URL, as the API hands it to the contributor, opens with their personal
API token exactly as with their browser session: for the uploader and for curators. Anyone
else (another person's token, an invalid token, no credentials) gets 404, never 403, so the
answer does not tell that the file exists."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import pytest

from app.extensions import db
from app.services.accounts import create_api_token
from tests.conftest import CORPUS, create_user, login

PHOTO = CORPUS / "photos" / "exifpy__landscape_1.jpg"

# Every test here stores media files (the media_root fixture is in tests/conftest.py).
pytestmark = pytest.mark.usefixtures("media_root")


def corpus_photo() -> bytes:
    # Real files, not made-up bytes: without the corpus these tests fail, they do not skip.
    assert PHOTO.is_file(), (
        f"The shared test corpus is missing ({PHOTO.name} under tests/conftest.py CORPUS); "
        "these tests need its real photos."
    )
    return PHOTO.read_bytes()


def bearer(user) -> dict:
    token = create_api_token(user, "test")
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def people(db_session):
    return {
        "owner": create_user("owner@example.org", name="Rosa"),
        "curator": create_user("curator@example.org", role="curator"),
        "neighbour": create_user("neighbour@example.org"),
    }


@pytest.fixture
def uploaded(client, people):
    """The owner contributes a place with a photo through the API with a token; the answer
    names the photo's URLs (pending, like the place)."""
    headers = bearer(people["owner"])
    resp = client.post(
        "/api/v1/places", headers=headers, content_type="multipart/form-data",
        data={"title": "Kiosk am Graben", "body": "Hier stand früher ein Kiosk.",
              "lon": "8.7290", "lat": "47.5003", "licence_consent": "1", "credit_name": "Rosa",
              "photo": (io.BytesIO(corpus_photo()), "kiosk.jpg")},
    )
    assert resp.status_code == 201, resp.get_json()
    props = resp.get_json()["properties"]
    assert props["status"] == "pending"
    [medium] = props["media"]
    urls = {medium["url"], medium.get("thumbnail_url") or medium["url"]}
    # The API gives absolute URLs; the test client asks for their path.
    paths = sorted({urlsplit(u).path for u in urls if u})
    assert paths and all(p.startswith("/media/") for p in paths), urls
    return headers, paths


def fetch(client, path, headers=None):
    with client.get(path, headers=headers or {}) as resp:
        return resp.status_code, resp.headers.get("Cache-Control", ""), resp.data


def test_the_owners_token_opens_their_pending_photo(client, uploaded):
    headers, paths = uploaded
    for path in paths:
        status, cache, body = fetch(client, path, headers)
        assert status == 200, path
        assert body[:3] == b"\xff\xd8\xff", "a JPEG (the public re-encode)"
        assert "private" in cache and "no-store" in cache


def test_a_curators_token_opens_it_too(client, uploaded, people):
    _owner, paths = uploaded
    headers = bearer(people["curator"])
    for path in paths:
        status, cache, _ = fetch(client, path, headers)
        assert status == 200, path
        assert "no-store" in cache


@pytest.mark.parametrize("who", ["neighbour", "invalid token", "not bearer", "nobody"])
def test_everyone_else_gets_404(client, uploaded, people, who):
    _owner, paths = uploaded
    headers = {
        "neighbour": lambda: bearer(people["neighbour"]),
        "invalid token": lambda: {"Authorization": "Bearer not-a-real-token"},
        "not bearer": lambda: {"Authorization": "Basic b3duZXI6c2VjcmV0"},
        "nobody": dict,
    }[who]()
    for path in paths:
        assert fetch(client, path, headers)[0] == 404, (who, path)


def test_a_revoked_token_no_longer_opens_it(client, uploaded, people):
    from app.models import ApiToken

    headers, paths = uploaded
    for row in db.session.scalars(db.select(ApiToken)):
        row.revoked_at = db.func.now()
    db.session.commit()
    assert fetch(client, paths[0], headers)[0] == 404


def test_the_session_still_works_as_before(app, uploaded, people):
    _owner, paths = uploaded
    for email, expected in (("owner@example.org", 200), ("curator@example.org", 200),
                            ("neighbour@example.org", 404)):
        browser = app.test_client()
        login(browser, email)
        for path in paths:
            assert fetch(browser, path)[0] == expected, (email, path)
