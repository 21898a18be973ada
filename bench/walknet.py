"""How fast the walking network routes: a 12-stop tour and a 20-stop cost matrix, on the
Helsinki extract the tests use and on a synthetic grid of about 200,000 edges built here (a
city of some 12 × 12 km; the tour's stops lie within about 2 × 2 km of it, as a walking tour's
do), and how much the leg cache saves.

Prints seconds and ratios measured in the same run (routing against the targets of the issue:
a 12-stop tour well under a second, a 20-stop matrix under two seconds; cached legs against
routed ones; a tour with one stop moved against the whole tour). Runs on a throwaway database
of its own in the development cluster (`make db` first), never on the app's:

    .venv/bin/python -m bench.walknet [--extract FILE.osm.pbf] [--grid 317]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from pathlib import Path

import psycopg2
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
BENCH_DB = "stadtspur_bench_walknet"
ROUNDS = 5
# the Helsinki extract's centre, for stops that lie on the network
HELSINKI_BOX = (24.937, 60.165, 24.952, 60.178)


def _database() -> str:
    from app.devtools.devdb import ensure

    url = ensure()
    u = make_url(url)
    query = dict(u.query)
    conn = psycopg2.connect(dbname="postgres", user=u.username, password=u.password,
                            host=query.get("host", u.host), port=query.get("port", u.port))
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{BENCH_DB}"')
    conn.close()
    bench_url = u.set(database=BENCH_DB).render_as_string(hide_password=False)
    conn = psycopg2.connect(dbname=BENCH_DB, user=u.username, password=u.password,
                            host=query.get("host", u.host), port=query.get("port", u.port))
    conn.autocommit = True
    with conn.cursor() as cur:
        for ext in ("postgis", "pg_trgm", "unaccent"):
            cur.execute(f"CREATE EXTENSION IF NOT EXISTS {ext}")
    conn.close()
    return bench_url


def _grid(n: int):
    """An n × n grid of footways about 40 m apart (2·n·(n−1) edges), some of them steps."""
    from geo.measure import GEOD
    from geo.osmnet import Edge, Network

    rng = random.Random(n)
    network = Network()

    def node(i: int, j: int) -> int:
        return i * n + j + 1

    def pos(i: int, j: int) -> tuple[float, float]:
        return (8.60 + j * 0.0005, 47.40 + i * 0.00035)

    for i in range(n):
        for j in range(n):
            network.vertices[node(i, j)] = pos(i, j)
            for di, dj in ((0, 1), (1, 0)):
                if i + di >= n or j + dj >= n:
                    continue
                a, b = pos(i, j), pos(i + di, j + dj)
                length = float(GEOD.line_length([a[0], b[0]], [a[1], b[1]]))
                steps = rng.random() < 0.05
                tags = {"highway": "steps" if steps else "footway"}
                network.edges.append(Edge(
                    id=len(network.edges) + 1, source=node(i, j), target=node(i + di, j + dj),
                    osm_way_id=len(network.edges) + 1, coords=[a, b], length_m=length,
                    tags=tags, foot=1.15 if steps else 1.0, foot_reverse=1.15 if steps else 1.0,
                    step_free=None if steps else 1.0, step_free_reverse=None if steps else 1.0))
    network.counts.update(edges=len(network.edges), vertices=len(network.vertices))
    # A tour walks through a part of the city, not across all of it: its stops lie in a
    # window of about 2 × 2 km in the middle of the grid.
    mid_lon, mid_lat = 8.60 + (n - 1) * 0.00025, 47.40 + (n - 1) * 0.000175
    return network, (mid_lon - 0.0165, mid_lat - 0.012, mid_lon + 0.0165, mid_lat + 0.012)


def _swap(staged) -> None:
    from app.extensions import db
    from app.services import walknet

    db.session.commit()
    walknet.swap_in(staged)
    db.session.commit()


def _stops(box, count: int, seed: int) -> list[tuple[float, float]]:
    rng = random.Random(seed)
    # inside the middle of the box, so every stop is on the network
    w, h = box[2] - box[0], box[3] - box[1]
    return [(box[0] + w * rng.uniform(0.2, 0.8), box[1] + h * rng.uniform(0.2, 0.8))
            for _ in range(count)]


def _seconds(func) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def _measure(label: str, box) -> None:
    from app.extensions import db
    from app.services.walknet import active_network, cost_matrix, route_legs

    network = active_network()
    routed, cached, moved, matrix = [], [], [], []
    for seed in range(ROUNDS):
        stops = _stops(box, 12, seed)
        db.session.execute(db.text("DELETE FROM walknet_legs"))
        routed.append(_seconds(lambda s=stops: route_legs(s, "foot", network)))
        cached.append(_seconds(lambda s=stops: route_legs(s, "foot", network)))
        shifted = list(stops)
        shifted[5] = (shifted[5][0] + 0.0004, shifted[5][1])
        moved.append(_seconds(lambda s=shifted: route_legs(s, "foot", network)))
        matrix.append(_seconds(lambda s=_stops(box, 20, 100 + seed): cost_matrix(
            s, "foot", network)))
        db.session.rollback()
    med = statistics.median
    print(f"\n{label}: {network.edges} edges")
    print(f"  12-stop tour, routed        {med(routed):7.3f} s  ({med(routed) / 1.0:5.2f} of 1 s)")
    print(f"  12-stop tour, from cache    {med(cached):7.3f} s  "
          f"(routed / cached = {med(routed) / max(med(cached), 1e-9):6.1f})")
    print(f"  one stop moved (2 legs)     {med(moved):7.3f} s  "
          f"(whole tour / moved = {med(routed) / max(med(moved), 1e-9):6.1f})")
    print(f"  20-stop cost matrix         {med(matrix):7.3f} s  ({med(matrix) / 2.0:5.2f} of 2 s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extract", type=Path, default=ROOT / ".cache" / "walknet" /
                        "Helsinki.osm.pbf", help="an OpenStreetMap extract (default: the "
                        "Helsinki extract the tests fetched)")
    parser.add_argument("--grid", type=int, default=317,
                        help="grid side (317 gives about 200,000 edges)")
    args = parser.parse_args()
    from flask_migrate import upgrade

    from app import create_app
    from app.services import walknet

    app = create_app({"SQLALCHEMY_DATABASE_URI": _database()})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        if args.extract.exists():
            _swap(walknet.load_staging(args.extract))
            _measure(f"extract {args.extract.name}", HELSINKI_BOX)
        else:
            print(f"no extract at {args.extract}: run the walking-network tests once, or pass "
                  "--extract")
        started = time.perf_counter()
        network, box = _grid(args.grid)
        _swap(walknet.load_network(network, f"grid {args.grid}", "synthetic"))
        print(f"\n(grid of {len(network.edges)} edges built and loaded in "
              f"{time.perf_counter() - started:.1f} s)")
        _measure(f"synthetic grid {args.grid} × {args.grid}", box)
        from app.extensions import db

        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main()
