"""Vector tiles of approved places (ST_AsMVT), decoded with mapbox-vector-tile."""

from __future__ import annotations

import math

import mapbox_vector_tile
import pytest

from tests.integration.test_api_places import open_city


def tile_position(lon: float, lat: float, z: int) -> tuple[float, float]:
    """Web Mercator tile coordinates (fractional) of a point at zoom z."""
    n = 2**z
    x = (lon + 180) / 360 * n
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return x, y


def decode(data: bytes) -> dict:
    return mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})


@pytest.fixture
def city(db_session):
    return open_city(db_session)


def test_z14_tile_has_the_public_places_at_their_positions(client, city):
    z = 14
    fx, fy = tile_position(8.7290, 47.5000, z)
    x, y = int(fx), int(fy)
    resp = client.get(f"/tiles/places/{z}/{x}/{y}.mvt")
    assert resp.status_code == 200
    assert resp.mimetype == "application/vnd.mapbox-vector-tile"
    assert "public" in resp.headers["Cache-Control"] and resp.headers["ETag"]
    layer = decode(resp.data)["places"]
    assert layer["extent"] == 4096
    by_id = {f["id"]: f for f in layer["features"]}
    public = {city[k].id: city[k] for k in ("kaserne", "sulzer", "stadthaus")}
    for key in ("pending", "hidden", "merged"):
        assert city[key].id not in by_id
    coords = {"kaserne": (8.7290, 47.5000), "sulzer": (8.7180, 47.4990),
              "stadthaus": (8.7250, 47.5010)}
    inside = 0
    for key, (lon, lat) in coords.items():
        px, py = tile_position(lon, lat, z)
        if not (x <= px < x + 1 and y <= py < y + 1):
            continue
        inside += 1
        feature = by_id[city[key].id]
        got = feature["geometry"]["coordinates"]
        assert feature["geometry"]["type"] == "Point"
        assert got[0] == pytest.approx((px - x) * 4096, abs=1)
        assert got[1] == pytest.approx((py - y) * 4096, abs=1)
    assert inside >= 2
    kaserne = by_id[city["kaserne"].id]["properties"]
    # open_city's places have no story rows (test_stories_everywhere counts real ones).
    assert kaserne == {"title": "Alte Kaserne", "theme": "old-town", "has_audio": True,
                       "story_count": 0}
    assert set(by_id) <= set(public)


def test_low_zoom_tile_thins_but_keeps_places(client, db_session):
    open_city(db_session, grid=8)
    fx, fy = tile_position(8.7241, 47.4997, 8)
    resp = client.get(f"/tiles/places/8/{int(fx)}/{int(fy)}.mvt")
    assert resp.status_code == 200
    features = decode(resp.data)["places"]["features"]
    # 67 public places ~100 m apart fall into a few cells of a z8 tile: thinned, not dropped.
    assert 1 <= len(features) < 67


def test_empty_tile_is_204_with_cache_headers(client, city):
    resp = client.get("/tiles/places/14/0/0.mvt")
    assert resp.status_code == 204 and resp.data == b""
    assert "max-age" in resp.headers["Cache-Control"]


@pytest.mark.parametrize("path", ["/tiles/places/3/8/0.mvt", "/tiles/places/23/0/0.mvt",
                                  "/tiles/places/2/0/4.mvt"])
def test_tiles_outside_the_grid_are_404(client, city, path):
    resp = client.get(path)
    assert resp.status_code == 404
    assert resp.get_json()["error"]["code"] == "not_found"


def test_tilejson(client, city):
    resp = client.get("/tiles/places.json")
    assert resp.status_code == 200
    doc = resp.get_json()
    assert doc["tilejson"] == "3.0.0"
    assert doc["tiles"][0].endswith("/tiles/places/{z}/{x}/{y}.mvt")
    assert doc["vector_layers"][0]["id"] == "places"
    assert set(doc["vector_layers"][0]["fields"]) == {"id", "title", "theme", "has_audio",
                                                      "story_count"}
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
