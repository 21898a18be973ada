"""Every spatial query shape the open-data endpoints run uses the GiST index on places.geom.

The statements are captured from real requests and explained with their own parameters on a
table of a realistic size for the planner (6,000 places; no planner settings changed)."""

from __future__ import annotations

import math

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from tests.integration.test_api_places import open_city

GIST = "idx_places_geom"


@pytest.fixture
def crowded(db_session):
    data = open_city(db_session)
    author = data["kaserne"].author_id
    # Each random() drawn separately: dense around the centre, the rest over the country.
    db_session.execute(text("""
        INSERT INTO places (slug, title, geom, status, author_id, published_at, licence)
        SELECT 'p-' || i, 'Place ' || i,
               CASE WHEN i % 3 = 0
                    THEN ST_SetSRID(ST_MakePoint(5.96 + random() * 4.5, 45.82 + random() * 2), 4326)
                    ELSE ST_SetSRID(ST_MakePoint(8.70 + random() * 0.06, 47.48 + random() * 0.04),
                                    4326) END,
               'approved', :author, now(), 'CC-BY-SA-4.0'
        FROM generate_series(1, 6000) AS i"""), {"author": author})
    # A theme has many places, as in a real city: the box, not the theme, is selective.
    db_session.execute(text("""
        INSERT INTO place_themes (place_id, theme_id)
        SELECT id, :theme FROM places WHERE slug LIKE 'p-%' AND id % 4 = 0"""),
        {"theme": data["themes"]["old-town"].id})
    db_session.execute(text("ANALYZE places"))
    db_session.execute(text("ANALYZE place_themes"))
    db_session.execute(text("ANALYZE media"))
    return data


def captured_statements(client, url: str) -> list[tuple[str, object]]:
    seen: list[tuple[str, object]] = []

    def grab(conn, cursor, statement, parameters, context, executemany):
        if "places" in statement and "geom" in statement:
            seen.append((statement, parameters))

    event.listen(Engine, "before_cursor_execute", grab)
    try:
        resp = client.get(url)
    finally:
        event.remove(Engine, "before_cursor_execute", grab)
    assert resp.status_code in (200, 204), resp.data[:300]
    assert seen, f"no spatial statement for {url}"
    return seen


def tile_of(lon: float, lat: float, z: int) -> str:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return f"{z}/{x}/{y}"


SHAPES = {
    "bbox-100": "/api/v1/places?bbox=8.720,47.495,8.733,47.504&limit=100",
    "bbox-theme": "/api/v1/places?bbox=8.72,47.49,8.74,47.51&theme=old-town",
    "near-20": "/api/v1/places?near=8.7241,47.4997&limit=20",
    "near-radius-page2": "/api/v1/places?near=8.7241,47.4997&radius=800&limit=5&cursor=",
    "tile-z14": "/tiles/places/" + tile_of(8.7241, 47.4997, 14) + ".mvt",
    # A low-zoom tile away from the dense centre (there a tile holds most of this small table).
    "tile-z11": "/tiles/places/" + tile_of(7.44, 46.95, 11) + ".mvt",
    "ogc-bbox": "/ogc/collections/places/items?bbox=8.720,47.495,8.733,47.504&limit=100",
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_query_shape_uses_the_gist_index(client, db_session, crowded, shape):
    url = SHAPES[shape]
    if url.endswith("cursor="):
        first = client.get(url.removesuffix("&cursor=")).get_json()
        url += first["next_cursor"]
    statements = captured_statements(client, url)
    conn = db_session.connection()
    for statement, parameters in statements:
        plan = "\n".join(
            row[0] for row in conn.exec_driver_sql("EXPLAIN " + statement, parameters)
        )
        assert GIST in plan, f"{shape}: no GiST index in\n{plan}"
        assert "Seq Scan on places" not in plan, f"{shape}: sequential scan in\n{plan}"
