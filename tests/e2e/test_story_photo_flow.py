"""On a phone, with the service worker running: a resident adds a memory with a photo (its
caption as the text alternative) to a place from the place's page; the story page shows
them the pending photo, re-encoded without the GPS their camera wrote, and the API answers
the story to them alone until a curator approves it."""

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from tests.e2e.waits import sw_ready, until_js
from tests.integration.test_media import jpeg_with_gps

pytestmark = pytest.mark.e2e

RESIDENT = ("fotografin@example.org", "a long passphrase for the photographer")
CAPTION = "Der Eingang des Hochhauses im Winter 1982"


@pytest.fixture(scope="module")
def place_id(e2e_app):
    from app.extensions import db
    from app.models import Place
    from app.services.accounts import create_user

    with e2e_app.app_context():
        create_user(RESIDENT[0], "Fotografin", RESIDENT[1], check_strength=False)
        found = db.session.scalar(select(Place.id).where(Place.slug == "sulzer-hochhaus"))
        db.session.commit()
        db.session.remove()
    return found


def _story_media(e2e_app, story_id):
    from app.extensions import db
    from app.models import Story
    from app.services import media

    with e2e_app.app_context():
        story = db.session.get(Story, story_id)
        out = {"status": story.status,
               "media": [(m.kind, m.caption, m.status, media.public_path(m.variants["large"]),
                          media.private_path(m.storage_key)) for m in story.media]}
        db.session.remove()
        return out


def test_a_memory_with_a_photo_from_the_place_page(page, e2e_app, place_id, tmp_path):
    photo = tmp_path / "hochhaus.jpg"
    photo.write_bytes(jpeg_with_gps(47.4997, 8.7165, size=(1200, 900)))
    page.goto(page.base_url + "/login")
    page.fill("#email", RESIDENT[0])
    page.fill("#password", RESIDENT[1])
    page.locator("main form button[type=submit]").click()
    expect(page).not_to_have_url(re.compile("/login"))

    page.goto(page.base_url + f"/places/{place_id}")
    sw_ready(page)
    page.locator(f"a[href='/places/{place_id}/stories/new']").click()
    page.fill("#title", "Winter am Hochhaus")
    page.fill("#body", "Der Wind pfiff um die Ecke, wir warteten im Eingang auf den Bus.")
    page.fill("#era", "1982")
    page.set_input_files("#photo", str(photo))
    page.fill("#photo_caption", CAPTION)
    page.select_option("#photo_licence", "CC-BY-4.0")
    page.locator("input[name=licence_consent]").check()
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/stories/\d+$"))
    story_id = int(page.url.rsplit("/", 1)[-1])

    # the author sees their pending photo, described by its caption
    image = page.locator(f"main figure.photo img[alt='{CAPTION}']")
    expect(image).to_be_visible()
    until_js(page, """(alt) => {
        const img = document.querySelector(`main figure.photo img[alt="${alt}"]`);
        return img && img.complete && img.naturalWidth > 0;
    }""", CAPTION, message="the photo did not load")

    stored = _story_media(e2e_app, story_id)
    assert stored["status"] == "pending"
    [(kind, caption, status, public, private)] = stored["media"]
    assert (kind, caption, status) == ("photo", CAPTION, "pending")
    for path in (public, private):
        assert not Image.open(io.BytesIO(path.read_bytes())).getexif().get_ifd(0x8825)

    # the API: the author gets their story with its status; anyone else a 404 until approved
    mine = page.request.get(page.base_url + f"/api/v1/stories/{story_id}").json()
    assert mine["properties"]["status"] == "pending"
    assert [m["caption"] for m in mine["properties"]["media"]] == [CAPTION]
    page.context.clear_cookies()
    assert page.request.get(page.base_url + f"/api/v1/stories/{story_id}").status == 404
