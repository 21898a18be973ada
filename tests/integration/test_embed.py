"""Embeds: a frameable tour page, oEmbed, and the copy-paste snippet on the tour page."""

from __future__ import annotations

import pytest

from tests.integration.test_api_places import open_city


@pytest.fixture
def city(db_session):
    return open_city(db_session)


def test_embed_page_may_be_framed_everything_else_not(client, city):
    resp = client.get("/embed/tours/altstadt")
    assert resp.status_code == 200
    csp = resp.headers["Content-Security-Policy"]
    assert "frame-ancestors *" in csp
    assert "script-src 'self'" in csp  # the rest of the policy stays strict
    assert "X-Frame-Options" not in resp.headers
    html = resp.get_data(as_text=True)
    assert '<base target="_blank">' in html
    assert "Alte Kaserne" in html and "Stadthaus" in html
    assert "Hidden place" not in html
    page = client.get("/tours/altstadt")
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"


def test_embed_of_unknown_or_draft_tour_is_404(client, city):
    assert client.get("/embed/tours/draft-tour").status_code == 404
    assert client.get("/embed/tours/nope").status_code == 404


def test_tour_page_has_snippet_and_oembed_discovery(client, city):
    html = client.get("/tours/altstadt").get_data(as_text=True)
    assert 'id="embed-code"' in html
    assert "&lt;iframe src=&#34;http://localhost/embed/tours/altstadt&#34;" in html
    assert 'type="application/json+oembed"' in html
    assert "/static/js/embed.js" in html


def test_oembed(client, city):
    resp = client.get("/oembed?url=http://localhost/tours/altstadt&maxwidth=400")
    assert resp.status_code == 200
    doc = resp.get_json()
    assert doc["version"] == "1.0" and doc["type"] == "rich"
    assert doc["title"] == "Durch die Altstadt"
    assert doc["width"] == 400
    assert 'src="http://localhost/embed/tours/altstadt"' in doc["html"]
    assert resp.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize(
    "query, status",
    [
        ("url=http://localhost/tours/altstadt&format=xml", 501),
        ("url=http://localhost/tours/draft-tour", 404),
        ("url=https://elsewhere.example/tours/altstadt", 404),
        ("url=http://localhost/places/1", 404),
        ("", 422),
        ("url=http://localhost/tours/altstadt&maxwidth=wide", 400),
    ],
)
def test_oembed_refusals(client, city, query, status):
    resp = client.get("/oembed?" + query)
    assert resp.status_code == status
    assert resp.mimetype == "application/problem+json"
