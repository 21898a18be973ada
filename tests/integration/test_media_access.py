"""/media/<key>: a photo or recording that is not public is served to its uploader and to
curators only; everyone else gets 404 for every one of its URLs, and nobody may store it."""

import io

import pytest

from app.models.statuses import MediaStatus, PlaceStatus
from tests.conftest import create_user, login
from tests.integration.test_contribute import PHOTOS, form, post
from tests.integration.test_pwa_pages import _wav

# Every test here stores media files (the media_root fixture is in tests/conftest.py).
pytestmark = pytest.mark.usefixtures("media_root")


@pytest.fixture
def pending(client, resident, db_session):
    """A resident's new contribution with a photo and a recording, both pending."""
    login(client, resident.email)
    photo = (PHOTOS / "exifpy__landscape_1.jpg").read_bytes()
    resp = post(client, form(photo=(io.BytesIO(photo), "p.jpg"),
                             audio=(io.BytesIO(_wav()), "r.wav")))
    assert resp.status_code == 201, resp.get_json()
    from app.models import Place

    place = db_session.get(Place, resp.get_json()["id"])
    media = [m for m in place.media if m.kind in ("photo", "audio")]
    assert sorted(m.kind for m in media) == ["audio", "photo"]
    assert {m.status for m in media} == {"pending"}
    return place, media


def urls_of(media) -> list[str]:
    """Every public URL of the media: each photo size and the recording's public copy."""
    urls = [f"/media/{key}" for m in media for key in set(m.variants.values())]
    assert len(urls) == 4  # thumb, medium and large of the photo; the recording
    return urls


def get(client, url):
    with client.get(url) as resp:
        return resp.status_code, resp.headers.get("Cache-Control", "")


def client_of(app, email=None):
    c = app.test_client()
    if email:
        login(c, email)
    return c


def test_pending_media_only_for_the_uploader_and_curators(app, client, curator, pending):
    _place, media = pending
    create_user("neighbour@example.org")
    anonymous = client_of(app)
    neighbour = client_of(app, "neighbour@example.org")
    reviewer = client_of(app, curator.email)
    for url in urls_of(media):
        assert get(anonymous, url)[0] == 404, url
        assert get(neighbour, url)[0] == 404, url
        for who in (client, reviewer):  # the author (logged in through `pending`), a curator
            status, cache = get(who, url)
            assert status == 200, url
            assert "no-store" in cache and "private" in cache


def test_approved_media_of_a_public_place_are_for_everyone_and_cacheable(app, pending, db_session):
    place, media = pending
    place.status = PlaceStatus.APPROVED
    for m in media:
        m.status = MediaStatus.APPROVED
    db_session.flush()
    anonymous = client_of(app)
    for url in urls_of(media):
        status, cache = get(anonymous, url)
        # Kept briefly, then revalidated: hiding it must reach caches soon (see below).
        assert status == 200 and "public" in cache and "max-age=60" in cache, url


@pytest.mark.parametrize("change", ["medium hidden", "medium rejected", "place hidden",
                                    "place rejected"])
def test_media_leaving_the_public_are_gone_for_everyone_else(
    app, curator, pending, db_session, change
):
    from datetime import UTC, datetime

    place, media = pending
    place.status = PlaceStatus.APPROVED
    for m in media:
        m.status = MediaStatus.APPROVED
    what, state = change.split()
    for m in media:
        if what == "medium":
            m.status = state
            m.hidden_at = datetime.now(UTC) if state == "hidden" else None
    if what == "place":
        if state == "hidden":
            place.hidden_at = datetime.now(UTC)
        else:
            place.status = PlaceStatus.REJECTED
    db_session.flush()
    anonymous = client_of(app)
    create_user("neighbour@example.org")
    neighbour = client_of(app, "neighbour@example.org")
    reviewer = client_of(app, curator.email)
    for url in urls_of(media):
        assert get(anonymous, url)[0] == 404, url
        assert get(neighbour, url)[0] == 404, url
        assert get(reviewer, url)[0] == 200, url


def test_originals_and_unknown_keys_are_never_served(app, curator, pending, media_root):
    _place, media = pending
    reviewer = client_of(app, curator.email)
    for m in media:
        assert (media_root / "private" / m.storage_key).is_file()
        assert get(reviewer, f"/media/{m.storage_key}")[0] == 404
        assert get(reviewer, f"/media/../private/{m.storage_key}")[0] == 404
        assert get(reviewer, f"/media/%2e%2e/private/{m.storage_key}")[0] == 404
    # A file in the public folder that belongs to no medium is not served either.
    stray = media_root / "public" / "zz" / "stray-large.jpg"
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(b"not ours")
    assert get(reviewer, "/media/zz/stray-large.jpg")[0] == 404
