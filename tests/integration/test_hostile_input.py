"""Input no part of the app can store is refused with a 4xx naming it, never a 500: NUL
characters and lone surrogates anywhere, JSON nested too deeply, numbers in paths beyond a
bigint (the list a hostile-user test of the running app found)."""

from __future__ import annotations

import pytest

from app.models import Place, Tour
from tests.conftest import create_user, login

NUL_URLS = [
    ("/api/v1/places?q=%00", "q"),
    ("/api/v1/tours/%00", "path"),
    ("/search?q=a%00b", None),
    ("/themes/a%00b", None),
    ("/tours/a%00b", None),
    ("/tours/a%00b.pdf", None),
    ("/tours/a%00b.gpx", None),
    ("/embed/tours/a%00b", None),
    ("/ogc/collections/tours/items/a%00b", "path"),
    ("/oembed?url=http://localhost/tours/a%00b", "url"),
    ("/api/v1/moderation/queue?theme=%00", "theme"),
]


@pytest.mark.parametrize(("url", "field"), NUL_URLS)
def test_nul_in_a_path_or_query_is_refused_naming_it(client, url, field):
    resp = client.get(url)
    assert resp.status_code == 400
    if field:  # machine-facing: problem+json naming the parameter
        assert resp.mimetype == "application/problem+json"
        assert resp.json["error"]["code"] == "unstorable_text"
        assert resp.json["error"]["field"] == field
    else:
        assert resp.mimetype == "text/html"


@pytest.mark.parametrize("url", [
    "/tiles/places/99999999999999999999/1/1.mvt",
    "/tiles/places/1/99999999999999999999/1.mvt",
    "/api/v1/places/99999999999999999999",
    "/places/99999999999999999999",
])
def test_numbers_beyond_a_bigint_name_nothing(client, url):
    assert client.get(url).status_code == 404


@pytest.fixture
def writer(db_session):
    return create_user("writer@example.org", role="curator")


@pytest.mark.parametrize("body", ['{"title": "a\\u0000b"}', '{"title": "\\ud800"}',
                                  '{"properties": {"title": "\\ud800x"}}'])
def test_unstorable_json_text_is_refused_and_nothing_stored(client, db_session, writer, body):
    login(client, writer.email)
    places = db_session.query(Place).count()
    tours = db_session.query(Tour).count()
    for method, url in (("post", "/api/v1/places"), ("patch", "/api/v1/places/1"),
                        ("post", "/api/v1/tours")):
        resp = getattr(client, method)(url, data=body, content_type="application/json")
        assert resp.status_code == 400, (method, url)
        assert resp.json["error"]["code"] == "unstorable_text"
        assert resp.json["error"]["field"] in ("title", "properties.title")
    assert db_session.query(Place).count() == places
    assert db_session.query(Tour).count() == tours


def test_deeply_nested_json_is_a_400(client, writer):
    login(client, writer.email)
    deep = "[" * 10_000 + "]" * 10_000
    resp = client.post("/api/v1/places", data=deep, content_type="application/json")
    assert resp.status_code == 400
    shallow_but_deep_enough = '{"a":' * 40 + "1" + "}" * 40
    resp = client.post("/api/v1/places", data=shallow_but_deep_enough,
                       content_type="application/json")
    assert resp.status_code == 400


def test_nul_in_a_form_field_or_file_name_is_refused(client, writer):
    import io

    login(client, writer.email)
    resp = client.post("/contribute", data={"title": "a\x00b"})
    assert resp.status_code == 400
    resp = client.post("/contribute", data={
        "title": "Ok", "photos": (io.BytesIO(b"x"), "a\x00.jpg")},
        content_type="multipart/form-data")
    assert resp.status_code == 400


def test_ordinary_unicode_passes(client):
    resp = client.get("/search?q=Z%C3%BCrich%20%F0%9F%8C%8D")
    assert resp.status_code == 200


@pytest.mark.parametrize("url", ["/feeds/themes/no-such-theme.atom", "/feeds/nothing.atom",
                                 "/sitemaps/nothing.xml"])
def test_feed_and_sitemap_errors_are_never_an_html_page(client, url):
    resp = client.get(url, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert resp.status_code == 404
    assert resp.mimetype == "application/problem+json"
