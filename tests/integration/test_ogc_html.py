"""OGC API Features, HTML encoding: browsers get pages, everyone else the JSON as before.

Content negotiation both ways, ``f=html`` on every resource, alternate links between the two
encodings, paging that keeps the filters, errors as HTML pages, German and English, and the
caching headers (``Vary``, ETags that differ between the encodings).
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.integration.test_api_places import open_city

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
GDAL = "application/geo+json, application/json"
HTML_CONFORMANCE = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html"
ENGLISH = {"Accept": BROWSER, "Accept-Language": "en"}


@pytest.fixture
def city(db_session):
    return open_city(db_session, grid=4)


def resources(city) -> list[str]:
    return [
        "/ogc/",
        "/ogc/conformance",
        "/ogc/collections",
        "/ogc/collections/places",
        "/ogc/collections/tours",
        "/ogc/collections/places/items",
        "/ogc/collections/tours/items",
        f"/ogc/collections/places/items/{city['kaserne'].id}",
        "/ogc/collections/tours/items/altstadt",
    ]


class Page(HTMLParser):
    """The parts of a page the tests look at: links, head links, table rows, headings."""

    def __init__(self, html: str):
        super().__init__()
        self.links: list[dict] = []
        self.head_links: list[dict] = []
        self.rows: list[list[str]] = []
        self.text: list[str] = []
        self.lang = None
        self._in_head = False
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._link: dict | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        elif tag == "head":
            self._in_head = True
        elif tag == "link" and self._in_head:
            self.head_links.append(a)
        elif tag == "a":
            self._link = {**a, "text": ""}
            self.links.append(self._link)
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag):
        if tag == "head":
            self._in_head = False
        elif tag == "a":
            self._link = None
        elif tag in ("td", "th") and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        self.text.append(data)
        if self._link is not None:
            self._link["text"] += data
        if self._cell is not None:
            self._cell.append(data)

    @property
    def words(self) -> str:
        return " ".join("".join(self.text).split())

    def link(self, text: str) -> dict:
        return next(a for a in self.links if a["text"].strip() == text)


def page(client, url: str, **headers) -> Page:
    resp = client.get(url, headers={**ENGLISH, **headers})
    assert resp.status_code == 200, (url, resp.status_code)
    assert resp.mimetype == "text/html", url
    return Page(resp.get_data(as_text=True))


def query(href: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(href).query).items()}


def without_alternates(doc: dict) -> dict:
    """The document as it was before the HTML encoding: no alternate links, no html class."""
    doc = json.loads(json.dumps(doc))
    for holder in [doc, *doc.get("collections", [])]:
        if "links" in holder:
            holder["links"] = [link for link in holder["links"] if link["rel"] != "alternate"]
    if "conformsTo" in doc:
        doc["conformsTo"].remove(HTML_CONFORMANCE)
        del doc["links"]
    return doc


# --- content negotiation ---------------------------------------------------------------------


def test_a_browser_gets_html_and_everyone_else_json(client, city):
    for url in resources(city):
        html = client.get(url, headers=ENGLISH)
        assert html.status_code == 200 and html.mimetype == "text/html", url
        assert "Accept" in html.headers["Vary"] and "Accept-Language" in html.headers["Vary"]
        assert "<!doctype html>" in html.get_data(as_text=True)[:20]
        expected = "application/geo+json" if "/items" in url else "application/json"
        for accept in (None, "*/*", "application/json", "application/geo+json", GDAL,
                       "text/html;q=0.5, application/json"):
            resp = client.get(url, headers={"Accept": accept} if accept else {})
            assert resp.status_code == 200, (url, accept)
            assert resp.mimetype == expected, (url, accept)
            assert "Accept" in resp.headers["Vary"], (url, accept)
            resp.get_json()


def test_f_decides_over_the_accept_header(client, city):
    for url in resources(city):
        sep = "&" if "?" in url else "?"
        html = client.get(url + sep + "f=html", headers={"Accept": "application/json"})
        assert html.status_code == 200 and html.mimetype == "text/html", url
        for f in ("json", "geojson"):
            resp = client.get(url + sep + "f=" + f, headers={"Accept": BROWSER})
            assert resp.status_code == 200 and resp.mimetype.endswith("json"), (url, f)
        # With f the answer does not depend on Accept.
        assert "Accept" not in html.headers.get("Vary", "").split(", ")


def test_json_is_unchanged_for_json_clients(client, city, db_session):
    from app.services import geodata

    for url in resources(city):
        plain = client.get(url)
        asked = client.get(url, headers={"Accept": "application/json"})
        with_f = client.get(url + ("&" if "?" in url else "?") + "f=json")
        bodies = [re.sub(rb'"timeStamp":"[^"]+"', b"", r.data) for r in (plain, asked, with_f)]
        assert bodies[0] == bodies[1] == bodies[2], url
    # The features are passed on exactly as PostGIS wrote them.
    feature = geodata.ogc_place(city["kaserne"].id, "http://localhost", "http://localhost/media/")
    body = client.get(f"/ogc/collections/places/items/{city['kaserne'].id}").get_data(True)
    assert body.startswith(feature[:-1] + ',"links":[')
    page_ = geodata.ogc_places(None, None, 5, 0, "http://localhost")
    body = client.get("/ogc/collections/places/items?limit=5").get_data(True)
    assert body.endswith(',"features":' + page_.features + "}")
    # Apart from the links to the HTML pages (and the html conformance class), the documents
    # are those of before.
    landing = without_alternates(client.get("/ogc/").get_json())
    assert [link["rel"] for link in landing["links"]] == [
        "self", "service-desc", "service-doc", "conformance", "data"]
    assert without_alternates(client.get("/ogc/conformance").get_json()) == {"conformsTo": [
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"]}
    places = without_alternates(client.get("/ogc/collections/places").get_json())
    assert [link["rel"] for link in places["links"]] == ["self", "items", "license"]
    items = without_alternates(client.get("/ogc/collections/places/items?limit=5&offset=5")
                               .get_json())
    assert [link["rel"] for link in items["links"]] == ["self", "collection", "next", "prev"]


# --- links between the encodings -------------------------------------------------------------


def test_every_json_document_links_its_html_page(client, city):
    conformance = client.get("/ogc/conformance").get_json()
    assert HTML_CONFORMANCE in conformance["conformsTo"]
    for url in resources(city):
        doc = client.get(url).get_json()
        alternates = [link for link in doc["links"] if link["rel"] == "alternate"]
        assert len(alternates) == 1, url
        assert alternates[0]["type"] == "text/html"
        assert query(alternates[0]["href"])["f"] == "html"
        target = alternates[0]["href"].replace("http://localhost", "")
        resp = client.get(target, headers={"Accept": "application/json"})
        assert resp.status_code == 200 and resp.mimetype == "text/html", target
    for collection in client.get("/ogc/collections").get_json()["collections"]:
        assert any(link["rel"] == "alternate" and link["type"] == "text/html"
                   for link in collection["links"])
    items = client.get("/ogc/collections/places/items?limit=5&bbox=8.6,47.4,8.8,47.6").get_json()
    alternate = next(link for link in items["links"] if link["rel"] == "alternate")
    assert query(alternate["href"]) == {"limit": "5", "bbox": "8.6,47.4,8.8,47.6", "f": "html"}


def test_every_page_links_its_json(client, city):
    for url in resources(city):
        p = page(client, url)
        head = [link for link in p.head_links if link.get("rel") == "alternate"]
        assert len(head) == 1, url
        expected = "application/geo+json" if "/items" in url else "application/json"
        assert head[0]["type"] == expected
        visible = [a for a in p.links if a.get("rel") == "alternate"]
        assert [a["href"] for a in visible] == [head[0]["href"]], url
        assert query(head[0]["href"])["f"] == "json"
        resp = client.get(head[0]["href"], headers={"Accept": BROWSER})
        assert resp.status_code == 200 and resp.mimetype == expected, url
        # Links to other OGC pages stay pages.
        for a in p.links:
            if a["href"].startswith("/ogc") and "json" not in a.get("type", ""):
                assert query(a["href"]).get("f") == "html", (url, a)


# --- the pages ---------------------------------------------------------------------------------


def test_landing_conformance_and_collections_pages(client, city):
    landing = page(client, "/ogc")
    assert "Winterthur as open data: OGC API Features" in landing.words
    hrefs = {a["href"].split("?")[0] for a in landing.links}
    assert {"/ogc/collections", "/ogc/conformance", "/api/docs", "/api/openapi.json"} <= hrefs
    conformance = page(client, "/ogc/conformance")
    for uri in ("conf/core", "conf/geojson", "conf/html"):
        assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/" + uri in conformance.words
    collections = page(client, "/ogc/collections")
    assert "Places of Winterthur" in collections.words and "Tours in Winterthur" in collections.words
    # The page states the extent the JSON gives (from the planner's estimate, which depends
    # on what the database analysed last, so it is read rather than assumed).
    west, south, east, north = client.get("/ogc/collections/places?f=json").get_json()[
        "extent"]["spatial"]["bbox"][0]
    assert (f"From longitude {west} to {east} and from latitude {south} to {north} (WGS 84)."
            in collections.words)
    assert collections.link("List of places")["href"] == "/ogc/collections/places/items?f=html"
    places = page(client, "/ogc/collections/places")
    assert places.link("List of places")["href"] == "/ogc/collections/places/items?f=html"
    geojson = places.link("Places as GeoJSON")
    assert geojson["href"] == "/ogc/collections/places/items?f=json"
    assert places.link("CC0 1.0")["rel"] == "license"
    assert "The datetime filter selects places by their era" in places.words
    tours = page(client, "/ogc/collections/tours")
    assert tours.link("CC BY-SA 4.0")["rel"] == "license"


def test_items_page_of_places_has_a_table_paging_and_a_map(client, city):
    first = page(client, "/ogc/collections/places/items?limit=5")
    header, *rows = first.rows
    assert header == ["Title", "Themes", "When was this?", "Licence and credit"]
    assert len(rows) == 5
    assert rows[0] == ["Alte Kaserne", "Old town", "the 1960s", "CC BY-SA 4.0 Wanda Writer"]
    kaserne = first.link("Alte Kaserne")
    assert kaserne["href"] == f"/ogc/collections/places/items/{city['kaserne'].id}?f=html"
    assert kaserne["lang"] == "de"
    assert "This page shows places 1 to 5; there are more on the next pages." in first.words
    assert [a["text"] for a in first.links if a.get("rel") in ("prev", "next")] == ["Next page"]
    resp = client.get("/ogc/collections/places/items?limit=5", headers=ENGLISH)
    html = resp.get_data(as_text=True)
    assert 'data-map' in html and 'id="items-map-data"' in html and "js/map-start.js" in html
    data = json.loads(re.search(r'id="items-map-data">(.*?)</script>', html).group(1))
    assert [p["title"] for p in data["points"]] == [r[0] for r in rows]
    # Through the pages: every page keeps the filters and the limit. Only Alte Kaserne and
    # Sulzer Areal have an era, so only they match a datetime filter: two pages of one.
    url = "/ogc/collections/places/items?limit=1&bbox=8.6,47.4,8.8,47.6&datetime=../2100-01-01"
    one = page(client, url)
    assert [row[0] for row in one.rows[1:]] == ["Alte Kaserne"]
    assert "This page shows place 1; there are more on the next pages." in one.words
    assert "Only what lies in the box 8.6,47.4,8.8,47.6" in one.words
    assert "Only what matches the time ../2100-01-01." in one.words
    nxt = next(a for a in one.links if a.get("rel") == "next")
    assert query(nxt["href"]) == {"limit": "1", "bbox": "8.6,47.4,8.8,47.6",
                                  "datetime": "../2100-01-01", "offset": "1", "f": "html"}
    assert {link.get("rel") for link in one.head_links} >= {"next", "alternate"}
    two = page(client, nxt["href"])
    assert [row[0] for row in two.rows[1:]] == ["Sulzer Areal"]
    assert "This page shows place 2 of 2." in two.words
    prev = next(a for a in two.links if a.get("rel") == "prev")
    assert query(prev["href"]) == {"limit": "1", "bbox": "8.6,47.4,8.8,47.6",
                                   "datetime": "../2100-01-01", "f": "html"}
    assert not any(a.get("rel") == "next" for a in two.links)
    everything = []
    url = "/ogc/collections/places/items?limit=5&f=html"
    while url:
        p = page(client, url)
        everything += [row[0] for row in p.rows[1:]]
        nxt = next((a for a in p.links if a.get("rel") == "next"), None)
        url = nxt["href"] if nxt else None
    assert len(everything) == 3 + 16
    assert "This page shows places 16 to 19 of 19." in p.words
    prev = next(a for a in p.links if a.get("rel") == "prev")
    assert query(prev["href"]) == {"limit": "5", "offset": "10", "f": "html"}
    alone = page(client, "/ogc/collections/places/items?bbox=8.72,47.495,8.735,47.505")
    assert "There are 2 places, all on this page." in alone.words
    none = page(client, "/ogc/collections/places/items?bbox=0,0,1,1")
    assert "No places match." in none.words and none.rows == []


def test_items_page_of_tours(client, city):
    p = page(client, "/ogc/collections/tours/items")
    assert p.rows == [["Title", "Stops", "Length"], ["Durch die Altstadt", "2", "420 m"]]
    assert p.link("Durch die Altstadt")["href"] == "/ogc/collections/tours/items/altstadt?f=html"
    assert "There is 1 tour; it is on this page." in p.words


def test_item_pages_show_properties_licence_and_the_site_page(client, city):
    kaserne = city["kaserne"]
    resp = client.get(f"/ogc/collections/places/items/{kaserne.id}", headers=ENGLISH)
    html = resp.get_data(as_text=True)
    p = Page(html)
    assert '<h1 lang="de">Alte Kaserne</h1>' in html
    assert p.link("Go to the place's page")["href"] == f"/places/{kaserne.id}"
    for shown in ("Themes themes Old town", "When was this? era the 1960s",
                  "Recording to listen to has_audio Yes", "Licence of the story CC BY-SA 4.0",
                  "Licence of position and facts CC0 1.0", "Credit Wanda Writer",
                  "Story body The story of Alte Kaserne."):
        assert shown in p.words, shown
    assert '<dl class="properties">' in html and 'id="item-map-data"' in html
    assert client.get(p.link("Go to the place's page")["href"]).status_code == 200
    tour = page(client, "/ogc/collections/tours/items/altstadt")
    assert tour.link("Go to the tour's page")["href"] == "/tours/altstadt"
    assert tour.link("Stadthaus")["href"] == (
        f"/ogc/collections/places/items/{city['stadthaus'].id}?f=html")
    assert "Length length_m 420 m" in tour.words
    assert "Licence of the tour CC BY-SA 4.0" in tour.words


def test_pages_in_german_by_header_and_by_the_language_switch(client, city):
    german = page(client, "/ogc/collections/places/items?limit=5", **{"Accept-Language": "de"})
    assert german.lang == "de"
    assert german.rows[0] == ["Titel", "Themen", "Wann war das?", "Lizenz und Namensnennung"]
    assert "Diese Seite zeigt die Orte 1 bis 5; weitere folgen auf den nächsten Seiten." in german.words
    assert german.link("Nächste Seite")["rel"] == "next"
    collections = page(client, "/ogc/collections", **{"Accept-Language": "de"})
    assert "Orte in Winterthur" in collections.words
    assert "Touren in Winterthur" in collections.words  # as in the tours feed
    # The switch in the header (a cookie) wins over the browser's language.
    resp = client.post("/language", data={"lang": "en", "next": "/ogc/collections?f=html"})
    assert resp.status_code == 303 and resp.headers["Location"] == "/ogc/collections?f=html"
    english = page(client, "/ogc/collections?f=html", **{"Accept-Language": "de"})
    assert english.lang == "en" and "Places of Winterthur" in english.words


# --- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize("query_string,message", [
    ("f=xml", "f must be json, geojson or html."),
    ("bbox=1,2,3", "bbox must be four numbers: minLon,minLat,maxLon,maxLat."),
    ("limit=0", "limit must be between 1 and 1000."),
    ("colour=red", "Unknown query parameter: colour."),
])
def test_bad_input_is_400_html_for_browsers_and_json_for_the_rest(client, city, query_string,
                                                                  message):
    url = "/ogc/collections/places/items?" + query_string
    for headers in (ENGLISH, {"Accept": "application/json", "Accept-Language": "en"}):
        html = client.get(url + ("" if query_string == "f=xml" else "&f=html"), headers=headers)
        if query_string == "f=xml" and headers is not ENGLISH:
            continue  # an unknown f from a JSON client is answered in JSON (below)
        assert html.status_code == 400 and html.mimetype == "text/html", url
        assert message in Page(html.get_data(as_text=True)).words
    for headers in ({}, {"Accept": "application/json"}, {"Accept-Language": "de"}):
        resp = client.get(url, headers=headers)
        assert resp.status_code == 400 and resp.mimetype == "application/problem+json"
        # The API's messages stay English whatever the language.
        assert resp.get_json()["error"]["message"] == message


def test_bad_bbox_in_german(client, city):
    resp = client.get("/ogc/collections/places/items?bbox=1,2,3&f=html",
                      headers={"Accept-Language": "de"})
    assert resp.status_code == 400
    words = Page(resp.get_data(as_text=True)).words
    assert "Das hat nicht geklappt" in words
    assert "bbox muss aus vier Zahlen bestehen: minLon,minLat,maxLon,maxLat." in words


def test_unknown_collection_and_items_are_404_pages(client, city):
    missing = ["/ogc/collections/nope", "/ogc/collections/nope/items",
               f"/ogc/collections/places/items/{city['hidden'].id}",
               "/ogc/collections/places/items/abc", "/ogc/collections/tours/items/draft-tour",
               "/ogc/collections/tours/items/nope"]
    for url in missing:
        for resp in (client.get(url, headers=ENGLISH),
                     client.get(url + "?f=html", headers={"Accept": "application/json",
                                                          "Accept-Language": "en"})):
            assert resp.status_code == 404 and resp.mimetype == "text/html", url
            assert "That did not work" in resp.get_data(as_text=True)
        resp = client.get(url)
        assert resp.status_code == 404 and resp.mimetype == "application/problem+json", url
    german = client.get("/ogc/collections/nope", headers={"Accept": BROWSER,
                                                           "Accept-Language": "de"})
    assert "Diese Sammlung gibt es nicht" in german.get_data(as_text=True)


# --- caching -----------------------------------------------------------------------------------


def test_caching_headers_of_both_encodings(client, city):
    url = f"/ogc/collections/places/items/{city['kaserne'].id}"
    data = client.get(url)
    assert data.headers["Cache-Control"] == "public, max-age=60, s-maxage=60"
    html = client.get(url, headers=ENGLISH)
    # The page holds the visitor's CSRF token and login state: no shared cache may keep it.
    assert html.headers["Cache-Control"] == "private, no-cache"
    assert data.headers["ETag"] != html.headers["ETag"]
    # The JSON's ETag still gives 304 to JSON clients, and never a 304 to a browser.
    again = client.get(url, headers={"If-None-Match": data.headers["ETag"]})
    assert again.status_code == 304 and "Accept" in again.headers["Vary"]
    browser = client.get(url, headers={**ENGLISH, "If-None-Match": data.headers["ETag"]})
    assert browser.status_code == 200 and browser.mimetype == "text/html"
    assert client.get("/ogc/collections").headers["Cache-Control"].startswith("public")
    assert client.get("/ogc/collections?f=html").headers["Cache-Control"] == "private, no-cache"
