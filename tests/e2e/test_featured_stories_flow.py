"""On a phone, with the service worker running: a tour's author features a story at a stop
and, once the change is published, a visitor walking the tour in follow mode sees it there;
the place page orders its stories by era and filters them by language and kind with its
plain form; axe finds no violations on that page with many stories, in German and English."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.e2e.accounts import log_in
from tests.e2e.axe import in_both_languages, with_axe
from tests.e2e.waits import sw_ready

pytestmark = pytest.mark.e2e

CURATOR = "curator@demo.stadtspur.ch"
TOUR = "altstadt-erinnerungen"


@pytest.fixture(scope="module")
def scene(e2e_app):
    """Further voices at the Untertor (a stop of the demo tour): German and English, a
    memory, a history and a tip, from three eras and one undated."""
    from app.extensions import db
    from app.models import Place
    from app.services import stories
    from app.services.accounts import create_user
    from app.services.stories import StoryInput

    told = [
        ("Der Milchmann", "Jeden Morgen kam der Milchmann mit dem Pferdewagen durch das Tor.",
         "de", "memory", "1950s"),
        ("The tram to Töss", "We took the tram under the gate every Sunday.", "en", "memory",
         "ca. 1925"),
        ("Built in 1870", "The gate tower was rebuilt after the fire.", "en", "history",
         "1870"),
        ("Abends ruhig", "Nach acht ist es hier still; die Bänke sind frei.", "de", "tip", ""),
    ]
    with e2e_app.app_context():
        resident = create_user("stimme@example.org", "Eine Stimme", "a long passphrase 42",
                               check_strength=False)
        curator = create_user("pruefer@example.org", "Prüferin", "a long passphrase 42",
                              role="curator", check_strength=False)
        place = db.session.scalar(select(Place).where(Place.title == "Untertor"))
        ids = {}
        for title, body, language, kind, era in told:
            story = stories.add_story(resident, place.id, StoryInput(
                title=title, body=body, language=language, kind=kind, era=era,
                licence_consent=True))
            stories.review_story(curator, story.id, "approve")
            ids[title] = story.id
        db.session.commit()
        out = {"place": place.id, "ids": ids}
        db.session.remove()
    return out


def test_the_author_features_a_story_and_a_visitor_sees_it_in_follow_mode(
        page, e2e_app, scene):
    milkman = scene["ids"]["Der Milchmann"]
    log_in(page, CURATOR, e2e_app.demo_accounts[CURATOR][1])
    page.goto(page.base_url + f"/tours/{TOUR}/edit")
    first_slot = page.locator(f"#stop-{scene['place']}-featured-1")
    first_slot.select_option(f"{scene['place']}:{milkman}")
    page.click("#save-tour")
    # a published tour's change waits for a curator: the author is one, and publishes it
    expect(page.locator("#action-publish")).to_be_visible()
    expect(page.locator(f"#stop-{scene['place']}-featured-1")).to_have_value(
        f"{scene['place']}:{milkman}")
    page.click("#action-publish")
    expect(page).not_to_have_url(re.compile(r"/edit$"))

    page.context.clear_cookies()
    page.goto(page.base_url + f"/tours/{TOUR}/follow")
    sw_ready(page)
    root = page.locator("[data-follow]")
    expect(root).to_have_attribute("data-ready", "true")
    # Without a position, the buttons walk the tour: the Untertor is its second stop.
    page.locator("[data-follow-next]").click()
    page.locator("[data-follow-next]").click()
    expect(page.locator("[data-stop-title]")).to_have_text("Untertor")
    featured = page.locator("[data-stop-stories]")
    expect(featured).to_be_visible()
    expect(page.locator("[data-stop-stories-heading]")).to_have_text(
        re.compile("Ausgewählte Geschichten|Featured stories"))
    items = page.locator("[data-stop-story-list] > li")
    expect(items).to_have_count(1)
    expect(items.first).to_contain_text("Der Milchmann")
    expect(items.first).to_contain_text("Pferdewagen")
    expect(items.first).to_have_attribute("lang", "de")
    items.first.locator("a").click()
    expect(page).to_have_url(re.compile(f"/stories/{milkman}$"))
    expect(page.locator("main")).to_contain_text("Pferdewagen")


def test_the_place_page_orders_by_era_and_filters_by_language_and_kind(page, scene):
    page.goto(page.base_url + f"/places/{scene['place']}")
    sw_ready(page)
    form = page.locator("form.story-filters")
    expect(form).to_be_visible()
    page.locator("#story-order").select_option("era")
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"order=era"))
    titles = page.locator(".story-item h3")
    listed = titles.all_text_contents()
    oldest = ["Built in 1870", "The tram to Töss", "Der Milchmann"]
    assert [t for t in listed if t in oldest] == oldest
    assert listed[-1] == "Abends ruhig"  # undated last

    page.locator("#story-language").select_option("en")
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"language=en"))
    expect(titles).to_have_text(["Built in 1870", "The tram to Töss"])
    expect(page.locator("#story-order")).to_have_value("era")  # the choices stay

    page.locator("#story-kind").select_option("history")
    form.locator("button[type=submit]").click()
    expect(titles).to_have_text(["Built in 1870"])
    page.locator("form.story-filters ~ p a").click()  # show all stories again
    expect(page).not_to_have_url(re.compile(r"language="))
    assert titles.count() >= 4


def test_no_axe_violations_on_the_place_with_many_stories(page, scene):
    with_axe(page)
    found = in_both_languages(
        page, f"/places/{scene['place']}",
        ready=lambda: expect(page.locator("form.story-filters")).to_be_visible())
    assert found == {"de": [], "en": []}
