"""/me/contributions tells contributors what happened to their place and to each photo:
a decision on the place itself (hidden after reports, removed, merged) outranks the
"approved" of its latest revision."""

from __future__ import annotations

import lxml.html
import pytest

from app.services import flags, moderation
from tests.conftest import create_user, login
from tests.integration.test_moderation_factory import add_media, pending_place


@pytest.fixture
def setup(client, demo, db_session):
    author = create_user("author@example.org")
    curator = create_user("cur@example.org", role="curator")
    place = pending_place(author, title="Alte Mühle", media=2)
    photo_ok, photo_no = sorted(place.media, key=lambda m: m.position)
    moderation.decide(curator, "place", place.id, "approve", version=place.version)
    db_session.flush()
    login(client, author.email)
    return author, curator, place, photo_ok, photo_no


def card(client, place_id):
    page = lxml.html.fromstring(client.get("/me/contributions").data)
    [found] = page.xpath(f'//li[@id="place-{place_id}"]')
    return found


def badge(element) -> str:
    return element.xpath('.//p/span[contains(@class, "badge")]')[0].text_content().strip()


def test_published_place_and_photo_states(client, setup, db_session):
    author, curator, place, photo_ok, photo_no = setup
    assert badge(card(client, place.id)) == "Veröffentlicht"  # the author's language
    pending = add_media(place, author, position=5)
    assert pending.status == "pending"
    db_session.expire_all()
    text = card(client, place.id).text_content()
    assert "Wartet auf Prüfung" in text


def test_hidden_after_reports_is_said(client, setup, db_session):
    author, curator, place, *_ = setup
    flag = flags.create_flag(curator, place_id=place.id, reason="wrong", message="Falsch.")
    flags.resolve(curator, flag.id, "hide")
    db_session.flush()
    found = card(client, place.id)
    assert badge(found) == "Vorläufig ausgeblendet"
    assert "Er wird geprüft" in found.text_content()


def test_removed_place_is_not_shown_as_published(client, setup, db_session):
    author, curator, place, *_ = setup
    flag = flags.create_flag(curator, place_id=place.id, reason="private", message="Privat.")
    flags.resolve(curator, flag.id, "remove")
    db_session.flush()
    assert badge(card(client, place.id)) == "Entfernt"


def test_merged_place_links_to_the_place_it_joined(client, setup, demo, db_session):
    author, curator, place, *_ = setup
    duplicate = pending_place(author, title="Mühle nochmals", lon=8.7291, lat=47.4996)
    moderation.merge(curator, duplicate.id, place.id, version=duplicate.version)
    db_session.flush()
    found = card(client, duplicate.id)
    assert badge(found) == "Mit einem anderen Ort zusammengeführt"
    assert found.xpath(f'.//a[@href="/places/{place.id}"]')


def test_a_refused_photo_says_why(client, setup, db_session):
    author, curator, place, *_ = setup
    photo = add_media(place, author, position=7)
    moderation.decide(curator, "media", photo.id, "reject", reason="private")
    other = add_media(place, author, position=8)
    moderation.decide(curator, "media", other.id, "reject", reason="quality",
                      message="Leider zu unscharf.")
    db_session.flush()
    db_session.expire_all()
    text = card(client, place.id).text_content()
    assert "Nicht veröffentlicht" in text
    assert "Leider zu unscharf." in text
    assert "Private Informationen" in text  # the reason, when there is no message
