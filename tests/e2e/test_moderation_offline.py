"""The service worker never keeps serving what curators took down.

Online, pages and API reads come from the network (the API even past its HTTP max-age), so a
place hidden a moment ago is gone on the next request; the gone answer also drops the place
from the worker's caches, so it is not shown later offline; and a saved tour seen again
online is refreshed, so its hidden stop leaves the phone too."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.waits import sw_ready, until_js

pytestmark = pytest.mark.e2e

TOUR = "fotomuseum-fans"
# What these tests provoke on purpose: the gone place's 404 and the failed fetch offline.
EXPECTED_ERRORS = re.compile(
    r"Failed to load resource: (the server responded with a status of 404|net::ERR_FAILED)"
)


@pytest.fixture
def page(context, live_server):
    """As the shared ``page`` (stubbed map tiles, browser errors fail the test), but the
    errors these tests cause deliberately are expected."""
    from tests.conftest import TILE_PNG

    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text)
            if msg.type == "error" and not EXPECTED_ERRORS.match(msg.text) else None)
    context.route("**/test-tiles/**",
                  lambda route: route.fulfill(status=200, content_type="image/png", body=TILE_PNG))
    page.base_url = live_server.url
    yield page
    assert errors == [], f"browser errors: {errors}"


def _place(e2e_app, slug: str) -> dict:
    with e2e_app.app_context():
        from sqlalchemy import select

        from app.extensions import db
        from app.models import Place

        place = db.session.scalar(select(Place).where(Place.slug == slug))
        return {"id": place.id, "title": place.title, "summary": place.summary}


def _hide(e2e_app, place_id: int) -> None:
    """A curator hides the place after a report (the service the curate pages use)."""
    with e2e_app.app_context():
        from app.extensions import db
        from app.services import flags
        from app.services.accounts import get_by_email

        curator = get_by_email("curator@demo.stadtspur.ch")
        flag = flags.create_flag(None, place_id=place_id, reason="private", remote_addr="e2e")
        flags.resolve(curator, flag.id, "hide")
        db.session.commit()


def _cached(page, cache: str, path: str) -> str | None:
    """The body the worker keeps for ``path`` in ``cache``, or None."""
    return page.evaluate(
        """([cache, url]) => caches.open(cache)
             .then((c) => c.match(url, { ignoreVary: true }))
             .then((r) => (r ? r.text() : null))""",
        [cache, page.base_url + path],
    )


def _until_cached(page, cache: str, path: str, *, has: str | None = None,
                  lacks: str | None = None) -> None:
    """Waits until ``cache`` holds ``path`` with ``has`` in it and ``lacks`` not, or, with
    neither, holds nothing for it: the worker stores and deletes after it has answered."""
    until_js(page, """async ([cache, url, has, lacks]) => {
        const r = await (await caches.open(cache)).match(url, { ignoreVary: true });
        const text = r ? await r.text() : null;
        if (has === null && lacks === null) return text === null;
        return text !== null && (has === null || text.includes(has))
            && (lacks === null || !text.includes(lacks));
    }""", [cache, page.base_url + path, has, lacks], timeout=10,
             message=f"{cache} {path}: {(_cached(page, cache, path) or '')[:200]!r}")


def _fetch_status(page, path: str):
    return page.evaluate(
        "(url) => fetch(url).then((r) => r.status, () => 'failed')", page.base_url + path
    )


def test_a_hidden_place_leaves_pages_api_and_caches_at_once(page, e2e_app):
    place = _place(e2e_app, "marktgasse")
    path, api = f"/places/{place['id']}", f"/api/v1/places/{place['id']}"
    page.goto(page.base_url + path)
    sw_ready(page)
    page.reload()  # now through the worker: kept for offline reading
    expect(page.get_by_role("heading", level=1)).to_have_text(place["title"])
    _until_cached(page, "stadtspur-pages-v1", path, has=place["title"])
    assert _fetch_status(page, api) == 200
    _until_cached(page, "stadtspur-api-v1", api, has=place["title"])

    _hide(e2e_app, place["id"])

    # Online: the network answers at once, for the page and for the API (whose answer a
    # minute ago was still fresh by its max-age).
    resp = page.goto(page.base_url + path)
    assert resp.status == 404
    expect(page.get_by_role("heading", level=1)).not_to_have_text(place["title"])
    assert _fetch_status(page, api) == 404
    _until_cached(page, "stadtspur-pages-v1", path)
    _until_cached(page, "stadtspur-api-v1", api)

    # Offline: nothing of it is left to serve.
    page.context.set_offline(True)
    try:
        page.goto(page.base_url + path)
        expect(page.locator("[data-saved-list]")).to_be_attached()  # the offline page
        assert place["title"] not in page.content()
        assert _fetch_status(page, api) == "failed"
    finally:
        page.context.set_offline(False)


def test_a_saved_tour_loses_its_hidden_stop_when_seen_online(page, e2e_app):
    stop = _place(e2e_app, "kirchplatz")
    follow = f"/tours/{TOUR}/follow"
    page.goto(page.base_url + f"/tours/{TOUR}")
    sw_ready(page)
    box = page.locator("[data-offline-save]")
    page.locator('[data-offline-action="save"]').click()
    expect(box).to_have_attribute("data-saved", "true", timeout=20_000)
    assert stop["summary"] in _cached(page, "stadtspur-saved-v1", follow)
    assert _cached(page, "stadtspur-saved-v1", f"/places/{stop['id']}")

    _hide(e2e_app, stop["id"])

    page.goto(page.base_url + follow)
    resp = page.goto(page.base_url + f"/places/{stop['id']}")
    assert resp.status == 404
    _until_cached(page, "stadtspur-saved-v1", follow, lacks=stop["summary"])
    saved_follow = _cached(page, "stadtspur-saved-v1", follow)
    data = json.loads(re.search(r'id="follow-data">(.*?)</script>', saved_follow, re.S).group(1))
    assert next(s for s in data["stops"] if s["placeId"] == stop["id"])["title"] == ""
    _until_cached(page, "stadtspur-saved-v1", f"/places/{stop['id']}")

    page.context.set_offline(True)
    try:
        page.goto(page.base_url + follow)
        expect(page.locator("[data-follow]")).to_have_attribute("data-ready", "true")
        assert stop["summary"] not in page.content()
        page.goto(page.base_url + f"/places/{stop['id']}")
        expect(page.locator("[data-saved-list]")).to_be_attached()
        assert stop["summary"] not in page.content()
    finally:
        page.context.set_offline(False)
