"""A private PostgreSQL + PostGIS cluster for development and tests.

Used by the Makefile (``python -m app.devtools.devdb ensure|stop|status|url``) when no
``DATABASE_URL`` is set. The cluster lives under ``instance/pg`` (or, when the database user
cannot reach the checkout, in a directory it owns whose location is recorded in ``instance/``),
listens only on a unix socket inside it and on its own port, and is started on demand.

Only the standard library and psycopg2 are used: this runs before the app is importable in
a meaningful way and must never start the app.
"""

from __future__ import annotations

import glob
import hashlib
import os
import pwd
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INSTANCE = ROOT / "instance"
URL_FILE = INSTANCE / "database_url"
LOCATION_FILE = INSTANCE / "pg-location"
DB_NAME = "stadtspur"
DB_SUPERUSER = "stadtspur"
EXTENSIONS = ("postgis", "pg_trgm", "unaccent")
# Socket paths are limited to ~107 bytes by the kernel.
MAX_SOCKET_PATH = 100


def say(msg: str) -> None:
    print(f"[devdb] {msg}", file=sys.stderr, flush=True)


class DevDbError(RuntimeError):
    pass


# --- system packages ------------------------------------------------------------------------


def _pg_bindir() -> Path | None:
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if candidates:
        return Path(candidates[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _pg_major(bindir: Path) -> str:
    out = subprocess.run(
        [str(bindir / "postgres"), "--version"], capture_output=True, text=True, check=True
    ).stdout
    return out.strip().split()[-1].split(".")[0]


def _extension_available(major: str, name: str) -> bool:
    return any(
        Path(p).exists()
        for p in (
            f"/usr/share/postgresql/{major}/extension/{name}.control",
            f"/usr/local/share/postgresql/{major}/extension/{name}.control",
        )
    )


def _postgis_available(major: str) -> bool:
    return _extension_available(major, "postgis")


def _pgrouting_available(major: str) -> bool:
    return _extension_available(major, "pgrouting")


def _may_install() -> list[str] | None:
    """The command prefix to run apt-get with, or None when we may not install."""
    if not shutil.which("apt-get"):
        return None
    if os.geteuid() == 0:
        return []
    if shutil.which("sudo"):
        ok = subprocess.run(["sudo", "-n", "true"], capture_output=True).returncode == 0
        if ok:
            return ["sudo", "-n"]
    return None


def apt_install(packages: list[str], why: str) -> None:
    """Install Debian packages when allowed, otherwise stop with one clear message."""
    prefix = _may_install()
    if prefix is None:
        raise DevDbError(
            f"{why}. Please install these system packages and run the command again:\n"
            f"    sudo apt-get install {' '.join(packages)}"
        )
    say(f"{why}: installing {' '.join(packages)} with apt-get")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([*prefix, "apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(
        [*prefix, "apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages],
        check=True,
        env=env,
    )


def ensure_server_packages() -> Path:
    bindir = _pg_bindir()
    if bindir is None:
        apt_install(["postgresql", "postgresql-contrib"], "PostgreSQL server binaries are missing")
        bindir = _pg_bindir()
        if bindir is None:
            raise DevDbError("PostgreSQL was installed but initdb still cannot be found")
    major = _pg_major(bindir)
    missing = []
    if not _postgis_available(major):
        missing.append(("PostGIS", f"postgresql-{major}-postgis-3"))
    # The walking network is routed inside the database (flask walknet import).
    if not _pgrouting_available(major):
        missing.append(("pgRouting", f"postgresql-{major}-pgrouting"))
    if missing:
        names = " and ".join(name for name, _ in missing)
        apt_install(
            [pkg for _, pkg in missing],
            f"{names} for PostgreSQL {major} {'is' if len(missing) == 1 else 'are'} missing",
        )
    return bindir


# --- where the cluster lives ----------------------------------------------------------------


def _os_user() -> str | None:
    """The unprivileged user that runs the cluster when we are root, else None (ourselves)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "stadtspur-pg"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "stadtspur-pg"],
        check=True,
    )
    return "stadtspur-pg"


def _as_user(user: str | None, argv: list[str]) -> list[str]:
    return ["runuser", "-u", user, "--", *argv] if user else argv


def _user_can_use(user: str | None, path: Path) -> bool:
    if user is None:
        return True
    probe = path
    while not probe.exists():
        probe = probe.parent
    return subprocess.run(_as_user(user, ["test", "-x", str(probe)])).returncode == 0


def cluster_dir(user: str | None) -> Path:
    """instance/pg, or a directory the cluster user owns when it cannot reach the checkout."""
    if LOCATION_FILE.exists():
        recorded = Path(LOCATION_FILE.read_text().strip())
        if recorded.exists():
            return recorded
    base = INSTANCE / "pg"
    sock = base / "run" / ".s.PGSQL.65535"
    if _user_can_use(user, INSTANCE.parent) and len(str(sock)) < MAX_SOCKET_PATH:
        return base
    digest = hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]
    alt = Path("/var/tmp") / f"stadtspur-pg-{digest}"
    say(f"the database user cannot use {INSTANCE}; keeping the cluster in {alt}")
    LOCATION_FILE.write_text(str(alt) + "\n")
    return alt


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(self) -> None:
        INSTANCE.mkdir(exist_ok=True)
        self.bindir = ensure_server_packages()
        self.user = _os_user()
        self.base = cluster_dir(self.user)
        self.data = self.base / "data"
        self.run_dir = self.base / "run"
        self.log = self.base / "postgres.log"
        self.port_file = self.base / "port"

    def _run(self, argv: list[str], **kw) -> subprocess.CompletedProcess:
        return subprocess.run(_as_user(self.user, argv), **kw)

    def _chown(self, path: Path) -> None:
        if self.user:
            shutil.chown(path, self.user, self.user)

    @property
    def port(self) -> int:
        if not self.port_file.exists():
            self.port_file.write_text(f"{_free_port()}\n")
        return int(self.port_file.read_text())

    def initdb(self) -> None:
        if (self.data / "PG_VERSION").exists():
            return
        say(f"creating a private PostgreSQL cluster in {self.data}")
        for d in (self.base, self.run_dir):
            d.mkdir(parents=True, exist_ok=True)
            self._chown(d)
        self.data.mkdir(mode=0o700, exist_ok=True)
        self._chown(self.data)
        self._run(
            [
                str(self.bindir / "initdb"),
                "-D", str(self.data),
                "-U", DB_SUPERUSER,
                "--auth-local=trust",
                "--auth-host=trust",
                "-E", "UTF8",
                "--locale=C.UTF-8",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        conf = self.data / "postgresql.conf"
        with conf.open("a") as fh:
            fh.write("\ninclude_if_exists = 'stadtspur.conf'\n")

    def write_settings(self) -> None:
        # Rewritten on every start so a changed port or directory takes effect.
        settings = self.data / "stadtspur.conf"
        settings.write_text(
            "# written by app/devtools/devdb.py on each start\n"
            "listen_addresses = ''\n"
            f"port = {self.port}\n"
            f"unix_socket_directories = '{self.run_dir}'\n"
            # Small spatial queries get slower with parallel plans and JIT on 2 cores.
            "max_parallel_workers_per_gather = 0\n"
            "jit = off\n"
            "shared_buffers = 128MB\n"
            "max_connections = 100\n"
        )
        self._chown(settings)

    def running(self) -> bool:
        if not (self.data / "PG_VERSION").exists():
            return False
        res = self._run(
            [str(self.bindir / "pg_ctl"), "-D", str(self.data), "status"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return res.returncode == 0

    def start(self) -> None:
        self.initdb()
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._chown(self.run_dir)
        if self.running():
            return
        self._remove_stale_pid()
        self.write_settings()
        if not self.log.exists():
            self.log.touch()
        self._chown(self.log)
        say(f"starting PostgreSQL on port {self.port} (socket in {self.run_dir})")
        # Output goes to a log file: a captured pipe would be held open by the server.
        res = self._run(
            [
                str(self.bindir / "pg_ctl"),
                "-D", str(self.data),
                "-l", str(self.log),
                "-w", "-t", "60",
                "start",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if res.returncode != 0:
            tail = "\n".join(self.log.read_text(errors="replace").splitlines()[-15:])
            raise DevDbError(f"PostgreSQL did not start; the end of {self.log}:\n{tail}")

    def _remove_stale_pid(self) -> None:
        pidfile = self.data / "postmaster.pid"
        if not pidfile.exists():
            return
        try:
            pid = int(pidfile.read_text().splitlines()[0])
            os.kill(pid, 0)
        except (ValueError, IndexError, ProcessLookupError):
            say("removing a stale postmaster.pid left by a crashed server")
            pidfile.unlink(missing_ok=True)
        except PermissionError:
            pass  # alive, owned by someone else: pg_ctl will report it

    def stop(self) -> None:
        if not self.running():
            say("the private PostgreSQL cluster is not running")
            return
        self._run(
            [str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        say("stopped the private PostgreSQL cluster")

    def url(self, dbname: str = DB_NAME) -> str:
        return f"postgresql+psycopg2://{DB_SUPERUSER}@/{dbname}?host={self.run_dir}&port={self.port}"


# --- databases and extensions ---------------------------------------------------------------


def _connect(url: str, dbname: str | None = None):
    import psycopg2
    from sqlalchemy.engine import make_url

    u = make_url(url)
    if dbname:
        u = u.set(database=dbname)
    kwargs = dict(u.query.items())
    conn = psycopg2.connect(
        dbname=u.database,
        user=u.username,
        password=u.password,
        host=kwargs.pop("host", u.host),
        port=kwargs.pop("port", u.port),
        connect_timeout=10,
    )
    conn.autocommit = True
    return conn


def wait_until_ready(url: str, seconds: float = 30) -> None:
    import psycopg2

    deadline = time.monotonic() + seconds
    while True:
        try:
            _connect(url, "postgres").close()
            return
        except psycopg2.OperationalError as exc:
            if time.monotonic() > deadline:
                raise DevDbError(f"cannot connect to the database: {exc}".strip()) from exc
            time.sleep(0.3)


def ensure_database(url: str, *, create: bool) -> None:
    """Create the database (private cluster only) and the extensions the app needs."""
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    if create:
        conn = _connect(url, "postgres")
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cur.fetchone() is None:
                say(f"creating database {name}")
                cur.execute(f'CREATE DATABASE "{name}"')
        conn.close()
    conn = _connect(url)
    with conn.cursor() as cur:
        for ext in EXTENSIONS:
            cur.execute(f"CREATE EXTENSION IF NOT EXISTS {ext}")
    conn.close()


def ensure() -> str:
    """Make a database ready and return its URL; record it in instance/ for the app and CLI."""
    env_url = os.environ.get("DATABASE_URL")
    if env_url:
        wait_until_ready(env_url, 10)
        ensure_database(env_url, create=False)
        return env_url
    cluster = Cluster()
    cluster.start()
    url = cluster.url()
    wait_until_ready(url)
    ensure_database(url, create=True)
    INSTANCE.mkdir(exist_ok=True)
    if not URL_FILE.exists() or URL_FILE.read_text().strip() != url:
        URL_FILE.write_text(url + "\n")
    return url


def main(argv: list[str]) -> int:
    cmd = argv[1] if len(argv) > 1 else "ensure"
    try:
        if cmd == "ensure":
            print(ensure())
        elif cmd == "stop":
            if os.environ.get("DATABASE_URL"):
                say("DATABASE_URL is set: that server is not ours to stop")
            else:
                Cluster().stop()
        elif cmd == "status":
            print("running" if Cluster().running() else "stopped")
        elif cmd == "url":
            print(os.environ.get("DATABASE_URL") or Cluster().url())
        else:
            say(f"unknown command {cmd!r}; use ensure, stop, status or url")
            return 2
    except (DevDbError, subprocess.CalledProcessError) as exc:
        say(str(exc))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
