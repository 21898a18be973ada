"""Atom feeds with GeoRSS points, read with feedparser."""

from __future__ import annotations

import feedparser
import pytest

from tests.integration.test_api_places import PRIVATE_TITLES, open_city


@pytest.fixture
def city(db_session):
    return open_city(db_session)


def parse(client, url: str):
    resp = client.get(url, headers={"Accept-Language": "en"})
    assert resp.status_code == 200, resp.data
    assert resp.mimetype == "application/atom+xml"
    assert "public" in resp.headers["Cache-Control"] and resp.headers["ETag"]
    feed = feedparser.parse(resp.data)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed


def test_places_feed_newest_first_with_points_and_licence(client, city):
    feed = parse(client, "/feeds/places.atom")
    assert feed.feed.title == "New places in Winterthur"
    assert any(link.rel == "self" for link in feed.feed.links)
    titles = [e.title for e in feed.entries]
    assert titles == ["Alte Kaserne", "Stadthaus", "Sulzer Areal"]  # newest first
    assert PRIVATE_TITLES.isdisjoint(titles)
    kaserne = feed.entries[0]
    assert kaserne.link.endswith(f"/places/{city['kaserne'].id}")
    assert kaserne.where["type"] == "Point"
    assert kaserne.where["coordinates"] == pytest.approx((8.729, 47.5))
    assert kaserne.rights == "CC BY-SA 4.0"
    assert kaserne.author == "Wanda Writer"
    assert [t.term for t in kaserne.tags] == ["old-town"]
    assert "The story of Alte Kaserne." in kaserne.content[0].value


def test_theme_feed(client, city):
    feed = parse(client, "/feeds/themes/industry.atom")
    assert feed.feed.title == "New places: Industry"
    assert [e.title for e in feed.entries] == ["Stadthaus", "Sulzer Areal"]
    resp = client.get("/feeds/themes/nope.atom")
    assert resp.status_code == 404


def test_tours_feed_published_only_with_start_point(client, city):
    feed = parse(client, "/feeds/tours.atom")
    assert [e.title for e in feed.entries] == ["Durch die Altstadt"]
    entry = feed.entries[0]
    assert entry.link.endswith("/tours/altstadt")
    assert entry.where["coordinates"] == pytest.approx((8.729, 47.5))  # first visible stop


def test_feed_in_german(client, city):
    resp = client.get("/feeds/places.atom", headers={"Accept-Language": "de"})
    feed = feedparser.parse(resp.data)
    assert feed.feed.title == "Neue Orte in Winterthur"
    assert "Accept-Language" in resp.headers["Vary"]
