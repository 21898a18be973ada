"""Public reads on their own autocommit engine, straight through the driver's cursor, with
committed data (the other API tests take the same path on the connection of their outer
transaction: tests/conftest.py SessionReadEngine)."""

from __future__ import annotations

import json

import feedparser
import mapbox_vector_tile

from tests.conftest import make_test_app


def _public_places(app) -> list[tuple[int, str]]:
    with app.app_context():
        from app.extensions import db
        from app.models import Place
        from app.services.visibility import public_place

        rows = db.session.execute(
            db.select(Place.id, Place.title).where(public_place()).order_by(Place.id)
        ).all()
        db.session.rollback()
    return [tuple(r) for r in rows]


def test_reads_on_the_driver_path_match_the_database(e2e_app):
    client = e2e_app.test_client()
    public = _public_places(e2e_app)
    assert len(public) >= 5

    listed = client.get("/api/v1/places?limit=1000")
    assert listed.status_code == 200
    features = json.loads(listed.data)["features"]
    assert [(f["id"], f["properties"]["title"]) for f in features] == public

    pid, title = public[0]
    one = json.loads(client.get(f"/api/v1/places/{pid}").data)
    assert one["properties"]["title"] == title
    assert one["geometry"]["type"] == "Point"

    near = json.loads(client.get("/api/v1/places?near=8.7241,47.4997&limit=3").data)
    distances = [f["properties"]["distance_m"] for f in near["features"]]
    assert distances == sorted(distances) and len(distances) == 3

    # Rows read as mappings (feeds) and bytes (tiles) come through the same path.
    feed = feedparser.parse(client.get("/feeds/places.atom").data)
    assert {e.title for e in feed.entries} <= {t for _, t in public}
    assert feed.entries
    lon, lat = one["geometry"]["coordinates"]
    import math

    z = 14
    n = 1 << z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    tile = client.get(f"/tiles/places/{z}/{x}/{y}.mvt")
    assert tile.status_code == 200
    ids = {f["id"] for f in mapbox_vector_tile.decode(tile.data)["places"]["features"]}
    assert pid in ids


def test_a_query_error_on_the_driver_path_is_a_problem_not_a_traceback(e2e_app, monkeypatch):
    from app.services.geodata import features

    monkeypatch.setattr(features, "PUBLIC", "places.no_such_column IS NULL")
    resp = e2e_app.test_client().get("/api/v1/places/1")
    assert resp.status_code == 500
    assert resp.mimetype == "application/problem+json"
    assert b"Traceback" not in resp.data and b"no_such_column" not in resp.data


def test_outage_answers_503_on_the_driver_path(server_url):
    broken = make_test_app("postgresql+psycopg2://nobody@127.0.0.1:1/none")
    resp = broken.test_client().get("/api/v1/places?limit=5")
    assert resp.status_code == 503
    assert resp.headers["Retry-After"] == "30"
    assert resp.mimetype == "application/problem+json"
