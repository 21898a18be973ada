"""robots.txt and the sitemaps: every public page, nothing else, valid files, validators."""

from xml.etree import ElementTree

from sqlalchemy import select

from app.models import Place, Tour
from app.services import sitemap
from tests.integration.test_moderation_factory import pending_place

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def _locs(resp, path):
    assert resp.status_code == 200 and resp.mimetype == "application/xml"
    return [e.text for e in ElementTree.fromstring(resp.data).findall(path, NS)]


def test_robots_txt_names_the_sitemap(client):
    resp = client.get("/robots.txt")
    assert resp.status_code == 200 and resp.mimetype == "text/plain"
    assert "Sitemap: http://localhost/sitemap.xml" in resp.text


def test_sitemaps_list_public_pages_only(client, demo, db_session, resident):
    waiting = pending_place(resident, "Noch nicht freigegeben")
    retired = db_session.scalar(select(Tour).where(Tour.slug == "gaerten-spaziergang"))
    retired.status = "retired"
    db_session.flush()
    parts = _locs(client.get("/sitemap.xml"), "s:sitemap/s:loc")
    assert parts[0] == "http://localhost/sitemaps/pages.xml"
    assert parts[1:] == ["http://localhost/sitemaps/places-0.xml",
                         "http://localhost/sitemaps/stories-0.xml"]

    pages = _locs(client.get("/sitemaps/pages.xml"), "s:url/s:loc")
    assert pages[:2] == ["http://localhost/", "http://localhost/themes"]
    assert "http://localhost/themes/seniors-memories" in pages
    assert "http://localhost/tours/altstadt-erinnerungen" in pages
    assert "http://localhost/tours/gaerten-spaziergang" not in pages

    listed = _locs(client.get("/sitemaps/places-0.xml"), "s:url/s:loc")
    public = db_session.scalars(select(Place.id).where(Place.status == "approved")
                                .order_by(Place.id)).all()
    assert listed == [f"http://localhost/places/{pid}" for pid in public]
    assert f"http://localhost/places/{waiting.id}" not in listed
    lastmods = _locs(client.get("/sitemaps/places-0.xml"), "s:url/s:lastmod")
    assert len(lastmods) == len(listed) and all(m.endswith("+00:00") for m in lastmods)


def test_places_are_split_by_id_range(client, demo, db_session, monkeypatch):
    monkeypatch.setattr(sitemap, "CHUNK", 10)
    ids = db_session.scalars(select(Place.id).where(Place.status == "approved")).all()
    chunks = sorted({i // 10 for i in ids})
    parts = _locs(client.get("/sitemap.xml"), "s:sitemap/s:loc")
    assert [p for p in parts if "/places-" in p] == [
        f"http://localhost/sitemaps/places-{n}.xml" for n in chunks]
    for n in chunks:
        listed = _locs(client.get(f"/sitemaps/places-{n}.xml"), "s:url/s:loc")
        assert listed == [f"http://localhost/places/{i}" for i in sorted(ids) if i // 10 == n]
    # A range without a public place is no sitemap (an empty file would be invalid).
    assert client.get(f"/sitemaps/places-{max(chunks) + 1}.xml").status_code == 404


def test_sitemaps_answer_304_to_their_current_etag(client, demo, db_session):
    for path in ("/sitemap.xml", "/sitemaps/pages.xml", "/sitemaps/places-0.xml"):
        first = client.get(path)
        assert "public" in first.headers["Cache-Control"] and first.headers["ETag"]
        again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304, path
