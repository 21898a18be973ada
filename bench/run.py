"""Load test of the open-data endpoints against tipg and the raw SQL ceiling, same run.

    .venv/bin/python bench/run.py [--places 1000000] [--refill] [--workers 2] [--duration 15]

1. Fills the benchmark database (bench/fill_places.py; never the development database)
   unless it already holds the asked number of places.
2. Draws request pools from the data (boxes and points around random places, so density is
   what a user meets): bbox of ~1 km² limit 100, near me limit 20, a z14 tile, one place.
3. Serves the app with gunicorn (2 workers with 4 threads, as in production) and tipg (PyPI,
   a dedicated PostGIS features and tiles server, in its own virtual environment under
   instance/bench) on the same table with the same number of worker processes, and loads
   each with wrk (8 connections).
4. Runs the very statements the app sends (captured from it) through pgbench with 8 clients:
   the database's ceiling for each query.
5. Prints requests/s and p99 per query for app, tipg and raw SQL, the ratios app/tipg and
   app/raw, and the errors at 32 connections; and the app's own ceiling, a read that asks
   the database nothing.

Needs wrk (Debian package ``wrk``) and pgbench (``postgresql-client``); tipg is installed on
first use. Request logging is off for both servers (LOG_LEVEL=WARNING, --no-access-log).
"""

from __future__ import annotations

import argparse
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
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from fill_places import bench_url, connect, fill  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

TIPG_VENV = ROOT / "instance" / "bench" / "tipg-venv"
SHAPES = ("bbox-100", "near-20", "tile-z14", "one-place")
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


def run_wrk(base: str, paths: list[str], workdir: Path, name: str, connections: int,
            duration: int) -> tuple[float, float, int, int]:
    lua = workdir / f"{name}.lua"
    listed = ",\n".join(f'"{p}"' for p in paths)
    lua.write_text(
        f"local paths = {{\n{listed}\n}}\nlocal i = 0\n"
        "request = function()\n  i = i + 1\n"
        "  return wrk.format('GET', paths[(i % #paths) + 1])\nend\n" + WRK_DONE
    )
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", "5s", "-s", str(lua),
         base],
        capture_output=True, text=True, check=True,
    ).stdout
    rps, p99, socket_errors, status_errors = re.search(
        r"RESULT (\S+) (\S+) (\d+) (\d+)", out).groups()
    return float(rps), float(p99), int(socket_errors), int(status_errors)


def run_pgbench(url: str, scripts: list[Path], workdir: Path, name: str, clients: int,
                duration: int) -> tuple[float, float]:
    u = make_url(url)
    q = dict(u.query)
    logdir = workdir / f"pgbench-{name}"
    logdir.mkdir()
    args = ["pgbench", "-n", f"-c{clients}", "-j2", f"-T{duration}", "-l",
            f"--log-prefix={logdir}/log"]
    for script in scripts[:100]:  # pgbench takes at most 128 scripts
        args += ["-f", str(script)]
    args += ["-h", q.get("host", u.host or "127.0.0.1"), "-p", str(q.get("port", u.port or 5432)),
             "-U", u.username, u.database]
    env = {**os.environ, **({"PGPASSWORD": u.password} if u.password else {})}
    done = subprocess.run(args, capture_output=True, text=True, env=env)
    if done.returncode:
        sys.exit(f"pgbench failed: {done.stderr[-2000:]}")
    out = done.stdout
    tps = float(re.search(r"tps = ([\d.]+)", out).group(1))
    latencies = []
    for log in logdir.iterdir():
        for line in log.read_text().splitlines():
            latencies.append(int(line.split()[2]) / 1000)
    p99 = statistics.quantiles(latencies, n=100)[98] if len(latencies) > 100 else max(latencies)
    return tps, p99


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--places", type=int, default=1_000_000)
    parser.add_argument("--db", default="stadtspur_bench")
    parser.add_argument("--refill", action="store_true", help="refill even if already filled")
    parser.add_argument("--workers", type=int, default=2)
    # As the production image runs it (Dockerfile): threads keep connections alive and let a
    # worker overlap one request's wait for the database with another's Python.
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--pool", type=int, default=100)
    parser.add_argument("--no-tipg", action="store_true")
    args = parser.parse_args()
    for tool in ("wrk", "pgbench"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is missing: sudo apt-get install "
                     f"{'wrk' if tool == 'wrk' else 'postgresql-client'}")

    url = bench_url(args.db)
    try:
        conn = connect(url)
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM places")
            have = cur.fetchone()[0]
        conn.close()
    except Exception:  # noqa: BLE001 (no database yet)
        have = -1
    if args.refill or have != args.places:
        fill(args.db, args.places)

    workdir = Path(tempfile.mkdtemp(prefix="stadtspur-bench-"))
    pools = request_pools(url, args.pool, seed=7)
    scripts = {s: capture_sql(url, pools[s]["app"], workdir, s) for s in SHAPES}

    env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING", "STADTSPUR_ENV":
           "development", "RATELIMIT_ENABLED": "0"}
    app_port = free_port()
    app_proc = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "-w", str(args.workers), "--threads",
         str(args.threads), "-b", f"127.0.0.1:{app_port}", "--log-level", "warning",
         "app:create_app()"],
        cwd=ROOT, env=env,
    )
    tipg_proc = None
    try:
        wait_for(f"http://127.0.0.1:{app_port}/api/v1/", app_proc)
        results: dict[str, dict] = {s: {} for s in SHAPES}
        base = f"http://127.0.0.1:{app_port}"
        for shape in SHAPES:
            print(f"app   {shape}", flush=True)
            settle(url)
            results[shape]["app"] = run_wrk(base, pools[shape]["app"], workdir, f"app-{shape}",
                                            args.connections, args.duration)
            settle(url)
            results[shape]["app32"] = run_wrk(base, pools[shape]["app"], workdir,
                                              f"app32-{shape}", 32, max(5, args.duration // 3))
        # The same server answering a read that asks the database nothing: the most requests
        # per second this app can serve here at all, whatever the query costs.
        print("app   no query", flush=True)
        settle(url)
        floor = run_wrk(base, ["/ogc/conformance"], workdir, "app-floor", args.connections,
                        args.duration)
        stop(app_proc)

        if not args.no_tipg:
            u = make_url(url)
            q = dict(u.query)
            host = q.get("host", u.host or "127.0.0.1")
            # A socket directory goes percent-encoded into the host part (asyncpg reads it).
            dsn = (f"postgresql://{u.username}{':' + u.password if u.password else ''}@"
                   f"{quote(host, safe='')}:{q.get('port', u.port or 5432)}/{u.database}")
            tipg_port = free_port()
            tipg_env = {**os.environ, "DATABASE_URL": dsn, "TIPG_DB_SCHEMAS": '["public"]',
                        "TIPG_DB_TABLES": '["public.places"]',
                        "TIPG_MAX_FEATURES_PER_QUERY": "10000"}
            tipg_proc = subprocess.Popen(
                [str(ensure_tipg()), "tipg.main:app", "--host", "127.0.0.1", "--port",
                 str(tipg_port), "--workers", str(args.workers), "--no-access-log",
                 "--log-level", "warning"],
                env=tipg_env, cwd=workdir,
            )
            wait_for(f"http://127.0.0.1:{tipg_port}/collections", tipg_proc)
            base = f"http://127.0.0.1:{tipg_port}"
            for shape in SHAPES:
                print(f"tipg  {shape}", flush=True)
                settle(url)
                results[shape]["tipg"] = run_wrk(base, pools[shape]["tipg"], workdir,
                                                 f"tipg-{shape}", args.connections,
                                                 args.duration)
            stop(tipg_proc)
            tipg_proc = None

        for shape in SHAPES:
            print(f"raw   {shape}", flush=True)
            settle(url)
            results[shape]["raw"] = run_pgbench(url, scripts[shape], workdir, shape,
                                                args.connections, args.duration)
    finally:
        for proc in (app_proc, tipg_proc):
            if proc is not None and proc.poll() is None:
                stop(proc)

    print()
    print(f"{args.places:,} places, {args.workers} worker processes each (app: "
          f"{args.threads} threads each), {args.connections} connections, "
          f"{args.duration} s per run")
    head = (f"{'query':<10} {'app r/s':>9} {'p99 ms':>7} {'tipg r/s':>9} {'p99 ms':>7} "
            f"{'raw t/s':>9} {'p99 ms':>7} {'app/tipg':>9} {'app/raw':>8} {'errors@32':>10}")
    print(head)
    print("-" * len(head))
    for shape in SHAPES:
        r = results[shape]
        app_rps, app_p99, app_sock, app_status = r["app"]
        tipg_rps, tipg_p99 = (r["tipg"][0], r["tipg"][1]) if "tipg" in r else (math.nan, math.nan)
        raw_tps, raw_p99 = r["raw"]
        errors32 = r["app32"][2] + r["app32"][3] + app_sock + app_status
        print(f"{shape:<10} {app_rps:9.0f} {app_p99:7.1f} {tipg_rps:9.0f} {tipg_p99:7.1f} "
              f"{raw_tps:9.0f} {raw_p99:7.1f} {app_rps / tipg_rps:9.2f} "
              f"{app_rps / raw_tps:8.2f} {errors32:10d}")
    print(f"app without a query (GET /ogc/conformance): {floor[0]:.0f} r/s, p99 "
          f"{floor[1]:.1f} ms; half the raw one-place ceiling is "
          f"{results['one-place']['raw'][0] / 2:.0f}/s")
    tipg_errors = {s: results[s]["tipg"][2:] for s in SHAPES if "tipg" in results[s]}
    if any(sum(v) for v in tipg_errors.values()):
        print(f"tipg errors (socket, status): {tipg_errors}")
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
