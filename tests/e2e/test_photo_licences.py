"""A resident on a phone gives each photo its own licence: the choice defaults to the photos'
licence, survives a reload (the draft), travels in the offline queue and reaches the server
photo by photo; the edit page offers the same for photos added later."""

import io
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.models.statuses import MediaKind, MediaStatus
from tests.e2e.axe import violations as axe_problems
from tests.e2e.test_contribute_flow import register
from tests.e2e.waits import map_settled, until, until_js

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module", autouse=True)
def private_media(e2e_app, tmp_path_factory):
    e2e_app.config["MEDIA_ROOT"] = str(tmp_path_factory.mktemp("e2e-licence-media"))


def png(colour) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (640, 480), colour).save(buf, "PNG")
    return buf.getvalue()


def licences_of(e2e_app, title) -> list[str] | None:
    from app.extensions import db
    from app.models import Media, Place

    with e2e_app.app_context():
        place = db.session.scalar(select(Place).where(Place.title == title))
        out = None
        if place is not None:
            out = [m.licence for m in db.session.scalars(
                select(Media).where(Media.place_id == place.id, Media.kind == MediaKind.PHOTO)
                .order_by(Media.position))]
        db.session.remove()
        return out


def chosen(page) -> list[str]:
    return page.locator("select[name=photo_licences]").evaluate_all(
        "els => els.map((el) => el.value)")


def test_each_photo_keeps_its_licence_through_draft_queue_and_edit(page, e2e_app, context):
    register(page, "lizenzen@example.org")
    page.fill("#title", "Das Waschhaus")
    page.locator("#contribute-map").click()
    page.select_option("#photo_licence", "CC-BY-4.0")
    page.set_input_files("#photo", files=[
        {"name": "aussen.png", "mimeType": "image/png", "buffer": png((200, 60, 60))},
        {"name": "innen.png", "mimeType": "image/png", "buffer": png((60, 60, 200))},
    ])
    selects = page.locator("select[name=photo_licences]")
    expect(selects).to_have_count(2)
    expect(page.locator("#photo-licence-hint")).to_be_visible()
    # Each photo starts with the photos' licence and is named for screen readers.
    assert chosen(page) == ["CC-BY-4.0", "CC-BY-4.0"]
    expect(page.get_by_role("combobox", name=re.compile("innen.png"))).to_have_count(1)
    page.select_option("#photo-licence-1", "CC0-1.0")
    # The photos' licence moves the photos that follow it, not one chosen by hand.
    page.select_option("#photo_licence", "CC-BY-SA-4.0")
    assert chosen(page) == ["CC-BY-SA-4.0", "CC0-1.0"]
    assert axe_problems(page) == []

    # The draft keeps the choices across a reload.
    until_js(page, """async () => {
        const m = await import('/static/js/offline-queue.js');
        const draft = await m.loadDraft('contribute');
        const general = draft?.values?.photo_licence;
        const each = (draft?.photos || []).map((p) => p.licence || general);
        return JSON.stringify(each) === '["CC-BY-SA-4.0","CC0-1.0"]';
    }""", message="the draft does not hold the photos' licences")
    page.reload()
    expect(page.locator("#contribute-form[data-ready='true']")).to_have_count(1)
    expect(selects).to_have_count(2)
    assert chosen(page) == ["CC-BY-SA-4.0", "CC0-1.0"]

    # Offline, the queued record carries one licence per photo, in the photos' order.
    page.check("#licence_consent")
    map_settled(page, "#contribute-map")  # no tile or marker image is still on its way
    context.set_offline(True)
    page.click("#submit")
    expect(page.locator("#queue-status")).to_contain_text("offline")
    record = page.evaluate("""async () => {
        const m = await import('/static/js/offline-queue.js');
        const [r] = await m.listQueued();
        return {
            licences: r.fields.filter(([name]) => name === 'photo_licences').map(([, v]) => v),
            files: r.files.filter((f) => f.field === 'photo').map((f) => f.name),
        };
    }""")
    assert record == {"licences": ["CC-BY-SA-4.0", "CC0-1.0"],
                      "files": ["aussen.png", "innen.png"]}
    assert licences_of(e2e_app, "Das Waschhaus") is None

    context.set_offline(False)  # the page sends its queue on "online"
    assert until(lambda: licences_of(e2e_app, "Das Waschhaus"),
                 message="the queued place") == ["CC-BY-SA-4.0", "CC0-1.0"]

    # My contributions show each photo's licence; the edit page adds photos the same way.
    page.goto(page.base_url + "/me/contributions")
    item = page.locator(".contributions li.card", has_text="Das Waschhaus")
    expect(item).to_contain_text("CC0 1.0")
    expect(item).to_contain_text("CC BY-SA 4.0")
    item.get_by_role("link", name=re.compile("Bearbeiten|Edit")).click()
    expect(page.locator("#edit-form")).to_have_count(1)
    page.set_input_files("#photo", files=[
        {"name": "hof.png", "mimeType": "image/png", "buffer": png((60, 200, 60))}])
    expect(page.locator("select[name=photo_licences]")).to_have_count(1)
    page.select_option("#photo-licence-0", "CC-BY-4.0")
    page.locator("#edit-form button[type=submit]").click()
    expect(page).to_have_url(re.compile("/me/contributions"))
    assert licences_of(e2e_app, "Das Waschhaus") == ["CC-BY-SA-4.0", "CC0-1.0", "CC-BY-4.0"]


def test_follow_mode_credits_the_photo_and_the_recording_of_a_stop(page, e2e_app):
    from app.extensions import db
    from app.models import Tour
    from app.services import media
    from tests.integration.test_pwa_pages import _wav

    with e2e_app.test_request_context():
        tour = db.session.scalar(select(Tour).where(Tour.slug == "altstadt-erinnerungen"))
        first = tour.stops[0].place
        photo = media.store_photo(media.check_photo(png((90, 140, 60))), uploader=None,
                                  place=first, caption="Der Hof", credit="Rosa R.",
                                  licence="CC0-1.0")
        audio = media.store_audio(media.check_audio(_wav()), uploader=None, place=first,
                                  credit="Hans", licence="CC-BY-4.0")
        photo.status = audio.status = MediaStatus.APPROVED
        db.session.commit()
        db.session.remove()

    page.goto(page.base_url + "/tours/altstadt-erinnerungen/follow")
    root = page.locator("[data-follow]")
    expect(root).to_have_attribute("data-ready", "true")
    page.locator("[data-follow-next]").click()  # by hand: the first stop opens
    expect(page.locator("[data-stop-photo]")).to_be_visible()
    photo_credit = page.locator("[data-stop-photo-credit]")
    expect(photo_credit).to_have_text("© Rosa R. · CC0 1.0")
    expect(photo_credit.get_by_role("link", name="CC0 1.0")).to_have_attribute(
        "href", "https://creativecommons.org/publicdomain/zero/1.0/")
    expect(page.locator("[data-stop-audio-credit]")).to_have_text("© Hans · CC BY 4.0")
    assert axe_problems(page) == []
    # A stop without media shows no credit.
    page.locator("[data-follow-next]").click()
    expect(page.locator("[data-stop-photo-credit]")).to_be_hidden()
    expect(page.locator("[data-stop-audio-credit]")).to_be_hidden()
