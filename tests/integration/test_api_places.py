"""GET /api/v1/places and /api/v1/places/<id>: GeoJSON of approved places only, filters,
distance order, cursor paging, caching and CORS.

``open_city()`` builds a small city with every kind of place the public must or must not see;
the OGC, tile, feed, embed and export tests use it too.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from geoalchemy2.shape import from_shape
from shapely.geometry import LineString, Point

CENTRE = (8.7241, 47.4997)


def _point(lon, lat):
    return from_shape(Point(lon, lat), srid=4326)


def open_city(db_session, grid: int = 0) -> dict:
    """Themes, places (approved, pending, hidden, merged), media and tours. With ``grid``,
    also grid x grid approved places around the centre, ~100 m apart."""
    from app.models import Media, Place, Theme, Tour, TourStop, User

    author = User(email="writer@example.org", display_name="Wanda Writer", role="resident")
    curator = User(email="kurt@example.org", display_name="Kurt Kurator", role="curator")
    db_session.add_all([author, curator])
    old_town = Theme(slug="old-town", name_de="Altstadt", name_en="Old town",
                     description_de="Gassen", description_en="Lanes")
    industry = Theme(slug="industry", name_de="Industrie", name_en="Industry")
    db_session.add_all([old_town, industry])
    now = datetime.now(UTC)

    def place(title, lon, lat, **kw):
        p = Place(
            slug=title.lower().replace(" ", "-"), title=title, summary=kw.pop("summary", ""),
            body=kw.pop("body", f"The story of {title}."), geom=_point(lon, lat),
            status=kw.pop("status", "approved"), author=author,
            credit_name=kw.pop("credit_name", "Wanda Writer"),
            published_at=kw.pop("published_at", now), **kw,
        )
        db_session.add(p)
        return p

    kaserne = place("Alte Kaserne", 8.7290, 47.5000, themes=[old_town], era_year=1960,
                    era_precision="decade", summary="Barracks, then culture.")
    sulzer = place("Sulzer Areal", 8.7180, 47.4990, themes=[industry], era_year=1911,
                   era_precision="year", published_at=now - timedelta(days=3))
    stadthaus = place("Stadthaus", 8.7250, 47.5010, themes=[old_town, industry],
                      published_at=now - timedelta(days=1))
    pending = place("Pending secret", 8.7245, 47.5002, status="pending", published_at=None)
    hidden = place("Hidden place", 8.7243, 47.4999, hidden_at=now, hidden_reason="flags")
    db_session.flush()
    merged = place("Merged duplicate", 8.7291, 47.5001, merged_into_id=kaserne.id)
    grid_places = []
    for i in range(grid):
        for j in range(grid):
            grid_places.append(place(f"Grid {i}-{j}", 8.70 + i * 0.0013, 47.49 + j * 0.0009))
    db_session.flush()

    def medium(p, kind, status, key):
        m = Media(place_id=p.id, kind=kind, storage_key=f"private/{key}", mime="audio/mp4",
                  size_bytes=10, sha256="0" * 64, status=status,
                  variants={"public": f"ab/{key}.m4a"}, duration_s=12.0)
        db_session.add(m)
        return m

    medium(kaserne, "audio", "approved", "kaserne")
    medium(sulzer, "audio", "pending", "sulzer")
    medium(hidden, "audio", "approved", "hidden")

    tour = Tour(slug="altstadt", title="Durch die Altstadt", intro="A *short* walk.",
                theme=old_town, author=curator, status="published", published_at=now,
                length_m=420.0, duration_normal_min=20, duration_relaxed_min=30,
                route=from_shape(LineString([(8.7290, 47.5000), (8.7243, 47.4999),
                                             (8.7250, 47.5010)]), srid=4326))
    for n, p in enumerate([kaserne, hidden, stadthaus], start=1):
        tour.stops.append(TourStop(place=p, position=n))
    draft = Tour(slug="draft-tour", title="Not yet", author=curator, status="draft",
                 route=from_shape(LineString([(8.72, 47.5), (8.73, 47.5)]), srid=4326))
    db_session.add_all([tour, draft])
    db_session.flush()
    return {
        "kaserne": kaserne, "sulzer": sulzer, "stadthaus": stadthaus, "pending": pending,
        "hidden": hidden, "merged": merged, "grid": grid_places, "tour": tour, "draft": draft,
        "themes": {"old-town": old_town, "industry": industry},
    }


@pytest.fixture
def city(db_session):
    return open_city(db_session)


PRIVATE_TITLES = {"Pending secret", "Hidden place", "Merged duplicate"}


def titles(fc: dict) -> list[str]:
    return [f["properties"]["title"] for f in fc["features"]]


def haversine(a, b) -> float:
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(
        (lon2 - lon1) / 2) ** 2
    return 2 * 6371008.8 * math.asin(math.sqrt(h))


def test_list_is_geojson_of_approved_places_only(client, city):
    resp = client.get("/api/v1/places")
    assert resp.status_code == 200
    assert resp.mimetype == "application/geo+json"
    fc = resp.get_json()
    assert fc["type"] == "FeatureCollection"
    assert set(titles(fc)) == {"Alte Kaserne", "Sulzer Areal", "Stadthaus"}
    assert fc["numberReturned"] == 3 and fc["next_cursor"] is None
    kaserne = next(f for f in fc["features"] if f["id"] == city["kaserne"].id)
    assert kaserne["geometry"] == {"type": "Point", "coordinates": [8.729, 47.5]}
    props = kaserne["properties"]
    assert props["licence"] == "CC-BY-SA-4.0" and props["data_licence"] == "CC0-1.0"
    assert props["attribution"] == "Wanda Writer"
    assert props["themes"] == ["old-town"]
    assert props["era"] == {"year": 1960, "precision": "decade"}
    assert props["has_audio"] is True
    assert props["url"].endswith(f"/places/{city['kaserne'].id}")
    # A pending recording does not count.
    sulzer = next(f for f in fc["features"] if f["id"] == city["sulzer"].id)
    assert sulzer["properties"]["has_audio"] is False


def test_one_place_with_story_and_public_media(client, city):
    resp = client.get(f"/api/v1/places/{city['kaserne'].id}")
    assert resp.status_code == 200
    feature = resp.get_json()
    assert feature["type"] == "Feature" and feature["id"] == city["kaserne"].id
    assert feature["properties"]["body"] == "The story of Alte Kaserne."
    [audio] = feature["properties"]["media"]
    assert audio["kind"] == "audio" and audio["url"].endswith("/media/ab/kaserne.m4a")
    assert audio["url"].startswith("http")


@pytest.mark.parametrize("key", ["pending", "hidden", "merged"])
def test_invisible_places_never_leak(client, city, key):
    place_id = city[key].id
    resp = client.get(f"/api/v1/places/{place_id}")
    if key == "merged":
        # A merged duplicate leads to the place it lives on in, never to its own content.
        assert resp.status_code == 308
        assert resp.headers["Location"].endswith(f"/api/v1/places/{city['kaserne'].id}")
    else:
        assert resp.status_code == 404
        assert resp.get_json()["error"]["code"] == "not_found"
    fc = client.get("/api/v1/places?bbox=8.72,47.49,8.73,47.51&limit=1000").get_json()
    assert place_id not in [f["id"] for f in fc["features"]]
    fc = client.get(f"/api/v1/places?near={CENTRE[0]},{CENTRE[1]}").get_json()
    assert PRIVATE_TITLES.isdisjoint(titles(fc))
    fc = client.get("/api/v1/places?q=e").get_json()
    assert PRIVATE_TITLES.isdisjoint(titles(fc))


def test_bbox_filters(client, city):
    fc = client.get("/api/v1/places?bbox=8.72,47.495,8.735,47.505").get_json()
    assert set(titles(fc)) == {"Alte Kaserne", "Stadthaus"}


def test_near_sorts_by_true_distance_with_radius(client, db_session):
    open_city(db_session, grid=6)
    point = (8.7035, 47.4925)
    fc = client.get(f"/api/v1/places?near={point[0]},{point[1]}&limit=10").get_json()
    got = [(f["properties"]["distance_m"], tuple(f["geometry"]["coordinates"]))
           for f in fc["features"]]
    assert len(got) == 10
    distances = [d for d, _ in got]
    assert distances == sorted(distances)
    for d, coords in got:
        assert d == pytest.approx(haversine(point, coords), rel=0.004)
    # The ten really nearest of all public places (the grid is 36 places).
    all_fc = client.get("/api/v1/places?limit=1000").get_json()
    truth = sorted(haversine(point, f["geometry"]["coordinates"]) for f in all_fc["features"])
    assert distances == pytest.approx(truth[:10], rel=0.004)
    within = client.get(f"/api/v1/places?near={point[0]},{point[1]}&radius=150").get_json()
    assert within["features"]
    assert all(f["properties"]["distance_m"] <= 150 for f in within["features"])
    assert len(within["features"]) == sum(1 for d in truth if d <= 150)


@pytest.mark.parametrize("extra", ["", "&near=8.7035,47.4925", "&bbox=8.70,47.49,8.71,47.496"])
def test_cursor_pages_cover_everything_once_in_a_stable_order(client, db_session, extra):
    open_city(db_session, grid=5)
    everything = client.get("/api/v1/places?limit=1000" + extra).get_json()
    expected = [f["id"] for f in everything["features"]]
    seen, url, pages = [], "/api/v1/places?limit=7" + extra, 0
    while url:
        resp = client.get(url)
        assert resp.status_code == 200, resp.data
        fc = resp.get_json()
        seen += [f["id"] for f in fc["features"]]
        pages += 1
        nxt = [link["href"] for link in fc["links"] if link["rel"] == "next"]
        if fc["next_cursor"]:
            assert nxt and fc["next_cursor"] in nxt[0]
            url = nxt[0].replace("http://localhost", "")
        else:
            assert not nxt
            url = None
    assert seen == expected
    assert pages == math.ceil(len(expected) / 7)
    if not extra:
        assert expected == sorted(expected)


def test_theme_q_era_and_audio_filters(client, city):
    def names(query):
        resp = client.get("/api/v1/places?" + query)
        assert resp.status_code == 200, resp.data
        return set(titles(resp.get_json()))

    assert names("theme=industry") == {"Sulzer Areal", "Stadthaus"}
    assert names("theme=old-town,industry") == {"Alte Kaserne", "Sulzer Areal", "Stadthaus"}
    assert names("q=kaserne") == {"Alte Kaserne"}
    assert names("q=ALTE") == {"Alte Kaserne"}
    assert names("q=50%25") == set()
    assert names("era=1965") == {"Alte Kaserne"}  # inside the 1960s
    assert names("era=1900/1920") == {"Sulzer Areal"}
    assert names("era=1910s") == {"Sulzer Areal"}
    assert names("era=1965s") == {"Alte Kaserne"}  # the decade 1965 falls in (geo/era.py)
    assert names("has_audio=true") == {"Alte Kaserne"}
    assert names("has_audio=false") == {"Sulzer Areal", "Stadthaus"}


@pytest.mark.parametrize(
    "query, field",
    [
        ("bbox=1,2,3", "bbox"),
        ("bbox=8,47,7,48", "bbox"),
        ("bbox=a,b,c,d", "bbox"),
        ("near=8.7", "near"),
        ("near=200,47", "near"),
        ("radius=100", "radius"),
        ("theme=nope", "theme"),
        ("era=soon", "era"),
        ("era=1950/1900", "era"),
        ("cursor=bm90LWEtY3Vyc29y", "cursor"),
        ("near=8.7,47.5&cursor=WyJpZCIsNDJd", "cursor"),
    ],
)
def test_bad_parameters_are_clear_422(client, city, query, field):
    resp = client.get("/api/v1/places?" + query)
    assert resp.status_code == 422, resp.data
    assert resp.mimetype == "application/problem+json"
    assert resp.get_json()["error"]["field"] == field


@pytest.mark.parametrize("query", ["limit=0", "limit=5000", "limit=x", "radius=-1&near=8,47"])
def test_out_of_range_numbers_are_422(client, city, query):
    assert client.get("/api/v1/places?" + query).status_code == 422


def test_etag_304_and_cache_control(client, city):
    first = client.get("/api/v1/places")
    etag = first.headers["ETag"]
    assert "public" in first.headers["Cache-Control"]
    again = client.get("/api/v1/places", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    one = client.get(f"/api/v1/places/{city['kaserne'].id}")
    assert client.get(f"/api/v1/places/{city['kaserne'].id}",
                      headers={"If-None-Match": one.headers["ETag"]}).status_code == 304
    # A change gives a new ETag.
    city["kaserne"].title = "Alte Kaserne (Kulturzentrum)"
    from app.extensions import db

    db.session.flush()
    changed = client.get("/api/v1/places", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_cors_open_for_reads_closed_for_writes(client, city):
    read = client.get("/api/v1/places", headers={"Origin": "https://other.example"})
    assert read.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in read.headers["Access-Control-Expose-Headers"]
    preflight = client.options(
        "/api/v1/places",
        headers={"Origin": "https://other.example", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" not in preflight.headers["Access-Control-Allow-Methods"]
    write_preflight = client.options(
        "/api/v1/places",
        headers={"Origin": "https://other.example", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization"},
    )
    assert "Access-Control-Allow-Origin" not in write_preflight.headers
    assert "Access-Control-Allow-Methods" not in write_preflight.headers
    write = client.post("/api/v1/places", headers={"Origin": "https://other.example"})
    assert "Access-Control-Allow-Origin" not in write.headers


def test_themes_with_counts_of_public_places(client, city):
    resp = client.get("/api/v1/themes")
    assert resp.status_code == 200 and "ETag" in resp.headers
    themes = {t["slug"]: t for t in resp.get_json()}
    assert themes["old-town"]["places"] == 2  # Kaserne, Stadthaus (hidden/merged not counted)
    assert themes["industry"]["places"] == 2
    assert themes["old-town"]["name"] == {"de": "Altstadt", "en": "Old town"}
    assert themes["industry"]["feed"].endswith("/feeds/themes/industry.atom")
