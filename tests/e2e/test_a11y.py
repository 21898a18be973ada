"""WCAG 2.1 AA: axe-core finds no violations on the visitor pages and the contribute and curate
pages, in German and in English, on a phone, after the scripts have run."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.axe import in_both_languages, violations, with_axe

pytestmark = pytest.mark.e2e


PAGES = {
    "home": "/",
    "place": "/places/{place}",
    "place with many stories": "/places/{voices}",
    "story": "/stories/{story}",
    "add a story": "/places/{voices}/stories/new",
    "tour": "/tours/altstadt-erinnerungen",
    "follow": "/tours/altstadt-erinnerungen/follow",
    "search": "/search?q=Schloss&step_free=1",
    "theme": "/themes/fotografie",
    "offline": "/offline",
    "contribute": "/contribute",
    "curate": "/curate",
    "open data items": "/ogc/collections/places/items?limit=10&f=html",
    "open data stories": "/ogc/collections/stories/items?limit=10&f=html",
    "open data story": "/ogc/collections/stories/items/{story}?f=html",
}
NEEDS_LOGIN = {"contribute": "resident@demo.stadtspur.ch", "curate": "curator@demo.stadtspur.ch",
               "add a story": "resident@demo.stadtspur.ch"}


def _login(page, email, password):
    page.goto(page.base_url + "/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(password)
    page.locator("main form [type=submit]").first.click()
    page.wait_for_load_state()


def _ready(page, name):
    """Wait until the page's scripts have done what a visitor would wait for."""
    if page.locator("[data-map]").count():
        # Maps further down the page start when they are scrolled near (static/js/map-start.js).
        page.locator("[data-map]").first.scroll_into_view_if_needed()
        expect(page.locator("[data-map][data-ready='true']").first).to_be_visible()
    if name == "follow":
        expect(page.locator("[data-follow][data-ready='true']")).to_be_visible()
        page.locator("[data-follow-next]").click()  # a stop open, as while walking


@pytest.mark.parametrize("name", list(PAGES))
def test_no_axe_violations_in_german_and_english(page, e2e_app, name):
    with_axe(page)
    with e2e_app.app_context():
        from sqlalchemy import func, select

        from app.extensions import db
        from app.models import Place, Story

        place = db.session.scalar(select(Place.id).where(Place.title == "Fotomuseum Winterthur"))
        # the demo's place with the most voices, and one of its further stories
        voices = db.session.scalar(select(Story.place_id).where(~Story.is_lead)
                                   .group_by(Story.place_id)
                                   .order_by(func.count().desc(), Story.place_id).limit(1))
        story = db.session.scalar(select(Story.id).where(Story.place_id == voices,
                                                         ~Story.is_lead).limit(1))
    if name in NEEDS_LOGIN:
        email = NEEDS_LOGIN[name]
        _login(page, email, e2e_app.demo_accounts[email][1])
    path = PAGES[name].format(place=place, voices=voices, story=story)
    assert in_both_languages(page, path, lambda: _ready(page, name)) == {"de": [], "en": []}


def test_keyboard_reaches_everything_on_the_tour_page_with_visible_focus(page):
    page.goto(page.base_url + "/tours/altstadt-erinnerungen")
    expect(page.locator("[data-offline-save]")).to_be_visible()
    seen = set()
    for _ in range(60):
        page.keyboard.press("Tab")
        info = page.evaluate(
            """() => { const el = document.activeElement; const s = getComputedStyle(el);
            return {tag: el.tagName, text: (el.textContent || '').trim().slice(0, 40),
                    outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2}; }"""
        )
        if info["tag"] in ("A", "BUTTON", "INPUT", "SUMMARY"):
            assert info["outline"], f"no visible focus on {info}"
        seen.add(info["text"])
    assert any("Rundgang starten" in t for t in seen)
    assert any("Für offline speichern" in t for t in seen)


def test_larger_text_setting_from_the_footer(page):
    page.goto(page.base_url + "/search")
    size = "parseFloat(getComputedStyle(document.querySelector('main p, main label')).fontSize)"
    before = page.evaluate(size)
    # The setting is a form: the page comes back, and its size is read once its stylesheet
    # has loaded (the class is on <html> before that).
    with page.expect_navigation():
        page.get_by_role("button", name="Grössere Schrift").click()
    page.wait_for_load_state("load")
    expect(page.locator("html")).to_have_class("large-text")
    after = page.evaluate(size)
    assert after > before * 1.15
    assert page.url.endswith("/search")
    page.get_by_role("button", name="Normale Schriftgrösse").click()
    expect(page.locator("html")).not_to_have_class("large-text")


@pytest.mark.parametrize("path", ["/", "/tours/altstadt-erinnerungen", "/search?q=Schloss"])
def test_dark_mode_and_reduced_motion_have_no_violations(page, path):
    with_axe(page)
    page.emulate_media(color_scheme="dark", reduced_motion="reduce")
    page.goto(page.base_url + path)
    if page.locator("[data-map]").count():
        page.locator("[data-map]").first.scroll_into_view_if_needed()
        expect(page.locator("[data-map][data-ready='true']").first).to_be_visible()
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(18, 20, 23)"  # the dark palette is in use
    assert violations(page) == []
