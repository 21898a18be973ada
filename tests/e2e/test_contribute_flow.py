"""A resident on a phone: registers, adds a story with GPS, a photo whose EXIF position
becomes the place's position and a voice recording; and sends a story while offline."""

import io
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.e2e.waits import map_settled, queue_empty, until, until_js
from tests.integration.test_media import assert_no_metadata, jpeg_with_gps

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module", autouse=True)
def private_media(e2e_app, tmp_path_factory):
    e2e_app.config["MEDIA_ROOT"] = str(tmp_path_factory.mktemp("e2e-media"))


def _places(e2e_app, title):
    from app.extensions import db
    from app.models import Place

    with e2e_app.app_context():
        rows = db.session.scalars(select(Place).where(Place.title == title)).all()
        out = [(p.id, p.status, list(p.media), p.geom) for p in rows]
        result = []
        for pid, status, media, geom in out:
            from geoalchemy2.shape import to_shape

            point = to_shape(geom)
            result.append({"id": pid, "status": status, "lon": point.x, "lat": point.y,
                           "media": [(m.kind, dict(m.variants)) for m in media]})
        db.session.remove()
        return result


def register(page, email):
    page.goto(page.base_url + "/register")
    page.fill("#display_name", "Erika Beispiel")
    page.fill("#email", email)
    page.fill("#password", "Erinnerungen an die Steinberggasse")
    page.locator("form.form button[type=submit]").click()
    expect(page).to_have_url(re.compile("/contribute$"))
    # The module script is ready (draft restored, listeners attached).
    expect(page.locator("#contribute-form[data-ready='true']")).to_have_count(1)


def test_register_and_contribute_with_gps_photo_and_recording(page, e2e_app, tmp_path):
    register(page, "erika@example.org")
    expect(page.locator("#contribute-map[data-ready='true']")).to_be_visible()
    page.fill("#title", "Der Brunnen am Graben")
    page.fill("#body", "Hier haben wir als Kinder im Sommer die Füsse gekühlt.")

    # GPS (mocked by the browser context: the city centre), accuracy shown.
    page.click("#use-gps")
    expect(page.locator("#position-status")).to_contain_text(re.compile("genau|accurate"))
    assert page.input_value("#position_source") == "gps"

    # A photo whose EXIF GPS lies in Winterthur: its position replaces the GPS one.
    photo = jpeg_with_gps(47.50100, 8.72800)
    page.set_input_files("#photo", files=[{"name": "brunnen.jpg", "mimeType": "image/jpeg",
                                           "buffer": photo}])
    expect(page.locator("#photo-gps-status")).to_contain_text(re.compile("enthält eine Position|carries a position"))
    page.click("#use-photo-position")
    assert page.input_value("#position_source") == "photo"
    assert float(page.input_value("#lat")) == pytest.approx(47.501, abs=1e-4)

    # A short recording from the fake microphone.
    page.click("#rec-start")
    # Stopped once it has recorded a whole second (the counter shows whole seconds).
    expect(page.locator("#rec-status")).to_contain_text(
        re.compile(r"(Aufnahme|Recording)\D*[1-9]\d* s"))
    page.click("#rec-stop")
    expect(page.locator("#rec-status")).to_contain_text(re.compile("aufgenommen|Recorded"))

    page.check("#licence_consent")
    page.click("#submit")
    expect(page).to_have_url(re.compile(r"/me/contributions\?sent=\d+"))
    item = page.locator(".contributions li.card", has_text="Der Brunnen am Graben")
    expect(item).to_contain_text(re.compile("Wartet auf Prüfung|Waiting for review"))
    expect(item.locator("img")).to_have_count(1)
    expect(item.locator("audio")).to_have_count(1)

    [place] = _places(e2e_app, "Der Brunnen am Graben")
    assert place["status"] == "pending"
    assert place["lat"] == pytest.approx(47.501, abs=1e-4)
    assert place["lon"] == pytest.approx(8.728, abs=1e-4)
    assert sorted(kind for kind, _ in place["media"]) == ["audio", "photo"]
    # The stored public photo carries no EXIF at all.
    src = item.locator("img").get_attribute("src")
    response = page.request.get(page.base_url + src)
    assert response.ok
    assert_no_metadata(response.body())
    large = next(v for k, v in place["media"] if k == "photo")["large"]
    assert_no_metadata(page.request.get(page.base_url + "/media/" + large).body())


def test_photo_from_rome_is_refused_with_a_clear_message(page, e2e_app):
    from tests.conftest import CORPUS

    register(page, "rom@example.org")
    page.fill("#title", "Kolosseum")
    rome = (CORPUS / "photos" / "mei__Apple_iPhone_4.jpg").read_bytes()
    page.set_input_files("#photo", files=[{"name": "rom.jpg", "mimeType": "image/jpeg",
                                           "buffer": rome}])
    page.click("#use-photo-position")
    expect(page.locator("#position-status")).to_contain_text(re.compile("ausserhalb|outside"))
    page.check("#licence_consent")
    page.click("#submit")
    expect(page.locator("#position .error")).to_contain_text(re.compile("ausserhalb des Gebiets|outside the area"))
    assert _places(e2e_app, "Kolosseum") == []


def test_offline_story_is_queued_and_sent_once_when_online(page, e2e_app, context):
    register(page, "offline@example.org")
    page.fill("#title", "Die Milchhütte")
    page.fill("#body", "Jeden Abend holten wir hier die Milch.")
    page.locator("#contribute-map").click()  # a tap on the map sets the position
    assert page.input_value("#position_source") == "map"
    image = io.BytesIO()
    from PIL import Image

    Image.new("RGB", (640, 480), (90, 140, 60)).save(image, "PNG")
    page.set_input_files("#photo", files=[{"name": "huette.png", "mimeType": "image/png",
                                           "buffer": image.getvalue()}])
    page.check("#licence_consent")
    map_settled(page, "#contribute-map")  # no tile or marker image is still on its way
    context.set_offline(True)
    page.click("#submit")
    expect(page.locator("#queue-status")).to_contain_text("offline")
    assert _places(e2e_app, "Die Milchhütte") == []

    context.set_offline(False)  # the page sends its queue on "online"
    queue_empty(page)
    # The page and the service worker's sync may both be sending: the place is there once
    # one of them has had its answer.
    until(lambda: _places(e2e_app, "Die Milchhütte"), message="the queued place")
    page.goto(page.base_url + "/me/contributions")
    expect(page.locator(".contributions li.card", has_text="Die Milchhütte")).to_have_count(
        1, timeout=10_000)
    # Sending again (a retried sync) must not create a second place.
    page.evaluate("""async () => {
        const m = await import('/static/js/offline-queue.js');
        await m.flushQueue();
    }""")
    places = _places(e2e_app, "Die Milchhütte")
    assert len(places) == 1 and places[0]["status"] == "pending"
    assert [k for k, _ in places[0]["media"]] == ["photo"]


def test_draft_survives_a_reload(page):
    register(page, "draft@example.org")
    page.fill("#title", "Das Kino Palace")
    page.fill("#body", "Samstags lief hier der Western.")
    # The draft is saved shortly after typing stops.
    until_js(page, """async () => {
        const m = await import('/static/js/offline-queue.js');
        const values = (await m.loadDraft('contribute'))?.values || {};
        return values.title === 'Das Kino Palace'
            && values.body === 'Samstags lief hier der Western.';
    }""", message="the draft was not saved")
    page.reload()
    expect(page.locator("#contribute-form[data-ready='true']")).to_have_count(1)
    expect(page.locator("#title")).to_have_value("Das Kino Palace")
    expect(page.locator("#body")).to_have_value("Samstags lief hier der Western.")
    expect(page.locator("#queue-status")).to_contain_text(re.compile("wiederhergestellt|restored"))


def test_missing_title_is_shown_next_to_the_field(page, e2e_app):
    register(page, "title@example.org")
    page.locator("#contribute-map").click()
    page.check("#licence_consent")
    page.click("#submit")
    expect(page.locator("#title-js-error")).to_contain_text(re.compile("Titel|title"))
    expect(page.locator("#title")).to_have_attribute("aria-invalid", "true")
