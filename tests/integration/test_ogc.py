"""OGC API Features (Part 1 Core, GeoJSON) under /ogc, checked by hand and read with GDAL."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.conftest import LiveServer, make_test_app
from tests.integration.test_api_places import PRIVATE_TITLES, open_city

CORE = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"


@pytest.fixture
def city(db_session):
    return open_city(db_session, grid=4)


def links(doc: dict) -> dict[str, str]:
    return {link["rel"]: link["href"] for link in doc["links"]}


def test_landing_conformance_collections(client, city):
    landing = client.get("/ogc/")
    assert landing.status_code == 200 and landing.mimetype == "application/json"
    rels = links(landing.get_json())
    assert {"self", "service-desc", "conformance", "data"} <= set(rels)
    assert client.get("/ogc").status_code == 200  # no redirect for clients that drop the slash
    conf = client.get("/ogc/conformance").get_json()
    assert CORE in conf["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in conf["conformsTo"]
    cols = client.get("/ogc/collections").get_json()
    assert [c["id"] for c in cols["collections"]] == ["places", "stories", "tours"]
    places = client.get("/ogc/collections/places").get_json()
    assert links(places)["items"].endswith("/ogc/collections/places/items")
    bbox = places["extent"]["spatial"]["bbox"][0]
    assert bbox[0] <= 8.70 and bbox[2] >= 8.729
    assert client.get("/ogc/collections/nope").status_code == 404
    # Each collection names its own licence: facts are CC0, tours CC BY-SA.
    assert "publicdomain/zero" in links(places)["license"]
    tours = client.get("/ogc/collections/tours").get_json()
    assert "licenses/by-sa/4.0" in links(tours)["license"]


def test_items_self_link_of_an_unfiltered_page_has_no_empty_query(client, city):
    page = client.get("/ogc/collections/places/items").get_json()
    assert links(page)["self"].endswith("/ogc/collections/places/items")


def test_items_paging_with_links_and_counts(client, city):
    first = client.get("/ogc/collections/places/items?limit=5")
    assert first.status_code == 200 and first.mimetype == "application/geo+json"
    page = first.get_json()
    assert page["numberReturned"] == 5 and "numberMatched" not in page
    ids, url = [], "/ogc/collections/places/items?limit=5"
    while url:
        page = client.get(url).get_json()
        ids += [f["id"] for f in page["features"]]
        rels = links(page)
        assert rels["self"] and rels["collection"]
        url = rels.get("next", "").replace("http://localhost", "") or None
    assert page["numberMatched"] == len(ids) == 3 + 16
    assert ids == sorted(ids)
    titles = {f["properties"]["title"] for f in client.get(
        "/ogc/collections/places/items?limit=1000").get_json()["features"]}
    assert PRIVATE_TITLES.isdisjoint(titles)
    second = client.get("/ogc/collections/places/items?limit=5&offset=5").get_json()
    assert links(second)["prev"].endswith("limit=5")


def test_items_bbox_and_datetime(client, city):
    boxed = client.get("/ogc/collections/places/items?bbox=8.72,47.495,8.735,47.505").get_json()
    assert {f["properties"]["title"] for f in boxed["features"]} == {"Alte Kaserne", "Stadthaus"}
    sixties = client.get(
        "/ogc/collections/places/items?datetime=1965-06-01T00:00:00Z").get_json()
    assert [f["properties"]["title"] for f in sixties["features"]] == ["Alte Kaserne"]
    early = client.get("/ogc/collections/places/items?datetime=../1920-01-01").get_json()
    assert [f["properties"]["title"] for f in early["features"]] == ["Sulzer Areal"]
    tours = client.get("/ogc/collections/tours/items").get_json()
    assert [f["id"] for f in tours["features"]] == ["altstadt"]
    assert tours["features"][0]["geometry"]["type"] == "LineString"
    stops = tours["features"][0]["properties"]["stops"]
    assert [s["title"] for s in stops] == ["Alte Kaserne", "Stadthaus"]  # hidden stop left out
    none = client.get("/ogc/collections/tours/items?datetime=2000-01-01/2001-01-01").get_json()
    assert none["features"] == []


@pytest.mark.parametrize("query", ["limit=0", "limit=abc", "offset=-1", "bbox=1,2,3",
                                   "datetime=yesterday", "datetime=2020-01-02/2020-01-01",
                                   "colour=red", "f=xml"])
def test_bad_item_parameters_are_400(client, city, query):
    resp = client.get("/ogc/collections/places/items?" + query)
    assert resp.status_code == 400, resp.data
    assert resp.get_json()["error"]["message"]


def test_single_items(client, city):
    place = client.get(f"/ogc/collections/places/items/{city['kaserne'].id}")
    assert place.status_code == 200 and place.mimetype == "application/geo+json"
    feature = place.get_json()
    assert feature["properties"]["title"] == "Alte Kaserne"
    assert {"self", "collection"} <= set(links(feature))
    tour = client.get("/ogc/collections/tours/items/altstadt").get_json()
    assert tour["properties"]["licence"] == "CC-BY-SA-4.0"
    for missing in (f"places/items/{city['hidden'].id}", "places/items/abc",
                    "tours/items/draft-tour", "tours/items/nope"):
        assert client.get(f"/ogc/collections/{missing}").status_code == 404


# --- GDAL ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ogc_server(clone_db):
    app = make_test_app(clone_db("ogc"))
    with app.app_context():
        from app.extensions import db

        data = open_city(db.session, grid=12)
        expected = {
            "places": {p.id: p.title for p in [data["kaserne"], data["sulzer"], data["stadthaus"],
                                               *data["grid"]]},
        }
        db.session.commit()
    with LiveServer(app) as server:
        yield server.url, expected
    with app.app_context():
        from app.extensions import db

        db.engine.dispose()


def gdal_features(url: str, layer: str) -> list[dict]:
    out = subprocess.run(
        ["ogr2ogr", "-preserve_fid", "-f", "GeoJSON", "/vsistdout/", f"OAPIF:{url}/ogc",
         layer],
        capture_output=True, text=True, timeout=120, check=True,
    )
    return json.loads(out.stdout)["features"]


@pytest.mark.skipif(shutil.which("ogr2ogr") is None, reason="gdal-bin is in system_deps")
def test_gdal_reads_the_same_features_as_the_database(ogc_server):
    url, expected = ogc_server
    info = subprocess.run(["ogrinfo", "-ro", "-so", f"OAPIF:{url}/ogc"], capture_output=True,
                          text=True, timeout=60, check=True).stdout
    assert "places" in info and "tours" in info
    # 3 + 144 places: more than one page of GDAL's requests, so next links are followed.
    features = gdal_features(url, "places")
    got = {f["id"]: f["properties"]["title"] for f in features}
    assert got == expected["places"]
    kaserne = next(f for f in features if f["properties"]["title"] == "Alte Kaserne")
    assert kaserne["geometry"]["coordinates"] == pytest.approx([8.729, 47.5])
    assert kaserne["properties"]["licence"] == "CC-BY-SA-4.0"
    tours = gdal_features(url, "tours")
    assert [t["properties"]["title"] for t in tours] == ["Durch die Altstadt"]
    assert tours[0]["geometry"]["type"] == "LineString"
