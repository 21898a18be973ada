"""Counting page views, downloads, QR scans and beacons: what is counted, what is not
(DNT, Sec-GPC, bots, HEAD), refused beacons count nothing, and a busy or absent database
never fails the page."""

from __future__ import annotations

from datetime import date, timedelta

import psycopg2
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from app.models.usage import Metric, OfferingKind, UsageCounter

PHONE = ("Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/131.0 Mobile Safari/537.36")
BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def counted(db_session, tour_id: int, metric: Metric, stop: int | None = None,
            kind=OfferingKind.TOUR) -> int:
    c = UsageCounter
    stmt = select(func.coalesce(func.sum(c.n), 0)).where(
        c.offering_kind == kind, c.offering_id == tour_id, c.metric == metric)
    if stop is not None:
        stmt = stmt.where(c.stop == stop)
    return int(db_session.scalar(stmt))


def hit(client, url, method="get", **headers):
    """A request whose response is closed, as a server closes it after sending (the count
    runs then)."""
    headers.setdefault("User-Agent", PHONE)
    resp = getattr(client, method)(url, headers=headers)
    resp.close()
    return resp


@pytest.fixture
def tour(demo, db_session):
    from app.models import Tour

    return db_session.scalar(select(Tour).where(Tour.status == "published").order_by(Tour.id))


def test_page_views_and_downloads_are_counted(client, tour, db_session):
    before = {m: counted(db_session, tour.id, m) for m in
              (Metric.PAGE_VIEW, Metric.GPX_DOWNLOAD, Metric.EMBED_VIEW)}
    assert hit(client, f"/tours/{tour.slug}").status_code == 200
    assert hit(client, f"/tours/{tour.slug}").status_code == 200
    assert hit(client, f"/api/v1/tours/{tour.slug}.gpx").status_code == 200
    assert hit(client, f"/embed/tours/{tour.slug}").status_code == 200
    assert counted(db_session, tour.id, Metric.PAGE_VIEW) == before[Metric.PAGE_VIEW] + 2
    assert counted(db_session, tour.id, Metric.GPX_DOWNLOAD) == before[Metric.GPX_DOWNLOAD] + 1
    assert counted(db_session, tour.id, Metric.EMBED_VIEW) == before[Metric.EMBED_VIEW] + 1


def test_a_revalidated_download_is_no_new_download(client, tour, db_session):
    before = counted(db_session, tour.id, Metric.GPX_DOWNLOAD)
    first = hit(client, f"/api/v1/tours/{tour.slug}.gpx")
    assert first.status_code == 200 and first.headers["ETag"]
    again = hit(client, f"/api/v1/tours/{tour.slug}.gpx", **{"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert counted(db_session, tour.id, Metric.GPX_DOWNLOAD) == before + 1


@pytest.mark.parametrize("headers", [{"DNT": "1"}, {"Sec-GPC": "1"}, {"User-Agent": BOT},
                                     {"User-Agent": ""}], ids=["dnt", "gpc", "bot", "no-agent"])
def test_not_counted_when_asked_not_to_or_for_bots(client, tour, db_session, headers):
    before = counted(db_session, tour.id, Metric.PAGE_VIEW)
    scans = counted(db_session, tour.id, Metric.QR_SCAN)
    assert hit(client, f"/tours/{tour.slug}", **headers).status_code == 200
    stop = tour.stops[0].position
    assert hit(client, f"/t/{tour.slug}/{stop}", **headers).status_code == 302
    resp = client.post("/api/v1/usage", headers={"User-Agent": PHONE, **headers}, json={
        "counts": [{"offering": f"tour:{tour.slug}", "metric": "completion",
                    "day": date.today().isoformat()}]})
    assert resp.status_code == 202 and resp.json == {"counted": 0}
    assert counted(db_session, tour.id, Metric.PAGE_VIEW) == before
    assert counted(db_session, tour.id, Metric.QR_SCAN) == scans


def test_head_is_no_visit(client, tour, db_session):
    before = counted(db_session, tour.id, Metric.PAGE_VIEW)
    assert hit(client, f"/tours/{tour.slug}", method="head").status_code == 200
    assert counted(db_session, tour.id, Metric.PAGE_VIEW) == before


def test_qr_address_counts_the_scan_and_forwards_to_the_stop(client, tour, db_session):
    stop = tour.stops[1]
    before = counted(db_session, tour.id, Metric.QR_SCAN, stop.position)
    resp = hit(client, f"/t/{tour.slug}/{stop.position}")
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith(f"/places/{stop.place_id}")
    assert "no-store" in resp.headers["Cache-Control"]
    assert counted(db_session, tour.id, Metric.QR_SCAN, stop.position) == before + 1
    assert hit(client, f"/t/{tour.slug}/99").status_code == 404
    assert hit(client, "/t/no-such-tour/1").status_code == 404


def test_beacon_counts_per_stop_and_source(client, tour, db_session):
    today = date.today().isoformat()
    before = counted(db_session, tour.id, Metric.STOP_REACHED, 2)
    resp = client.post("/api/v1/usage", headers={"User-Agent": PHONE}, json={
        "source": "offline", "counts": [
            {"offering": f"tour:{tour.slug}", "stop": 2, "metric": "stop_reached", "day": today},
            {"offering": f"tour:{tour.slug}", "stop": 2, "metric": "stop_reached", "day": today},
            {"offering": f"tour:{tour.slug}", "metric": "follow_start", "day": today}]})
    assert resp.status_code == 202, resp.json
    assert resp.json == {"counted": 3}
    assert counted(db_session, tour.id, Metric.STOP_REACHED, 2) == before + 2
    sources = set(db_session.scalars(select(UsageCounter.source).where(
        UsageCounter.offering_id == tour.id, UsageCounter.metric == "stop_reached")))
    assert "offline" in sources


@pytest.mark.parametrize("body, field", [
    ({"counts": [{"offering": "tour:x", "metric": "completion", "day": "2026-01-01",
                  "ip": "1.2.3.4"}]}, "counts.0.ip"),
    ({"counts": [], "session": "abc"}, "session"),
    ({"counts": [{"offering": "tour:{slug}", "metric": "page_view", "day": "{today}"}]},
     "counts.0.metric"),
    ({"counts": [{"offering": "tour:{slug}", "metric": "stop_reached", "stop": 99,
                  "day": "{today}"}]}, "counts.0.stop"),
    ({"counts": [{"offering": "tour:{slug}", "metric": "completion", "stop": 1,
                  "day": "{today}"}]}, "counts.0.stop"),
    ({"counts": [{"offering": "tour:{slug}", "metric": "completion", "day": "{old}"}]},
     "counts.0.day"),
    ({"counts": [{"offering": "tour:no-such-tour", "metric": "completion", "day": "{today}"}]},
     "counts.0.offering"),
    ({"counts": [{"offering": "user:1", "metric": "completion", "day": "{today}"}]},
     "counts.0.offering"),
], ids=["unknown-nested", "unknown-top", "server-metric", "no-such-stop", "stop-on-whole",
        "too-old", "unknown-tour", "bad-kind"])
def test_refused_beacons_count_nothing(client, tour, db_session, body, field):
    import json

    today = date.today()
    raw = json.dumps(body).replace("{slug}", tour.slug).replace("{today}", today.isoformat()) \
        .replace("{old}", (today - timedelta(days=40)).isoformat())
    # a valid count beside the bad one: the batch is refused as a whole
    data = json.loads(raw)
    data["counts"] = [{"offering": f"tour:{tour.slug}", "metric": "completion",
                       "day": today.isoformat()}, *data["counts"]]
    field = field.replace("counts.0", "counts.1")
    before = counted(db_session, tour.id, Metric.COMPLETION)
    resp = client.post("/api/v1/usage", headers={"User-Agent": PHONE}, json=data)
    assert 400 <= resp.status_code < 500
    assert resp.json["error"]["field"] == field, resp.json
    assert counted(db_session, tour.id, Metric.COMPLETION) == before


def test_a_locked_counter_drops_the_count_and_serves_the_page(app, client, tour, db_session):
    """The counter row is locked by another transaction: the count gives up after its lock
    timeout, the page is served."""
    from app.services.insights import counting

    hit(client, f"/tours/{tour.slug}")  # the row of today exists
    url = make_url(counting.database_url(app.config))
    q = dict(url.query)
    conn = psycopg2.connect(dbname=url.database, user=url.username, host=q.get("host", url.host),
                            port=q.get("port", url.port))
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT n FROM usage_counters WHERE offering_kind = 'tour' AND "
                        "offering_id = %s AND metric = 'page_view' AND day = %s FOR UPDATE",
                        (tour.id, counting.today(app.config)))
            before = counted(db_session, tour.id, Metric.PAGE_VIEW)
            assert hit(client, f"/tours/{tour.slug}").status_code == 200
        conn.rollback()
    finally:
        conn.close()
    assert counted(db_session, tour.id, Metric.PAGE_VIEW) == before


def test_an_absent_database_drops_the_count_and_serves_the_page(app, client, tour, db_session,
                                                                monkeypatch, caplog):
    monkeypatch.setitem(app.config, "INSIGHTS_DATABASE_URL",
                        "postgresql+psycopg2://nobody@127.0.0.1:9/none")
    assert hit(client, f"/tours/{tour.slug}").status_code == 200
    resp = client.post("/api/v1/usage", headers={"User-Agent": PHONE}, json={
        "counts": [{"offering": f"tour:{tour.slug}", "metric": "completion",
                    "day": date.today().isoformat()}]})
    assert resp.status_code == 202 and resp.json == {"counted": 0}
    assert "usage count dropped (OperationalError)" in caplog.text


def test_the_counter_table_upserts(app, db_session):
    from app.services.insights import counting

    day = date(2026, 1, 5)
    rows = [counting.Count(OfferingKind.TOUR, 987654321, Metric.COMPLETION, day)] * 3
    url = counting.database_url(app.config)
    assert counting.write(url, rows)
    assert counting.write(url, rows[:1])
    n = db_session.execute(text("SELECT n FROM usage_counters WHERE offering_id = 987654321")).scalar()
    assert n == 4


def test_place_story_and_theme_figures(client, tour, db_session):
    from app.models import Story, Theme

    place_id = tour.stops[0].place_id
    lead = db_session.scalar(select(Story).where(Story.place_id == place_id, Story.is_lead))
    theme = db_session.scalar(select(Theme).order_by(Theme.id))
    views = counted(db_session, lead.id, Metric.PAGE_VIEW, kind=OfferingKind.STORY)
    assert hit(client, f"/places/{place_id}").status_code == 200
    assert counted(db_session, lead.id, Metric.PAGE_VIEW, kind=OfferingKind.STORY) == views + 1
    assert hit(client, f"/stories/{lead.id}").status_code == 200
    assert counted(db_session, lead.id, Metric.PAGE_VIEW, kind=OfferingKind.STORY) == views + 2
    theme_views = counted(db_session, theme.id, Metric.PAGE_VIEW, kind=OfferingKind.THEME)
    assert hit(client, f"/themes/{theme.slug}").status_code == 200
    assert counted(db_session, theme.id, Metric.PAGE_VIEW, kind=OfferingKind.THEME) == theme_views + 1
    plays = counted(db_session, lead.id, Metric.AUDIO_PLAY, kind=OfferingKind.STORY)
    resp = client.post("/api/v1/usage", headers={"User-Agent": PHONE}, json={"counts": [
        {"offering": f"story:{lead.id}", "metric": "audio_play", "day": date.today().isoformat()}]})
    assert resp.status_code == 202 and resp.json == {"counted": 1}
    assert counted(db_session, lead.id, Metric.AUDIO_PLAY, kind=OfferingKind.STORY) == plays + 1
    # Nothing is counted for the place itself any more.
    assert counted(db_session, place_id, Metric.PAGE_VIEW, kind=OfferingKind.PLACE) == 0


def test_beacons_are_rate_limited_without_storing_the_address(clone_db):
    from tests.conftest import rate_limited_app

    with rate_limited_app(clone_db("beacon_limit"), RATELIMIT_BEACON="2 per minute") as app:
        client = app.test_client()
        body = {"counts": [{"offering": "tour:none", "metric": "completion",
                            "day": date.today().isoformat()}]}
        headers = {"User-Agent": PHONE, "X-Forwarded-For": "198.51.100.23"}
        answers = [client.post("/api/v1/usage", json=body, headers=headers,
                               environ_base={"REMOTE_ADDR": "198.51.100.23"}).status_code
                   for _ in range(3)]
        assert answers == [422, 422, 429]
        with app.app_context():
            from app.extensions import db

            keys = db.session.execute(text("SELECT key FROM rate_limit_counters")).scalars().all()
            db.session.remove()
        assert keys and all("198.51.100.23" not in k for k in keys)
        assert any("beacon:" in k for k in keys)


def test_the_printed_sheet_points_its_stop_codes_at_the_counting_address(client, tour,
                                                                          monkeypatch):
    """What each stop's QR code encodes (the PDF itself is checked by the export tests)."""
    from app.services import tour_print

    encoded = []
    real = tour_print.qr_data_uri
    monkeypatch.setattr(tour_print, "qr_data_uri", lambda url: encoded.append(url) or real(url))
    monkeypatch.setattr(tour_print, "render_pdf", lambda html, css: b"%PDF-1.7 test")
    assert hit(client, f"/tours/{tour.slug}.pdf").status_code == 200
    stops = [u for u in encoded if "/t/" in u]
    assert stops and all(u.startswith("http://localhost/t/" + tour.slug + "/") for u in stops)
    assert hit(client, stops[0].removeprefix("http://localhost")).status_code == 302
