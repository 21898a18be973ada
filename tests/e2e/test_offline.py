"""Offline on a phone: save a tour, lose the connection, reload, follow it to the end with its
photos and recordings; unsaved pages show the offline page listing what is saved."""

from __future__ import annotations

import io
import json
import math
import struct
import wave

import pytest
from playwright.sync_api import expect

from tests.e2e.waits import sw_ready, until_js

pytestmark = pytest.mark.e2e

TOUR = "fotomuseum-fans"


def _wav(seconds: float = 1.0, rate: int = 16000) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        frames = b"".join(
            struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate)))
            for i in range(int(seconds * rate))
        )
        w.writeframes(frames)
    return buf.getvalue()


def _jpeg() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (1200, 800), (40, 90, 160)).save(buf, "JPEG", quality=80)
    return buf.getvalue()


@pytest.fixture(scope="module")
def tour_with_media(e2e_app, tmp_path_factory):
    """A photo and a recording on the tour's first two stops, approved like a curator would."""
    e2e_app.config["MEDIA_ROOT"] = str(tmp_path_factory.mktemp("media"))
    with e2e_app.app_context():
        from sqlalchemy import select

        from app.extensions import db
        from app.models import Tour
        from app.services import media

        tour = db.session.scalar(select(Tour).where(Tour.slug == TOUR))
        first, second = tour.stops[0].place, tour.stops[1].place
        photo = media.store_photo(media.check_photo(_jpeg()), uploader=None, place=first,
                                  caption="Blue test photo", credit="Test")
        audio = media.store_audio(media.check_audio(_wav()), uploader=None, place=second,
                                  caption="Test tone", credit="Test")
        for m in (photo, audio):
            m.status = "approved"
        db.session.commit()
        return {"photo_place": first.id, "audio_place": second.id}


def wait_js(page, expression: str, timeout: float = 10.0):
    """Wait until a JavaScript expression is truthy (one that is a promise is awaited)."""
    until_js(page, f"async () => {expression}", timeout=timeout,
             message=f"still false after {timeout} s: {expression}")


def test_save_tour_go_offline_reload_and_follow_to_the_end(page, tour_with_media):
    page.goto(page.base_url + f"/tours/{TOUR}")
    sw_ready(page)
    box = page.locator("[data-offline-save]")
    expect(box).to_be_visible()
    expect(box).to_have_attribute("data-saved", "false")
    page.locator('[data-offline-action="save"]').click()
    expect(box).to_have_attribute("data-saved", "true", timeout=20_000)
    state = page.locator("[data-offline-state]").inner_text()
    assert "kB" in state or "MB" in state  # the size is shown
    expect(page.locator('[data-offline-action="remove"]')).to_be_visible()

    page.context.set_offline(True)
    resp = page.reload()
    assert resp.from_service_worker
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    # The stop pages were saved with their photo (another size than the one stored is served).
    page.goto(page.base_url + f"/places/{tour_with_media['photo_place']}")
    img = page.locator("figure.photo img")
    expect(img).to_be_visible()
    wait_js(page, "document.querySelector('figure.photo img').naturalWidth > 0")

    # Follow mode, fully offline, with recordings played on arrival.
    page.goto(page.base_url + f"/tours/{TOUR}/follow")
    root = page.locator("[data-follow]")
    expect(root).to_have_attribute("data-ready", "true")
    stops = json.loads(page.locator("#follow-data").text_content())["stops"]
    page.locator("[data-follow-audio]").check()
    page.locator("[data-follow-locate]").click()
    for i, stop in enumerate(stops):
        page.context.set_geolocation({"longitude": stop["lon"], "latitude": stop["lat"],
                                      "accuracy": 10})
        expect(page.locator("[data-stop-title]")).to_have_text(stop["title"])
        expect(root).to_have_attribute("data-current", str(i))
        if stop["placeId"] == tour_with_media["audio_place"]:
            # The recording plays from the phone's storage.
            wait_js(page, "document.querySelector('[data-stop-audio]').currentTime > 0.3")
    assert root.get_attribute("data-target") == "-1"

    # A page that was never saved: the offline page, listing the saved tour.
    page.goto(page.base_url + "/themes/kunst")
    expect(page.locator("[data-saved-list] h3").first).to_be_visible()
    titles = page.locator("[data-saved-list] h3").all_inner_texts()
    assert any("Fotomuseum" in t for t in titles)


def test_remove_a_saved_tour(page, tour_with_media):
    page.goto(page.base_url + f"/tours/{TOUR}")
    sw_ready(page)
    box = page.locator("[data-offline-save]")
    if box.get_attribute("data-saved") != "true":
        page.locator('[data-offline-action="save"]').click()
        expect(box).to_have_attribute("data-saved", "true", timeout=20_000)
    page.locator('[data-offline-action="remove"]').click()
    expect(box).to_have_attribute("data-saved", "false")
    left = page.evaluate(
        "caches.open('stadtspur-saved-v1').then(c => c.keys()).then(k => k.length)"
    )
    assert left == 0


def test_a_new_version_waits_until_the_visitor_reloads(page, e2e_app, monkeypatch):
    """An update never switches files under an open page: the new worker waits, the page
    offers to reload, and only then takes the new version."""
    from app.web import pwa

    page.goto(page.base_url + "/")
    sw_ready(page)
    assert page.locator("[data-update-banner]").count() == 0
    original = pwa._build_service_worker
    monkeypatch.setattr(pwa, "_build_service_worker", lambda base: original(base) + "\n// v2\n")
    pwa._service_worker_cached.cache_clear()
    try:
        page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.update())")
        banner = page.locator("[data-update-banner]")
        expect(banner).to_be_visible(timeout=15_000)
        # Still the old worker in control while the visitor has not agreed.
        assert page.evaluate(
            "navigator.serviceWorker.getRegistration().then(r => Boolean(r.waiting))"
        )
        with page.expect_navigation():
            banner.get_by_role("button").click()
        sw_ready(page)
        assert page.evaluate(
            "navigator.serviceWorker.getRegistration().then(r => r.waiting === null)"
        )
        expect(page.locator("[data-update-banner]")).to_have_count(0)
    finally:
        pwa._service_worker_cached.cache_clear()
