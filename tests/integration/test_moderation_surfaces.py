"""Hidden, rejected or removed content leaves every public surface at once.

An approved demo place with a photo is read from every surface a visitor, a crawler, a feed
reader, a map or another site uses; then a curator hides or removes the place, or hides or
removes only the photo, through the moderation services. Every surface must stop showing
it in the very next answer, and every HTTP validator must change with it: a client that
sends the ETag it kept gets the new answer (200), never 304 with the old one still cached.
"""

from __future__ import annotations

import io
import json
import re
from xml.etree import ElementTree

import mapbox_vector_tile
import pytest
from PIL import Image
from sqlalchemy import select

from app.models import Place
from app.services import flags
from geo.tiles import lonlat_to_tile

TOUR = "altstadt-erinnerungen"  # Waaghaus is its third stop
THEME = "seniors-memories"
ZOOM = 14
SITEMAP_NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


@pytest.fixture
def waaghaus(app, demo, db_session, media_root, resident):
    """The demo Waaghaus with one approved photo, as a curator would have left it."""
    from app.services import media

    place = db_session.scalar(select(Place).where(Place.title == "Waaghaus"))
    buf = io.BytesIO()
    Image.new("RGB", (900, 600), (150, 90, 40)).save(buf, "JPEG", quality=85)
    with app.test_request_context():
        photo = media.store_photo(media.check_photo(buf.getvalue()), uploader=resident,
                                  place=place, caption="Die Waage im Erdgeschoss",
                                  credit="Test")
    photo.status = "approved"
    db_session.flush()
    return place, photo


class Surface:
    """One public answer: how to ask for it and how to tell whether it shows the place
    (``place``) and whether it shows the photo (``photo``)."""

    def __init__(self, path, place=None, photo=None, etag=False):
        self.path, self.place, self.photo, self.etag = path, place, photo, etag


def _links_place(pid):
    return lambda resp: resp.status_code == 200 and f'href="/places/{pid}"' in resp.text


def _feature_ids(resp):
    return {f["id"] for f in json.loads(resp.data)["features"]}


def _tile_ids(resp):
    if resp.status_code == 204:
        return set()
    layer = mapbox_vector_tile.decode(resp.data).get("places", {"features": []})
    return {f["id"] for f in layer["features"]}


def _sitemap_locs(client, resp):
    """Every page listed by the sitemap index ``resp`` and the sitemaps it names."""
    index = ElementTree.fromstring(resp.data)
    locs = []
    for child in index.findall("s:sitemap/s:loc", SITEMAP_NS):
        part = client.get(child.text.removeprefix("http://localhost"))
        assert part.status_code == 200, child.text
        urlset = ElementTree.fromstring(part.data)
        locs += [loc.text for loc in urlset.findall("s:url/s:loc", SITEMAP_NS)]
    return locs


def _sitemap_of(client, page_url):
    """Path of the sitemap file (named by the index) that lists ``page_url``."""
    index = ElementTree.fromstring(client.get("/sitemap.xml").data)
    for child in index.findall("s:sitemap/s:loc", SITEMAP_NS):
        path = child.text.removeprefix("http://localhost")
        if f"<loc>{page_url}</loc>" in client.get(path).text:
            return path
    raise AssertionError(f"no sitemap lists {page_url}")


def _follow_stop(resp, pid):
    data = re.search(r'<script type="application/json" id="follow-data">(.*?)</script>',
                     resp.text, re.S)
    stops = json.loads(data.group(1))["stops"]
    return next(s for s in stops if s["placeId"] == pid)


def surfaces(client, place, photo, lon, lat):
    pid, title = place.id, place.title
    page_url = f"http://localhost/places/{pid}"
    photo_keys = set(photo.variants.values())
    x, y = lonlat_to_tile(lon, lat, ZOOM)

    def tour_shows(resp):
        # The tour's own text names its stops; what must go is the place's text and link.
        return place.summary in resp.text or f'localhost/places/{pid}"' in resp.text

    def shows_photo(resp):
        return resp.status_code == 200 and any(k in resp.text for k in photo_keys)

    def api_photo(resp):
        return resp.status_code == 200 and photo.id in {
            m["id"] for m in json.loads(resp.data)["properties"]["media"]}

    return {
        "place page": Surface(f"/places/{pid}",
                              place=lambda r: r.status_code == 200 and title in r.text,
                              photo=shows_photo),
        "home map and list": Surface("/", place=lambda r: f"/places/{pid}" in r.text),
        "near me": Surface(f"/nearby?near={lon},{lat}", place=_links_place(pid)),
        "theme page": Surface(f"/themes/{THEME}", place=_links_place(pid)),
        "search": Surface("/search?q=Waaghaus", place=_links_place(pid)),
        "tour page": Surface(f"/tours/{TOUR}", place=_links_place(pid)),
        "follow page": Surface(f"/tours/{TOUR}/follow",
                               place=lambda r: _follow_stop(r, pid)["title"] == title,
                               photo=lambda r: bool(_follow_stop(r, pid).get("photo"))),
        "offline data": Surface(
            f"/tours/{TOUR}/offline.json",
            place=lambda r: f"/places/{pid}" in r.json["pages"],
            photo=lambda r: any(k in m["url"] for m in r.json["media"] for k in photo_keys)),
        "embed": Surface(f"/embed/tours/{TOUR}", place=tour_shows),
        "photo file": Surface(f"/media/{photo.variants['medium']}",
                              photo=lambda r: r.status_code == 200),
        "api list": Surface("/api/v1/places?limit=1000",
                            place=lambda r: pid in _feature_ids(r), etag=True),
        "api near": Surface(f"/api/v1/places?near={lon},{lat}&radius=50",
                            place=lambda r: pid in _feature_ids(r), etag=True),
        "api item": Surface(f"/api/v1/places/{pid}", place=lambda r: r.status_code == 200,
                            photo=api_photo, etag=True),
        "api tour": Surface(f"/api/v1/tours/{TOUR}", place=tour_shows, etag=True),
        "gpx": Surface(f"/api/v1/tours/{TOUR}.gpx", place=tour_shows, etag=True),
        "ogc items": Surface("/ogc/collections/places/items?limit=1000",
                             place=lambda r: pid in _feature_ids(r)),
        "ogc item": Surface(f"/ogc/collections/places/items/{pid}",
                            place=lambda r: r.status_code == 200, photo=api_photo, etag=True),
        "tile": Surface(f"/tiles/places/{ZOOM}/{x}/{y}.mvt",
                        place=lambda r: pid in _tile_ids(r), etag=True),
        "feed": Surface("/feeds/places.atom",
                        place=lambda r: f"/places/{pid}</id>" in r.text, etag=True),
        "theme feed": Surface(f"/feeds/themes/{THEME}.atom",
                              place=lambda r: f"/places/{pid}</id>" in r.text, etag=True),
        "sitemap": Surface("/sitemap.xml",
                           place=lambda r: page_url in _sitemap_locs(client, r)),
        "sitemap of the place": Surface(_sitemap_of(client, page_url),
                                        place=lambda r: page_url in r.text, etag=True),
    }


def read_all(client, found):
    return {name: client.get(s.path) for name, s in found.items()}


CASES = {
    # (what the reports are about, the curator's resolution)
    "place hidden": ("place", "hide"),
    "place removed": ("place", "remove"),
    "photo hidden": ("photo", "hide"),
    "photo removed": ("photo", "remove"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_moderated_content_leaves_every_surface_at_once(client, waaghaus, db_session, curator,
                                                        case):
    from app.services.places import lonlat

    target, resolution = CASES[case]
    place, photo = waaghaus
    lon, lat = lonlat(place)
    found = surfaces(client, place, photo, lon, lat)

    before = read_all(client, found)
    for name, surface in found.items():
        assert before[name].status_code == 200, name
        if surface.place:
            assert surface.place(before[name]), f"{name} should show the place"
        if surface.photo:
            assert surface.photo(before[name]), f"{name} should show the photo"
        if surface.etag:
            assert before[name].headers.get("ETag"), f"{name} has no ETag"

    if target == "place":
        flag = flags.create_flag(None, place_id=place.id, reason="private", remote_addr="a")
    else:
        flag = flags.create_flag(None, media_id=photo.id, reason="private", remote_addr="a")
    flags.resolve(curator, flag.id, resolution)
    db_session.commit()

    after = read_all(client, found)
    gone = []
    for name, surface in found.items():
        check = surface.place if target == "place" else surface.photo
        if check and check(after[name]):
            gone.append(name)
        if target == "photo" and surface.place:
            # Only the photo went: the place itself is still everywhere.
            assert surface.place(after[name]), f"{name} lost the place with its photo"
    assert gone == [], f"still shown after {case}: {gone}"

    # Every cache that kept an answer showing it must get the new answer, not 304.
    revalidated = set()
    for name, surface in found.items():
        changed = (surface.place if target == "place" else surface.photo) or (
            # A photo's place was changed too (its update time is in these answers).
            target == "photo" and name in ("api list", "api near", "feed", "theme feed",
                                           "sitemap of the place"))
        if not (surface.etag and changed and after[name].status_code == 200):
            continue
        old_etag = before[name].headers["ETag"]
        assert after[name].headers["ETag"] != old_etag, f"{name}: same ETag"
        again = client.get(surface.path, headers={"If-None-Match": old_etag})
        assert again.status_code == 200, f"{name} answered {again.status_code} to the old ETag"
        assert again.data == after[name].data != before[name].data, name
        revalidated.add(name)
    common = {"api list", "api near", "feed", "theme feed", "sitemap of the place"}
    if target == "place":
        assert revalidated == common | {"api tour", "gpx", "tile"}
    else:
        assert revalidated == common | {"api item", "ogc item"}
