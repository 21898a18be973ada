"""Load test of the open-data endpoints against tipg and the raw SQL ceiling, in interleaved
rounds, refusing figures measured while the rest of the host was busy.

    .venv/bin/python bench/run.py [--places 1000000] [--stories 2000000] [--rounds 5]
                                  [--duration 3] [--seed N] [--allow-noisy] [--refill]
                                  [--workers 2] [--no-tipg] [--queries SHAPE ...]

1. Fills the benchmark database (bench/fill_places.py; never the development database)
   unless it already holds the asked numbers of places and stories (two per place by
   default: every place's first story, a tail of places with 20 to 60, the rest spread);
   then VACUUM (ANALYZE) and a warm-up pass that reads the whole tables and their indexes
   once, so that no side is measured while the first readers of a fresh table still set its
   hint bits.
2. Draws request pools from the data (boxes and points around random places, so density is
   what a user meets): bbox of ~1 km² limit 100, near me limit 20, a z14 tile, one place,
   and one place of the tail with its story summaries (a place with 20 or more public
   stories: ``GET /api/v1/places/<id>`` carries story_count and their summaries; tipg
   answers the same place's row, which knows no stories).
3. Serves the app with gunicorn (2 workers with 4 threads, as in production) and tipg (PyPI,
   a dedicated PostGIS features and tiles server, in its own virtual environment under
   instance/bench) on the same table with the same number of worker processes, side by side
   for the whole run; loads them with wrk (8 connections). The raw side runs the very
   statements the app sends (captured from it) through pgbench with 8 clients: the
   database's ceiling for each query.
4. Per query: a short warm-up block of every side, then rounds of short blocks, each side
   twice per round in the order app, tipg, raw, raw, tipg, app (or shuffled with --seed), so
   whatever the shared host does lands on every side (bench/rounds.py says how the medians,
   spreads and per-round ratios are computed and when a target counts as met).
5. Before each round it prints the machine's load; during each block it accounts the CPU
   that processes other than the bench's used (bench/load.py). A round in which they used
   more than half a core is measured again (--retries); a query with too few quiet rounds is
   not reported, unless --allow-noisy, which reports it marked as noisy.
6. Prints one table per query (requests/s and p99 per side as median and min–max, the
   ratios, the targets, errors at 32 connections), the app's own ceiling (a read that asks
   the database nothing, in rounds too), and last one machine-readable JSON line.

Needs wrk (Debian package ``wrk``) and pgbench (``postgresql-client``); tipg is installed on
first use. Request logging is off for both servers (LOG_LEVEL=WARNING, --no-access-log).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from fill_places import bench_url, connect, fill, step  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.load import NOISY_CORES, Usage, combine, take_snapshot, usage  # noqa: E402
from bench.rounds import Block, Spread, block_order, summarise  # noqa: E402

TIPG_VENV = ROOT / "instance" / "bench" / "tipg-venv"
SHAPES = ("bbox-100", "near-20", "tile-z14", "one-place", "one-place-stories")
# A place of the tail: this many public stories or more.
MANY_STORIES = 20
NO_QUERY = "no-query"
# Read whole once before measuring: the places and what a feature or a tile joins to them.
WARM_TABLES = ("places", "place_themes", "themes", "media", "stories")
WRK_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %.3f %.3f %d %d\\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.timeout, e.status))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"server for {url} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 (loopback)
                if resp.status < 500:
                    return
        except OSError:
            time.sleep(0.3)
    sys.exit(f"{url} did not answer in {timeout} s")


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()


def ensure_tipg() -> Path:
    exe = TIPG_VENV / "bin" / "uvicorn"
    if not exe.exists():
        print("installing tipg into instance/bench/tipg-venv", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(TIPG_VENV)], check=True)
        subprocess.run([str(TIPG_VENV / "bin" / "pip"), "install", "-q", "tipg", "uvicorn"],
                       check=True)
    return exe


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    return (int((lon + 180) / 360 * n),
            int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n))


def request_pools(url: str, size: int, seed: int) -> dict[str, dict[str, list[str]]]:
    """Per shape: app paths and tipg paths drawn around random places."""
    rng = random.Random(seed)
    conn = connect(url)
    with conn.cursor() as cur:
        cur.execute("SELECT setseed(%s)", (rng.random() * 2 - 1,))
        cur.execute("SELECT id, ST_X(geom), ST_Y(geom) FROM places TABLESAMPLE BERNOULLI "
                    "(least(100, 100.0 * %s / greatest(1, "
                    "(SELECT reltuples FROM pg_class WHERE relname = 'places'))))"
                    " LIMIT %s", (size * 8, size * 4))
        rows = cur.fetchall()
        # The places with many public stories, drawn the same way.
        cur.execute("SELECT place_id FROM stories WHERE status = 'approved' "
                    "AND hidden_at IS NULL AND withdrawn_at IS NULL GROUP BY place_id "
                    "HAVING count(*) >= %s ORDER BY random() LIMIT %s", (MANY_STORIES, size))
        many = [r[0] for r in cur.fetchall()]
    conn.close()
    rng.shuffle(rows)
    pools: dict[str, dict[str, list[str]]] = {s: {"app": [], "tipg": []} for s in SHAPES}
    collection = "/collections/public.places"
    for i in range(size):
        pid, lon, lat = rows[i % len(rows)]
        # 1 km² box around a place, centre jittered by up to 300 m.
        cx = lon + rng.uniform(-0.004, 0.004)
        cy = lat + rng.uniform(-0.0027, 0.0027)
        dx = 0.5 / (111.32 * math.cos(math.radians(cy)))
        dy = 0.5 / 110.57
        box = f"{cx - dx:.6f},{cy - dy:.6f},{cx + dx:.6f},{cy + dy:.6f}"
        pools["bbox-100"]["app"].append(f"/api/v1/places?bbox={box}&limit=100")
        pools["bbox-100"]["tipg"].append(f"{collection}/items?bbox={box}&limit=100")
        # tipg cannot sort by distance: its nearest equivalent is a 600 m box, limit 20.
        sx, sy = 0.3 / (111.32 * math.cos(math.radians(cy))), 0.3 / 110.57
        pools["near-20"]["app"].append(f"/api/v1/places?near={cx:.6f},{cy:.6f}&limit=20")
        pools["near-20"]["tipg"].append(
            f"{collection}/items?bbox={cx - sx:.6f},{cy - sy:.6f},{cx + sx:.6f},{cy + sy:.6f}"
            "&limit=20")
        x, y = tile_of(lon, lat, 14)
        pools["tile-z14"]["app"].append(f"/tiles/places/14/{x}/{y}.mvt")
        pools["tile-z14"]["tipg"].append(f"{collection}/tiles/WebMercatorQuad/14/{x}/{y}")
        pools["one-place"]["app"].append(f"/api/v1/places/{pid}")
        pools["one-place"]["tipg"].append(f"{collection}/items/{pid}")
    for i in range(size if many else 0):
        pid = many[i % len(many)]
        pools["one-place-stories"]["app"].append(f"/api/v1/places/{pid}")
        pools["one-place-stories"]["tipg"].append(f"{collection}/items/{pid}")
    return pools


def capture_sql(url: str, paths: list[str], workdir: Path, shape: str) -> list[Path]:
    """The statements the app runs for ``paths``, with their parameters, as pgbench scripts.
    Captured at the driver's cursor, which every read passes (public reads skip SQLAlchemy's
    execution layer and its events)."""
    import psycopg2.extensions

    from app import create_app

    seen: list[str] = []

    class Capturing(psycopg2.extensions.cursor):
        def execute(self, query, vars=None):  # noqa: A002 (psycopg2's name)
            if "places" in query:
                seen.append(self.mogrify(query, vars).decode())
            return super().execute(query, vars)

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "LOG_LEVEL": "WARNING",
                      "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"cursor_factory": Capturing}}})
    from app.extensions import db
    scripts = []
    with app.app_context():
        client = app.test_client()
        for i, path in enumerate(paths):
            seen.clear()
            resp = client.get(path, base_url="http://127.0.0.1")
            if resp.status_code not in (200, 204):
                sys.exit(f"{path}: {resp.status_code} {resp.data[:200]!r}")
            if not seen:
                sys.exit(f"{path}: no statement captured")
            script = workdir / f"{shape}-{i}.sql"
            # pgbench reads one statement per line unless continued; collapse whitespace.
            script.write_text("".join(re.sub(r"\s+", " ", s).strip() + ";\n" for s in seen))
            scripts.append(script)
        db.engine.dispose()
        app.extensions["stadtspur_read_engine"].dispose()
    return scripts


def settle(url: str, timeout: float = 120) -> None:
    """Wait until the database has run none of the last load's queries for a second: a server
    keeps working through requests wrk has given up on (32 connections on dense tiles leave
    seconds of them), and the next measurement must not start on a busy machine."""
    conn = connect(url)
    deadline = time.time() + timeout
    idle = 0
    try:
        with conn.cursor() as cur:
            while time.time() < deadline and idle < 2:
                cur.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                            "current_database() AND state = 'active' AND pid <> pg_backend_pid()")
                idle = idle + 1 if cur.fetchone()[0] == 0 else 0
                time.sleep(0.5)
    finally:
        conn.close()


def prepare(url: str) -> None:
    """VACUUM (ANALYZE) the tables the reads touch, then read each whole once, heap and
    indexes: every row's visibility is settled and every page has been read before the first
    measured block, whichever side it belongs to."""
    conn = connect(url)
    with conn.cursor() as cur:
        for table in WARM_TABLES:
            step(f"VACUUM (ANALYZE) {table}", cur, f"VACUUM (ANALYZE) {table}")
        for table in WARM_TABLES:
            # Every column of every row: a count alone could be an index-only scan.
            step(f"read every row of {table}", cur,
                 f"SELECT sum(length(t::text)) FROM {table} t")
        try:
            cur.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        except Exception as exc:  # noqa: BLE001 (contrib missing: heap reads still done)
            print(f"  no pg_prewarm ({exc.__class__.__name__}): indexes not read ahead")
        else:
            step("read every index of those tables", cur,
                 "SELECT sum(pg_prewarm(indexrelid)) FROM pg_index "
                 "WHERE indrelid = ANY(%s::regclass[])", (list(WARM_TABLES),))
    conn.close()


@dataclass(frozen=True)
class Measurement:
    """One block: the side's rate and p99, the CPU accounting, socket + status errors."""

    block: Block
    usage: Usage
    errors: int = 0


def measured(cmd: list[str], duration: int, database: str,
             env: dict | None = None) -> tuple[str, Usage]:
    """Run a load generator for ``duration`` seconds; account CPU over the middle of its run
    (after its connections are up, before they close) so the window holds load only. Sleeps
    to those two moments: wrk and pgbench run for a fixed time."""
    margin = min(0.3, duration / 10)
    started = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)
    time.sleep(margin)
    before = take_snapshot(time.monotonic)
    time.sleep(max(0.1, started + duration - margin - time.monotonic()))
    after = take_snapshot(time.monotonic)
    out, err = proc.communicate()
    if proc.returncode:
        sys.exit(f"{cmd[0]} failed: {err[-2000:]}")
    return out, usage(before, after, os.getpid(), database)


def wrk_script(paths: list[str], workdir: Path, name: str) -> Path:
    """A wrk script that walks ``paths`` in turn and prints rate, p99 and errors."""
    lua = workdir / f"{name}.lua"
    listed = ",\n".join(f'"{p}"' for p in paths)
    lua.write_text(
        f"local paths = {{\n{listed}\n}}\nlocal i = 0\n"
        "request = function()\n  i = i + 1\n"
        "  return wrk.format('GET', paths[(i % #paths) + 1])\nend\n" + WRK_DONE
    )
    return lua


def run_wrk(side: str, base: str, lua: Path, connections: int, duration: int,
            database: str) -> Measurement:
    out, used = measured(["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", "5s",
                          "-s", str(lua), base], duration, database)
    rps, p99, socket_errors, status_errors = re.search(
        r"RESULT (\S+) (\S+) (\d+) (\d+)", out).groups()
    return Measurement(Block(side, float(rps), float(p99)), used,
                       int(socket_errors) + int(status_errors))


def run_pgbench(url: str, scripts: list[Path], workdir: Path, clients: int, duration: int,
                database: str) -> Measurement:
    u = make_url(url)
    q = dict(u.query)
    logdir = Path(tempfile.mkdtemp(prefix="pgbench-", dir=workdir))
    args = ["pgbench", "-n", f"-c{clients}", "-j2", f"-T{duration}", "-l",
            f"--log-prefix={logdir}/log"]
    for script in scripts[:100]:  # pgbench takes at most 128 scripts
        args += ["-f", str(script)]
    args += ["-h", q.get("host", u.host or "127.0.0.1"), "-p", str(q.get("port", u.port or 5432)),
             "-U", u.username, u.database]
    env = {**os.environ, **({"PGPASSWORD": u.password} if u.password else {})}
    out, used = measured(args, duration, database, env)
    tps = float(re.search(r"tps = ([\d.]+)", out).group(1))
    latencies = []
    for log in logdir.iterdir():
        for line in log.read_text().splitlines():
            latencies.append(int(line.split()[2]) / 1000)
    p99 = statistics.quantiles(latencies, n=100)[98] if len(latencies) > 100 else max(latencies)
    shutil.rmtree(logdir, ignore_errors=True)
    return Measurement(Block("raw", tps, p99), used)


@dataclass(frozen=True)
class Round:
    blocks: list[Block]
    usage: Usage
    load: tuple[float, float, float]
    errors: int


def machine_load(database: str) -> tuple[tuple[float, float, float], Usage]:
    """The load averages, and what other processes used over the last half second."""
    before = take_snapshot(time.monotonic)
    time.sleep(0.5)
    return os.getloadavg(), usage(before, take_snapshot(time.monotonic), os.getpid(), database)


def busiest(u: Usage) -> str:
    return ", ".join(f"{name} {cores:.2f}" for cores, _pid, name in u.top_other) or "none seen"


def run_round(number: int, order: list[str], sides: dict[str, Callable[[int], Measurement]],
              url: str, args) -> Round:
    """One round: the machine's load printed first, then each block after an idle
    database."""
    settle(url)
    load, now = machine_load(args.db)
    print(f"  round {number}: load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, other processes "
          f"{now.other_cores:.2f} cores just before", flush=True)
    measurements = []
    for side in order:
        settle(url)
        measurements.append(sides[side](args.duration))
    used = combine([m.usage for m in measurements])
    print("    " + "  ".join(f"{m.block.side} {m.block.rate:.0f}/s" for m in measurements)
          + f"; other processes {used.other_cores:.2f} cores"
          + (f" NOISY (busiest: {busiest(used)})" if used.noisy else ""), flush=True)
    return Round([m.block for m in measurements], used, load,
                 sum(m.errors for m in measurements))


def measure_query(name: str, sides: dict[str, Callable[[int], Measurement]], url: str,
                  args) -> tuple[list[Round], list[Round]]:
    """Warm-up blocks of every side, then rounds until ``args.rounds`` are kept: a noisy
    round is dropped and measured again (at most ``args.retries`` times per query) unless
    noisy rounds are allowed. Returns the kept and the dropped rounds."""
    print(f"{name}: warm-up", flush=True)
    for run in sides.values():
        settle(url)
        run(args.warmup)
    orders = block_order(list(sides), args.rounds + args.retries, args.seed)
    kept: list[Round] = []
    dropped: list[Round] = []
    for number, order in enumerate(orders, 1):
        if len(kept) == args.rounds:
            break
        r = run_round(number, order, sides, url, args)
        (dropped if r.usage.noisy and not args.allow_noisy else kept).append(r)
    return kept, dropped


def report(name: str, kept: list[Round], dropped: list[Round], args,
           errors32: int | None) -> dict:
    """Print one query's table; return its entry of the JSON line. Nothing but the reason
    is printed for a query without enough quiet rounds."""
    print()
    if len(kept) < args.rounds:
        reasons = "; ".join(f"{r.usage.other_cores:.2f} cores (busiest: {busiest(r.usage)})"
                            for r in dropped)
        print(f"{name}: NOT REPORTED: only {len(kept)} of {args.rounds} rounds were quiet; "
              f"other processes used more than {NOISY_CORES} cores in {len(dropped)} rounds: "
              f"{reasons}. Run it on a quieter machine (--allow-noisy reports it marked as "
              "noisy, for development).")
        return {"status": "refused", "quiet_rounds": len(kept), "noisy_rounds_other_cores": [
            round(r.usage.other_cores, 3) for r in dropped]}
    noisy = any(r.usage.noisy for r in kept)
    out = summarise(name, [r.blocks for r in kept])
    other = [r.usage.other_cores for r in kept]
    print(f"{name}: {len(kept)} rounds of {args.duration} s blocks"
          + (f" ({len(dropped)} noisy rounds dropped and measured again)" if dropped else "")
          + (" — NOISY: other processes used more than half a core in some rounds; "
             "these figures are not a result" if noisy else ""))
    print(f"  {'side':<6} {'r/s median (min–max)':>24} {'p99 ms median (min–max)':>26}")
    for side, fig in out["sides"].items():
        rate, p99 = fig["rate"], fig["p99_ms"]
        print(f"  {side:<6} {f'{rate.median:.0f} ({rate.lo:.0f}–{rate.hi:.0f})':>24} "
              f"{str(p99):>26}")
    for ratio, fig in out["ratios"].items():
        per_round = fig["per_round"]
        print(f"  {ratio:<9} ratio of medians {fig['of_medians']:.2f}; per round "
              f"{per_round.lo:.2f}–{per_round.hi:.2f} (median {per_round.median:.2f})")
    for target, verdict in out["targets"].items():
        print(f"  target {target}: {verdict}" + (" (noisy)" if noisy else ""))
    print(f"  other processes per round {min(other):.2f}–{max(other):.2f} cores; "
          f"1-minute load before rounds {min(r.load[0] for r in kept):.2f}–"
          f"{max(r.load[0] for r in kept):.2f}")
    errors8 = sum(r.errors for r in kept)
    print(f"  errors (socket + status) at {args.connections} connections, all sides: "
          f"{errors8}" + ("" if errors32 is None else f"; app at 32 connections: {errors32}"))
    out.update(status="noisy" if noisy else "reported", errors=errors8, errors_app_32=errors32,
               other_cores=other, dropped_rounds=len(dropped))
    return out


def tipg_server(url: str, workers: int, workdir: Path) -> tuple[subprocess.Popen, str]:
    """tipg on the same places table, with as many worker processes as the app."""
    u = make_url(url)
    q = dict(u.query)
    host = q.get("host", u.host or "127.0.0.1")
    # A socket directory goes percent-encoded into the host part (asyncpg reads it).
    dsn = (f"postgresql://{u.username}{':' + u.password if u.password else ''}@"
           f"{quote(host, safe='')}:{q.get('port', u.port or 5432)}/{u.database}")
    port = free_port()
    env = {**os.environ, "DATABASE_URL": dsn, "TIPG_DB_SCHEMAS": '["public"]',
           "TIPG_DB_TABLES": '["public.places"]', "TIPG_MAX_FEATURES_PER_QUERY": "10000"}
    proc = subprocess.Popen(
        [str(ensure_tipg()), "tipg.main:app", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers), "--no-access-log", "--log-level", "warning"],
        env=env, cwd=workdir,
    )
    base = f"http://127.0.0.1:{port}"
    wait_for(f"{base}/collections", proc)
    return proc, base


def app_server(url: str, workers: int, threads: int) -> tuple[subprocess.Popen, str]:
    """The app as production runs it: gunicorn with its settings file, request log off."""
    env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING", "STADTSPUR_ENV":
           "development", "RATELIMIT_ENABLED": "0"}
    port = free_port()
    proc = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "-w", str(workers), "--threads",
         str(threads), "-b", f"127.0.0.1:{port}", "--log-level", "warning",
         "app:create_app()"],
        cwd=ROOT, env=env,
    )
    base = f"http://127.0.0.1:{port}"
    wait_for(f"{base}/api/v1/", proc)
    return proc, base


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--places", type=int, default=1_000_000)
    parser.add_argument("--stories", type=int, default=None,
                        help="stories in all, first stories included (default: two per place)")
    parser.add_argument("--db", default="stadtspur_bench")
    parser.add_argument("--refill", action="store_true", help="refill even if already filled")
    parser.add_argument("--workers", type=int, default=2)
    # As the production image runs it (Dockerfile): threads keep connections alive and let a
    # worker overlap one request's wait for the database with another's Python.
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--duration", type=int, default=3, help="seconds per block")
    parser.add_argument("--rounds", type=int, default=5, help="quiet rounds per query")
    parser.add_argument("--retries", type=int, default=3,
                        help="noisy rounds measured again per query, at most")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per side")
    parser.add_argument("--seed", type=int, default=None,
                        help="shuffle each round's blocks (default: app tipg raw raw tipg app)")
    parser.add_argument("--allow-noisy", action="store_true",
                        help="report rounds measured while other processes were busy, "
                             "marked as noisy (development only)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--pool", type=int, default=100)
    parser.add_argument("--no-tipg", action="store_true")
    parser.add_argument("--queries", nargs="+", choices=SHAPES, default=list(SHAPES))
    args = parser.parse_args()
    if args.stories is None:
        args.stories = 2 * args.places
    return args


def filled(url: str) -> tuple[int, int]:
    """(places, stories) in the benchmark database; (-1, -1) when there is none yet."""
    try:
        conn = connect(url)
        with conn.cursor() as cur:
            cur.execute("SELECT count(*), (SELECT count(*) FROM stories) FROM places")
            have = cur.fetchone()
        conn.close()
        return have
    except Exception:  # noqa: BLE001 (no database yet)
        return -1, -1


def measure_all(args, url: str, workdir: Path, app_base: str, tipg_base: str | None) -> dict:
    """Every query in rounds, then the app's no-query ceiling in rounds; one entry each."""
    pools = request_pools(url, args.pool, seed=7)
    results = {}
    for shape in args.queries:
        if not pools[shape]["app"]:
            print(f"{shape}: no place has {MANY_STORIES} public stories; not measured")
            continue
        scripts = capture_sql(url, pools[shape]["app"], workdir, shape)
        app_lua = wrk_script(pools[shape]["app"], workdir, f"app-{shape}")
        sides: dict[str, Callable[[int], Measurement]] = {
            "app": lambda d, lua=app_lua: run_wrk("app", app_base, lua, args.connections, d,
                                                  args.db)}
        if tipg_base:
            tipg_lua = wrk_script(pools[shape]["tipg"], workdir, f"tipg-{shape}")
            sides["tipg"] = lambda d, lua=tipg_lua: run_wrk("tipg", tipg_base, lua,
                                                            args.connections, d, args.db)
        sides["raw"] = lambda d, sc=scripts: run_pgbench(url, sc, workdir, args.connections, d,
                                                         args.db)
        kept, dropped = measure_query(shape, sides, url, args)
        errors32 = None
        if len(kept) == args.rounds:
            settle(url)
            errors32 = run_wrk("app", app_base, app_lua, 32, max(3, args.duration),
                               args.db).errors
        results[shape] = report(shape, kept, dropped, args, errors32)
    # The same server answering a read that asks the database nothing: the most requests
    # per second this app can serve here at all, whatever the query costs.
    floor_lua = wrk_script(["/ogc/conformance"], workdir, "app-floor")
    kept, dropped = measure_query(NO_QUERY, {"app": lambda d: run_wrk(
        "app", app_base, floor_lua, args.connections, d, args.db)}, url, args)
    results[NO_QUERY] = report(NO_QUERY + " (GET /ogc/conformance)", kept, dropped, args, None)
    return results


def jsonable(obj):
    """``obj`` with spreads as dicts and floats to three decimals, for the JSON line."""
    if isinstance(obj, Spread):
        return obj.as_dict()
    if isinstance(obj, float):
        return round(obj, 3)
    if isinstance(obj, dict):
        return {k: jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    return obj


def main() -> None:
    args = parse_args()
    for tool in ("wrk", "pgbench"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is missing: sudo apt-get install "
                     f"{'wrk' if tool == 'wrk' else 'postgresql-client'}")
    url = bench_url(args.db)
    if args.refill or filled(url) != (args.places, args.stories):
        fill(args.db, args.places, args.stories)
    print("preparing the tables", flush=True)
    prepare(url)
    workdir = Path(tempfile.mkdtemp(prefix="stadtspur-bench-"))
    procs: list[subprocess.Popen] = []
    try:
        app_proc, app_base = app_server(url, args.workers, args.threads)
        procs.append(app_proc)
        tipg_base = None
        if not args.no_tipg:
            tipg_proc, tipg_base = tipg_server(url, args.workers, workdir)
            procs.append(tipg_proc)
        results = measure_all(args, url, workdir, app_base, tipg_base)
    finally:
        for proc in procs:
            if proc.poll() is None:
                stop(proc)
        shutil.rmtree(workdir, ignore_errors=True)
    print()
    order = ("app tipg raw raw tipg app" if args.seed is None
             else f"shuffled per round, seed {args.seed}")
    print(f"{args.places:,} places, {args.stories:,} stories, {args.workers} worker processes "
          f"each (app: {args.threads} threads each), {args.connections} connections, "
          f"{args.rounds} rounds of {args.duration} s blocks per side, order {order}")
    one = results.get("one-place", {}).get("sides", {}).get("raw")
    floor = results[NO_QUERY].get("sides", {}).get("app")
    if one and floor:
        print(f"app without a query: {floor['rate'].median:.0f} r/s; half the raw one-place "
              f"ceiling: {one['rate'].median / 2:.0f}/s")
    print(json.dumps(jsonable({
        "places": args.places, "stories": args.stories, "workers": args.workers,
        "threads": args.threads,
        "connections": args.connections, "block_s": args.duration, "rounds": args.rounds,
        "seed": args.seed, "noisy_cores": NOISY_CORES, "queries": results}),
        ensure_ascii=False))


if __name__ == "__main__":
    main()
