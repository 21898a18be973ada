"""Test fixtures: a real PostGIS database built from the migrations, a savepoint per test,
and a live server driven by the system Chromium for end-to-end tests.

Databases are created on the server named by DATABASE_URL, or else in the private
development cluster that `make test` starts (its URL is recorded in instance/).
"""

from __future__ import annotations

import atexit
import contextlib
import copy
import os
import shutil
import tempfile
import threading
import uuid
from contextlib import contextmanager
from pathlib import Path

import psycopg2
import pytest
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
# Unique per pytest process: several runs may share one server (developers, CI, xdist).
TEMPLATE_DB = f"stadtspur_test_tpl_{WORKER}_{os.getpid()}"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
    "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
]


def need(path: Path) -> Path:
    """``path`` from the shared test data, or the test fails saying what is missing (a test
    that silently skipped would let the suite pass without checking anything)."""
    if not path.exists():
        pytest.fail(f"test data missing: {path} (the shared corpus belongs beside this "
                    f"project, at {CORPUS})", pytrace=False)
    return path


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The shared import-robustness corpus (GPX files, photos, schemas)."""
    return need(CORPUS)


def _server_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    recorded = ROOT / "instance" / "database_url"
    if not recorded.exists():
        pytest.exit("No database: run `make test` (it starts one) or set DATABASE_URL", 2)
    return recorded.read_text().strip()


def _admin_connect(url: str):
    u = make_url(url)
    q = dict(u.query)
    conn = psycopg2.connect(
        dbname="postgres", user=u.username, password=u.password,
        host=q.get("host", u.host), port=q.get("port", u.port),
    )
    conn.autocommit = True
    return conn


def _recreate(url: str, name: str, template: str | None = None) -> str:
    conn = _admin_connect(url)
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if template:
            cur.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        else:
            cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str, name: str) -> None:
    conn = _admin_connect(url)
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()


def _empty_g() -> None:
    """In production every request has its own app context. Tests hold one open (for the
    savepoint session), so requests would share ``g``, where Flask-Login and the API cache
    the caller: empty it before each request so nothing leaks from one into the next."""
    from flask import g, has_app_context

    if has_app_context():
        for name in list(g):
            g.pop(name)


def _commit_test_setup() -> None:
    """Tests share the app's session with its requests. In production a request starts from
    committed data only, and its unit of work rolls back to there when it refuses something:
    commit (to the test's savepoint) what the test set up, so a refused request undoes only
    its own writes, never the test's fixtures."""
    from flask import has_app_context

    if has_app_context():
        from app.extensions import db

        db.session.commit()


def per_request_g(app):
    """``app`` as a WSGI callable that starts every request with an empty ``g``, for
    clients other than the test client (schemathesis over WSGI)."""

    def wsgi(environ, start_response):
        _empty_g()
        return app(environ, start_response)

    return wsgi


def _fresh_context_client():
    from flask.testing import FlaskClient

    class FreshContextClient(FlaskClient):
        """A test client whose requests each start with an empty ``g`` (see _empty_g)."""

        def open(self, *args, **kwargs):
            _empty_g()
            _commit_test_setup()
            return super().open(*args, **kwargs)

    return FreshContextClient


_FILES: Path | None = None


def _test_files() -> Path:
    """A folder of this test process for the files apps write (media, mail outbox), so
    parallel workers never share one and nothing lands in the development instance/."""
    global _FILES
    if _FILES is None:
        _FILES = Path(tempfile.mkdtemp(prefix=f"stadtspur-test-{WORKER}-"))
        atexit.register(shutil.rmtree, _FILES, ignore_errors=True)
    return _FILES


def make_test_app(db_url: str, **overrides):
    from app import create_app

    files = _test_files()
    config = {
        "MEDIA_ROOT": str(files / "media"),
        "OUTBOX_DIR": str(files / "outbox"),
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": db_url,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "MAIL_BACKEND": "memory",
        "TILE_URL": "/test-tiles/{z}/{x}/{y}.png",
    }
    config.update(overrides)
    app = create_app(config)
    app.test_client_class = _fresh_context_client()
    return app


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashes():
    """Argon2id with the production parameters costs a quarter of a second per hash and per
    login, which the demo accounts and every user fixture pay again in each test: tests hash
    with the smallest parameters. The hashes are still Argon2id, checked the same way."""
    from argon2 import PasswordHasher

    from app.services import accounts

    original = accounts._hasher
    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    yield
    accounts._hasher = original


@pytest.fixture(autouse=True)
def _rate_limits_left_off():
    """Any app built with rate limits on (a test of the factory's defaults, say) switches on
    the one Limiter every app of this process shares: switch it off and forget its counts
    after each test, so no later test is limited by them."""
    yield
    from app.extensions import limiter

    if limiter.enabled:
        limiter.enabled = False
        if getattr(limiter, "_storage", None) is not None:
            from sqlalchemy.exc import OperationalError, ProgrammingError

            # A factory test's app on a database without the schema, or none at all: no
            # counter table there, so no counts to forget.
            with contextlib.suppress(OperationalError, ProgrammingError):
                limiter.reset()


@contextmanager
def rate_limited_app(db_url: str, **overrides):
    """An app with rate limits switched on, for the tests of those limits.

    Flask-Limiter keeps one `enabled` flag and one counter storage on the Limiter object that
    every app of this process shares: start from empty counters, and leave the limiter off and
    empty again, or later tests of other apps would be limited by these counts.
    """
    from app.extensions import db, limiter

    app = make_test_app(db_url, RATELIMIT_ENABLED=True, **overrides)
    limiter.reset()
    try:
        yield app
    finally:
        limiter.enabled = False
        limiter.reset()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def server_url() -> str:
    return _server_url()


@pytest.fixture(scope="session")
def template_db_url(server_url, tmp_path_factory) -> str:
    """A database migrated to head once per session; tests clone it."""
    from flask_migrate import upgrade

    url = _recreate(server_url, TEMPLATE_DB)
    conn = psycopg2.connect(make_url(url).render_as_string(hide_password=False).replace("+psycopg2", ""))
    conn.autocommit = True
    with conn.cursor() as cur:
        for ext in ("postgis", "pg_trgm", "unaccent"):
            cur.execute(f"CREATE EXTENSION IF NOT EXISTS {ext}")
    conn.close()
    app = make_test_app(url)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        from app.extensions import db

        db.engine.dispose()
    yield url
    drop_database(server_url, TEMPLATE_DB)


@pytest.fixture(scope="session")
def clone_db(server_url, template_db_url):
    """Factory: a fresh database cloned from the migrated template; dropped at session end."""
    created = []

    def _clone(label: str) -> str:
        name = f"stadtspur_test_{label}_{WORKER}_{uuid.uuid4().hex[:6]}"
        created.append(name)
        return _recreate(server_url, name, TEMPLATE_DB)

    yield _clone
    for name in created:
        drop_database(server_url, name)


@pytest.fixture(scope="session")
def _empty_app(clone_db):
    return make_test_app(clone_db("main"))


@pytest.fixture(scope="session")
def _demo_app(clone_db):
    """An app whose database holds the demo city, seeded and committed once per process
    (seeding it again in each of the ~250 tests that use it cost them most of their time)."""
    app = make_test_app(clone_db("demo"))
    with app.app_context():
        from app.extensions import db
        from app.services.seed import seed_demo

        app.demo_seeded = seed_demo()
        db.session.commit()
        db.session.remove()
    return app


@pytest.fixture
def app(request):
    """The app of this test: on an empty database, or, for a test that uses ``demo``, on one
    holding the demo city. Either way the test's own changes are rolled back (db_session)."""
    if "demo" in request.fixturenames:
        return request.getfixturevalue("_demo_app")
    return request.getfixturevalue("_empty_app")


class _Borrowed:
    """The session's connection lent to one read: closing it gives it back, not away."""

    def __init__(self, connection):
        self._connection = connection
        self._fairy = connection.connection
        self.dbapi_connection = self._fairy.dbapi_connection

    def cursor(self):
        return _AnnouncedCursor(self._fairy.cursor(), self._connection)

    def invalidate(self, exc=None):
        pass  # the test's own connection: it ends with the test

    def close(self):
        pass


class _AnnouncedCursor:
    """A driver cursor that announces each statement as SQLAlchemy's ``before_cursor_execute``
    event, which the read path itself skips: tests that watch what the app runs (the index
    test explains every spatial statement) see the public reads too."""

    def __init__(self, cursor, connection):
        self._cursor = cursor
        self._connection = connection

    def execute(self, statement, parameters=None):
        self._connection.dispatch.before_cursor_execute(
            self._connection, self._cursor, statement, parameters, None, False
        )
        return self._cursor.execute(statement, parameters)

    def __getattr__(self, name):
        return getattr(self._cursor, name)


class SessionReadEngine:
    """The app's read engine during a test (app/services/geodata/engine.py): public reads
    take their production path (driver SQL, cursor, rows, errors) on the connection of the
    test's outer transaction, the only one that sees what the test wrote. Like a read through
    the session it flushes first and runs inside the session's savepoint, so a refused
    request's rollback also clears a failed read."""

    def __init__(self, dialect):
        self.dialect = dialect

    def raw_connection(self):
        from app.extensions import db

        db.session.flush()
        return _Borrowed(db.session.connection())


@pytest.fixture
def db_session(app):
    """Each test runs inside an outer transaction that is rolled back: app commits become
    savepoints (see STYLE.md and flask-sqlalchemy#1171); public reads use the same
    connection (SessionReadEngine)."""
    from app.extensions import db
    from app.services.geodata.engine import READ_ENGINE

    with app.app_context():
        engines = db.engines
        originals = {}
        for key, engine in engines.items():
            connection = engine.connect()
            transaction = connection.begin()
            originals[key] = (engine, connection, transaction)
            engines[key] = connection
        read_engine = app.extensions.get(READ_ENGINE)
        app.extensions[READ_ENGINE] = SessionReadEngine(engines[None].dialect)
        try:
            yield db.session
        finally:
            db.session.remove()
            app.extensions.pop(READ_ENGINE)
            if read_engine is not None:
                app.extensions[READ_ENGINE] = read_engine
            for key, (engine, connection, transaction) in originals.items():
                transaction.rollback()
                connection.close()
                engines[key] = engine


@pytest.fixture
def client(app, db_session):
    return app.test_client()


@pytest.fixture
def runner(app, db_session):
    return app.test_cli_runner()


@pytest.fixture
def demo(app, db_session):
    """The Winterthur demo content (the app's database holds it, see ``app``): what
    seed_demo() answered, its counts and the demo accounts' passwords."""
    return copy.deepcopy(app.demo_seeded)


@pytest.fixture
def media_root(app, tmp_path, monkeypatch):
    """Uploaded and derived media files of this test go to a folder of their own."""
    root = tmp_path / "media"
    monkeypatch.setitem(app.config, "MEDIA_ROOT", str(root))
    return root


def create_user(email="someone@example.org", role="resident", password="a long passphrase 42",
                name="Some One"):
    from app.services.accounts import create_user as _create

    return _create(email, name, password, role=role)


@pytest.fixture
def resident(db_session):
    return create_user("resident@example.org", "resident")


@pytest.fixture
def curator(db_session):
    return create_user("curator@example.org", "curator")


@pytest.fixture
def admin(db_session):
    return create_user("admin@example.org", "admin")


def login(client, email, password="a long passphrase 42"):
    resp = client.post("/login", data={"email": email, "password": password})
    assert resp.status_code == 303, resp.data[:500]
    return resp


# --- end to end -------------------------------------------------------------------------------


class LiveServer:
    def __init__(self, app):
        from werkzeug.serving import make_server

        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join(5)


@pytest.fixture(scope="module")
def e2e_app(clone_db):
    """An app on its own database with the demo content, for one test module."""
    app = make_test_app(clone_db("e2e"), WTF_CSRF_ENABLED=True)
    with app.app_context():
        from app.extensions import db
        from app.services.seed import seed_demo

        app.demo_accounts = seed_demo()["accounts"]
        db.session.commit()
    yield app
    with app.app_context():
        from app.extensions import db

        db.engine.dispose()


@pytest.fixture(scope="module")
def live_server(e2e_app):
    with LiveServer(e2e_app) as server:
        yield server


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args, playwright):
    args = dict(browser_context_args)
    args.update(playwright.devices["Pixel 7"])
    args.pop("default_browser_type", None)
    args.update(
        geolocation={"latitude": 47.4997, "longitude": 8.7241},
        permissions=["geolocation"],
        locale="de-CH",
        timezone_id="Europe/Zurich",
    )
    return args


TILE_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8cfc0f01f0005000201a5d8b1e1"
    "0000000049454e44ae426082"
)


@pytest.fixture
def page(page, live_server):
    """A phone-sized page on the live server; map tiles are stubbed (no network here) and
    browser console errors fail the test."""
    errors: list[str] = []
    failed: list[str] = []  # not errors in themselves: they say which load an error is about
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("requestfailed", lambda req: failed.append(f"{req.method} {req.url}: {req.failure}"))
    page.context.route(
        "**/test-tiles/**",
        lambda route: route.fulfill(status=200, content_type="image/png", body=TILE_PNG),
    )
    page.base_url = live_server.url
    yield page
    assert errors == [], f"browser errors: {errors}; failed requests: {failed}"
