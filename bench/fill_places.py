"""Fill a SEPARATE benchmark database with N synthetic approved places, in SQL, in minutes.

    .venv/bin/python bench/fill_places.py [--places 1000000] [--stories 2000000]
                                          [--db stadtspur_bench]

The database is created (or recreated) on the same server as the development database (or
DATABASE_URL) and migrated to head; the development database itself is never touched. Half
of the places lie dense around Winterthur (two-dimensional normal, sigma about 4 km), the
rest uniformly over Switzerland; a third have a theme, one in twenty a recording. The table
is then ordered spatially (CLUSTER on the GiST index), vacuumed and analysed, and the
database gets ``jit = off`` and no parallel workers, as production should (small spatial
queries run twice as long with them).

With ``--stories N`` (N at least the number of places) every place gets its lead story (the
one that came with it) and the rest are further stories: a tail of one place in a hundred
holds 20 to 60 each (the old station everyone remembers), the others are spread at random.
One further story in ten is not public (pending, withdrawn or hidden), so every reader has to
filter. Stories are not clustered by place: they arrive over years, scattered on disk.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import psycopg2
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CENTRE = (8.7241, 47.4997)
SWITZERLAND = (5.96, 45.82, 10.49, 47.81)
THEMES = ["old-town", "industry", "gardens", "photography", "water"]


def server_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        recorded = ROOT / "instance" / "database_url"
        if not recorded.exists():
            sys.exit("No database server: run `make db` once or set DATABASE_URL.")
        url = recorded.read_text().strip()
    return url


def bench_url(db: str) -> str:
    base = make_url(server_url())
    if base.database == db:
        sys.exit(f"Refusing: {db} is the development database.")
    return base.set(database=db).render_as_string(hide_password=False)


def connect(url: str, dbname: str | None = None):
    u = make_url(url)
    q = dict(u.query)
    conn = psycopg2.connect(dbname=dbname or u.database, user=u.username, password=u.password,
                            host=q.get("host", u.host), port=q.get("port", u.port))
    conn.autocommit = True
    return conn


def step(label: str, cur, sql: str, params=None) -> None:
    started = time.perf_counter()
    cur.execute(sql, params)
    print(f"  {label:<44} {time.perf_counter() - started:7.1f} s", flush=True)


FILL = """
INSERT INTO places (slug, title, summary, body, geom, status, published_at, created_at,
                    updated_at, licence, credit_name, language, era_year, era_precision)
SELECT 'bench-' || i,
       'Place ' || i,
       'A synthetic story ' || i,
       'Synthetic body text of place ' || i || '.',
       CASE WHEN g.dense
            -- Each random() is drawn on its own: one shared draw would put every point of
            -- a row on a line.
            THEN ST_SetSRID(ST_MakePoint(
                     %(cx)s + 0.055 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()),
                     %(cy)s + 0.036 * sqrt(-2 * ln(1 - random())) * sin(2 * pi() * random())),
                 4326)
            ELSE ST_SetSRID(ST_MakePoint(%(x0)s + random() * (%(x1)s - %(x0)s),
                                         %(y0)s + random() * (%(y1)s - %(y0)s)), 4326)
       END,
       'approved',
       now() - random() * interval '900 days',
       now() - interval '1000 days',
       now() - random() * interval '900 days',
       'CC-BY-SA-4.0',
       'Bench Contributor',
       'de',
       CASE WHEN i %% 4 = 0 THEN 1850 + (random() * 170)::int END,
       CASE WHEN i %% 4 = 0 THEN 'year' END
FROM generate_series(1, %(n)s) AS i
CROSS JOIN LATERAL (SELECT random() < 0.5 AS dense, i AS j) g
"""


# Every place's lead story mirrors the place (as app.services.stories.mirror_lead keeps it).
LEAD_STORIES = """
INSERT INTO stories (place_id, title, body, kind, language, era_start, era_end, era_precision,
                     licence, credit_name, status, is_lead, created_at, updated_at,
                     published_at)
SELECT id, title, body, 'history', language, era_year, era_year, era_precision, licence,
       credit_name, 'approved', true, created_at, updated_at, published_at
FROM places
"""

# The tail: places with id divisible by 100 get 20 to 60 further stories each.
TAIL_STORIES = """
INSERT INTO stories (place_id, title, body, kind, language, era_start, era_end, era_precision,
                     licence, credit_name, status, hidden_at, withdrawn_at, created_at,
                     updated_at, published_at)
SELECT p.id, 'Memory ' || p.id || '-' || k, 'Synthetic memory ' || k || ' of place ' || p.id
       || '.', (ARRAY['memory', 'history', 'tip'])[1 + k % 3], 'de',
       1900 + (k * 7) % 120, 1900 + (k * 7) % 120 + 9, 'decade', 'CC-BY-SA-4.0',
       'Narrator ' || k, st.status, st.hidden_at, st.withdrawn_at,
       now() - random() * interval '900 days', now() - random() * interval '900 days',
       CASE WHEN st.status = 'approved' THEN now() - random() * interval '900 days' END
FROM places p
CROSS JOIN LATERAL generate_series(1, 20 + (p.id / 100) % 41) AS k
CROSS JOIN LATERAL (SELECT CASE k % 10 WHEN 3 THEN 'pending' WHEN 6 THEN 'withdrawn'
                                ELSE 'approved' END AS status,
                           CASE WHEN k % 20 = 9 THEN now() END AS hidden_at,
                           CASE WHEN k % 10 = 6 THEN now() END AS withdrawn_at) st
WHERE p.id % 100 = 0
"""

# The rest at random places (drawn per row), one in ten of them not public.
SPREAD_STORIES = """
INSERT INTO stories (place_id, title, body, kind, language, era_start, era_end, era_precision,
                     licence, credit_name, status, withdrawn_at, created_at, updated_at,
                     published_at)
SELECT r.place_id, 'Story ' || i, 'Synthetic story ' || i || '.',
       (ARRAY['memory', 'history', 'tip'])[1 + i %% 3], 'de', 1950 + i %% 70, 1950 + i %% 70,
       'year', 'CC-BY-4.0', 'Narrator ' || i %% 1000,
       CASE WHEN i %% 10 = 0 THEN 'withdrawn' ELSE 'approved' END,
       CASE WHEN i %% 10 = 0 THEN now() END,
       now() - random() * interval '900 days', now() - random() * interval '900 days',
       CASE WHEN i %% 10 <> 0 THEN now() - random() * interval '900 days' END
FROM generate_series(1, %(n)s) AS i
CROSS JOIN LATERAL (SELECT i AS j, (SELECT min(id) FROM places)
                               + floor(random() * %(places)s)::bigint AS place_id) r
"""


def fill_stories(cur, places: int, stories: int) -> None:
    """``stories`` stories for the ``places`` places: leads, the tail, the spread rest."""
    step("stories: one lead story per place", cur, LEAD_STORIES)
    step("stories: the tail (20-60 at 1 place in 100)", cur, TAIL_STORIES)
    cur.execute("SELECT count(*) FROM stories")
    rest = max(0, stories - cur.fetchone()[0])
    step(f"stories: {rest:,} spread at random", cur, SPREAD_STORIES,
         {"n": rest, "places": places})


def fill(db: str, n: int, stories: int = 0) -> str:
    url = bench_url(db)
    admin = connect(server_url(), "postgres")
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{db}"')
        cur.execute(f'ALTER DATABASE "{db}" SET jit = off')
        cur.execute(f'ALTER DATABASE "{db}" SET max_parallel_workers_per_gather = 0')
    admin.close()
    print(f"database {db}: migrating", flush=True)
    conn = connect(url)
    with conn.cursor() as cur:
        for ext in ("postgis", "pg_trgm", "unaccent"):
            cur.execute(f"CREATE EXTENSION IF NOT EXISTS {ext}")
    from flask_migrate import upgrade

    from app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        from app.extensions import db as sa_db

        sa_db.engine.dispose()

    print(f"filling {n:,} places", flush=True)
    total = time.perf_counter()
    with conn.cursor() as cur:
        # Indexes are built once after the load: far faster than maintaining them per row.
        indexes = []
        cur.execute("SELECT indexname, indexdef FROM pg_indexes "
                    "WHERE tablename IN ('places', 'stories') AND indexname NOT LIKE 'pk_%%'")
        indexes = cur.fetchall()
        for name, _definition in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        x0, y0, x1, y1 = SWITZERLAND
        step("insert places (generate_series)", cur, FILL,
             {"n": n, "cx": CENTRE[0], "cy": CENTRE[1], "x0": x0, "y0": y0, "x1": x1, "y1": y1})
        step("themes", cur, "INSERT INTO themes (slug, name_de, name_en) SELECT s, s, s "
             "FROM unnest(%(s)s::text[]) s", {"s": THEMES})
        step("place_themes (a third of the places)", cur, """
            INSERT INTO place_themes (place_id, theme_id)
            SELECT p.id, t.id FROM places p
            JOIN themes t ON t.slug = (%(s)s::text[])[1 + p.id %% 5]
            WHERE p.id %% 3 = 0""", {"s": THEMES})
        step("recordings (one in twenty)", cur, """
            INSERT INTO media (place_id, kind, storage_key, mime, size_bytes, sha256, status,
                               variants, duration_s, licence)
            SELECT id, 'audio', 'bench/' || id || '.m4a', 'audio/mp4', 1000, repeat('0', 64),
                   'approved', jsonb_build_object('public', 'bench/' || id || '.m4a'), 30,
                   'CC-BY-SA-4.0'
            FROM places WHERE id % 20 = 0""")
        if stories:
            fill_stories(cur, n, max(stories, n))
        for name, definition in indexes:
            step(f"index {name}", cur, definition)
        # Rows in random physical order cost thousands of page reads per box: order them
        # along the GiST index so that neighbours share pages.
        step("CLUSTER places USING idx_places_geom", cur,
             "CLUSTER places USING idx_places_geom")
        # VACUUM, not only ANALYZE: it sets every row's hint bits and the visibility map now,
        # or the first readers of the fresh table would (and be measured doing it).
        step("VACUUM (ANALYZE)", cur, "VACUUM (ANALYZE)")
        cur.execute("SELECT count(*), pg_size_pretty(pg_total_relation_size('places')), "
                    "(SELECT count(*) FROM stories) FROM places")
        count, size, story_count = cur.fetchone()
    conn.close()
    print(f"done: {count:,} places, {size}, {story_count:,} stories, "
          f"{time.perf_counter() - total:.0f} s in total")
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--places", type=int, default=1_000_000)
    parser.add_argument("--stories", type=int, default=0,
                        help="stories in all, leads included (0: places without stories)")
    parser.add_argument("--db", default="stadtspur_bench")
    args = parser.parse_args()
    fill(args.db, args.places, args.stories)


if __name__ == "__main__":
    main()
