"""One visible set on every surface: places, media and tours in every state, read back
through pages, API, OGC, tiles, feeds, search, sitemaps, offline packs and the export.

Every surface is a function returning what it shows (place keys, media names, places with
audio, tour slugs); each is compared with the same expectation, which is what
app/services/visibility.py defines. A surface with its own copy of the rule that drifts
fails here, naming the surface.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from xml.etree import ElementTree

import feedparser
import gpxpy
import mapbox_vector_tile
import pytest
from geoalchemy2.shape import from_shape
from shapely.geometry import LineString, Point

from app.models import Media, Place, Theme, Tour, TourStop, User

THEME = "vis-every-state"
LON, LAT = 8.7240, 47.5000  # all places within ~100 m of this, inside one z14 tile
Z = 14

# Places by key; the title is "Vis-<key>" so any text can be scanned for what it shows.
PUBLIC = {"plain", "photo", "novariant", "hiddenmedia", "pendingmedia", "audio", "mutedaudio",
          "consent"}
NOT_PUBLIC = {"pending", "rejected", "hidden", "merged", "archived", "draft"}
PUBLIC_MEDIA = {"m_photo", "m_audio"}
WITH_AUDIO = {"audio"}
PUBLISHED_TOURS = {"vis-open"}
REACHABLE_TOURS = {"vis-open", "vis-retired"}
ALL_TOURS = {"vis-open", "vis-retired", "vis-draft"}

_PLACE_KEY = re.compile(r"Vis-([a-z]+)")
_MEDIA_NAME = re.compile(r"vis/(m_[a-z]+)-")


def keys_in(text: str) -> set[str]:
    return set(_PLACE_KEY.findall(text))


def media_in(text: str) -> set[str]:
    return set(_MEDIA_NAME.findall(text))


@pytest.fixture
def world(db_session):
    """Places in every state, media in every state on public and non-public places, and
    tours published, retired and in draft that contain all of them."""
    author = User(email="vis-author@example.org", display_name="Vera Vis", role="resident")
    curator = User(email="vis-curator@example.org", display_name="Carl Cur", role="curator")
    theme = Theme(slug=THEME, name_de="Jeder Zustand", name_en="Every state")
    db_session.add_all([author, curator, theme])
    now = datetime.now(UTC)
    places: dict[str, Place] = {}
    states = {
        "pending": {"status": "pending", "published_at": None},
        "rejected": {"status": "rejected", "published_at": None},
        "draft": {"status": "draft", "published_at": None},
        "archived": {"status": "archived"},
        "hidden": {"hidden_at": now, "hidden_reason": "flags"},
    }
    keys = sorted(PUBLIC | NOT_PUBLIC - {"merged"}) + ["merged"]
    for n, key in enumerate(keys):
        kw = {"status": "approved", "published_at": now} | states.get(key, {})
        if key == "merged":
            kw["merged_into_id"] = places["plain"].id
        angle = 2 * math.pi * n / len(keys)
        p = Place(slug=f"vis-{key}", title=f"Vis-{key}", summary=f"Summary of Vis-{key}",
                  body=f"The story of Vis-{key}.", author=author, credit_name="Vera Vis",
                  geom=from_shape(Point(LON + 0.0008 * math.cos(angle),
                                        LAT + 0.0005 * math.sin(angle)), srid=4326),
                  themes=[theme], **kw)
        db_session.add(p)
        db_session.flush()
        places[key] = p

    def medium(name, place_key, kind="photo", status="approved", variants=None, **kw):
        ext = "m4a" if kind == "audio" else "jpg"
        if variants is None:
            variants = ({"public": f"vis/{name}-public.m4a"} if kind == "audio" else
                        {size: f"vis/{name}-{size}.jpg" for size in ("thumb", "medium", "large")}
                        | {"public": f"vis/{name}-large.jpg"})
        m = Media(place_id=places[place_key].id, kind=kind, status=status, variants=variants,
                  storage_key=f"private/vis/{name}.{ext}", size_bytes=100, sha256="0" * 64,
                  mime="audio/mp4" if kind == "audio" else "image/jpeg", width=1600,
                  height=1200, duration_s=10.0 if kind == "audio" else None,
                  uploader_id=author.id, **kw)
        db_session.add(m)
        return m

    medium("m_photo", "photo")
    # Approved, but the public file is not there yet (only a thumbnail was written).
    medium("m_novariant", "novariant", variants={"thumb": "vis/m_novariant-thumb.jpg"})
    medium("m_hidden", "hiddenmedia", status="hidden", hidden_at=now)
    medium("m_pending", "pendingmedia", status="pending")
    medium("m_audio", "audio", kind="audio")
    medium("m_muted", "mutedaudio", kind="audio", variants={})
    medium("m_consent", "consent", kind="consent_scan")
    # Public-looking media of places nobody may see.
    medium("m_onhidden", "hidden")
    medium("m_onpending", "pending", kind="audio")
    medium("m_onmerged", "merged")

    tours = {}
    route = from_shape(LineString([(LON - 0.001, LAT), (LON + 0.001, LAT)]), srid=4326)
    for slug, status in (("vis-open", "published"), ("vis-retired", "retired"),
                         ("vis-draft", "draft")):
        tour = Tour(slug=slug, title=f"Tour {slug}", intro="Every state.", theme=theme,
                    author=curator, status=status, route=route, length_m=200.0,
                    duration_normal_min=10, duration_relaxed_min=15,
                    published_at=None if status == "draft" else now,
                    retired_at=now if status == "retired" else None)
        for n, key in enumerate(keys, start=1):
            tour.stops.append(TourStop(place=places[key], position=n))
        db_session.add(tour)
        tours[slug] = tour
    db_session.flush()
    return {"places": places, "tours": tours, "by_id": {p.id: k for k, p in places.items()}}


def get(client, url, status=200):
    resp = client.get(url, headers={"Accept-Language": "en"})
    assert resp.status_code == status, (url, resp.status_code, resp.get_data(as_text=True)[:300])
    return resp


def tile_of(lon, lat, z):
    n = 2**z
    x = (lon + 180) / 360 * n
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return int(x), int(y)


# --- surfaces: each returns what a visitor gets out of it ------------------------------------


def html_place_pages(client, world):
    shown, media, audio = set(), set(), set()
    for key, place in world["places"].items():
        resp = client.get(f"/places/{place.id}")
        if resp.status_code == 200:
            html = resp.get_data(as_text=True)
            shown.add(key)
            found = media_in(html)
            media |= found
            if any(m in found for m in ("m_audio", "m_muted", "m_onpending")):
                audio.add(key)
        elif resp.status_code == 301:
            assert key == "merged"
            assert resp.headers["Location"].endswith(f"/places/{world['places']['plain'].id}")
        else:
            assert resp.status_code == 404, (key, resp.status_code)
    return {"places": shown, "media": media, "audio": audio}


def html_theme_page(client, world):
    html = get(client, f"/themes/{THEME}").get_data(as_text=True)
    return {"places": keys_in(html), "tours": set(re.findall(r"/tours/(vis-[a-z]+)", html))}


def theme_counts(client, world):
    """The number of places per theme (API and the themes page) counts the public ones."""
    doc = get(client, "/api/v1/themes").get_json()
    rows = doc if isinstance(doc, list) else doc.get("themes") or doc.get("items")
    [mine] = [t for t in rows if t["slug"] == THEME]
    assert mine["places"] == len(PUBLIC), mine
    return {}


def html_home_page(client, world):
    return {"places": keys_in(get(client, "/").get_data(as_text=True))}


def html_nearby(client, world):
    html = get(client, f"/nearby?near={LON},{LAT}").get_data(as_text=True)
    return {"places": keys_in(html)}


def html_search(client, world):
    html = get(client, f"/search?theme={THEME}").get_data(as_text=True)
    audio = get(client, f"/search?theme={THEME}&audio=1").get_data(as_text=True)
    return {"places": keys_in(html), "audio": keys_in(audio),
            "tours": set(re.findall(r"/tours/(vis-[a-z]+)", html))}


def html_tour_pages(client, world):
    shown, reachable = set(), set()
    for slug in ALL_TOURS:
        resp = client.get(f"/tours/{slug}")
        if resp.status_code == 200:
            reachable.add(slug)
            shown |= keys_in(resp.get_data(as_text=True))
        else:
            assert resp.status_code == 404, (slug, resp.status_code)
    assert reachable == REACHABLE_TOURS
    return {"places": shown}


def api_places_list(client, world):
    fc = get(client, f"/api/v1/places?theme={THEME}&limit=1000").get_json()
    with_audio = get(client, f"/api/v1/places?theme={THEME}&has_audio=true").get_json()
    without = get(client, f"/api/v1/places?theme={THEME}&has_audio=false").get_json()
    keys = {world["by_id"][f["id"]] for f in fc["features"]}
    by_property = {world["by_id"][f["id"]] for f in fc["features"] if f["properties"]["has_audio"]}
    by_filter = {world["by_id"][f["id"]] for f in with_audio["features"]}
    assert by_property == by_filter, "has_audio: the property and the filter disagree"
    assert {world["by_id"][f["id"]] for f in without["features"]} == keys - by_filter
    return {"places": keys, "audio": by_filter}


def api_place_items(client, world):
    shown, media = set(), set()
    for key, place in world["places"].items():
        resp = client.get(f"/api/v1/places/{place.id}")
        if resp.status_code == 200:
            shown.add(key)
            media |= media_in(resp.get_data(as_text=True))
        elif resp.status_code in (301, 308):
            assert key == "merged"
        else:
            assert resp.status_code == 404, (key, resp.status_code)
    return {"places": shown, "media": media}


def api_tours(client, world):
    listed = {t["id"] for t in get(client, "/api/v1/tours?limit=100").get_json()["features"]}
    shown = set()
    for slug in ALL_TOURS:
        resp = client.get(f"/api/v1/tours/{slug}")
        if resp.status_code == 200:
            shown |= keys_in(resp.get_data(as_text=True))
            gpx = gpxpy.parse(get(client, f"/api/v1/tours/{slug}.gpx").get_data(as_text=True))
            assert {k for w in gpx.waypoints for k in keys_in(w.name)} <= PUBLIC
        else:
            assert resp.status_code == 404, (slug, resp.status_code)
    return {"places": shown, "tours": listed & ALL_TOURS}


def ogc_items(client, world):
    fc = get(client, f"/ogc/collections/places/items?limit=1000&bbox="
                     f"{LON - 0.01},{LAT - 0.01},{LON + 0.01},{LAT + 0.01}").get_json()
    mine = [f for f in fc["features"] if f["id"] in world["by_id"]]
    shown = set()
    for key, place in world["places"].items():
        resp = client.get(f"/ogc/collections/places/items/{place.id}")
        if resp.status_code == 200:
            shown.add(key)
        else:
            assert resp.status_code in (404, 308, 301), (key, resp.status_code)
    keys = {world["by_id"][f["id"]] for f in mine}
    assert shown == keys, "OGC: items and the list disagree"
    tours = get(client, "/ogc/collections/tours/items?limit=1000").get_json()
    return {"places": keys,
            "audio": {world["by_id"][f["id"]] for f in mine if f["properties"]["has_audio"]},
            "tours": {f["id"] for f in tours["features"]} & ALL_TOURS}


def vector_tiles(client, world):
    x, y = tile_of(LON, LAT, Z)
    for p in world["places"].values():
        assert tile_of(*_lonlat(p), Z) == (x, y), "the fixture's places must share one tile"
    resp = get(client, f"/tiles/places/{Z}/{x}/{y}.mvt")
    layer = mapbox_vector_tile.decode(resp.data)["places"]
    mine = [f for f in layer["features"] if f["id"] in world["by_id"]]
    return {"places": {world["by_id"][f["id"]] for f in mine},
            "audio": {world["by_id"][f["id"]] for f in mine if f["properties"]["has_audio"]}}


def _lonlat(place):
    from geoalchemy2.shape import to_shape

    point = to_shape(place.geom)
    return point.x, point.y


def _feed(client, url):
    feed = feedparser.parse(get(client, url).data)
    assert not feed.bozo, feed.get("bozo_exception")
    return feed


def atom_feeds(client, world):
    shown = {k for e in _feed(client, "/feeds/places.atom").entries for k in keys_in(e.title)}
    theme = {k for e in _feed(client, f"/feeds/themes/{THEME}.atom").entries
             for k in keys_in(e.title)}
    assert theme == shown, "the theme's feed and the places feed disagree"
    tours = {e.link.rsplit("/", 1)[-1] for e in _feed(client, "/feeds/tours.atom").entries}
    return {"places": shown, "tours": tours & ALL_TOURS}


def sitemaps(client, world):
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    index = ElementTree.fromstring(get(client, "/sitemap.xml").data)
    ids = set()
    for loc in index.findall("s:sitemap/s:loc", ns):
        if "/sitemaps/places-" in loc.text:
            doc = ElementTree.fromstring(get(client, loc.text.split("localhost", 1)[-1]).data)
            ids |= {int(e.text.rsplit("/", 1)[-1]) for e in doc.findall("s:url/s:loc", ns)}
    pages = ElementTree.fromstring(get(client, "/sitemaps/pages.xml").data)
    tours = {e.text.rsplit("/", 1)[-1] for e in pages.findall("s:url/s:loc", ns)
             if "/tours/" in e.text}
    return {"places": {world["by_id"][i] for i in ids if i in world["by_id"]},
            "tours": tours & ALL_TOURS}


def offline_packs(client, world):
    shown, media = set(), set()
    for slug in ALL_TOURS:
        resp = client.get(f"/tours/{slug}/offline.json")
        if resp.status_code != 200:
            assert resp.status_code == 404 and slug not in REACHABLE_TOURS, (slug, resp.status_code)
            continue
        pack = resp.get_json()
        shown |= {world["by_id"][int(m.group(1))] for page in pack["pages"]
                  if (m := re.fullmatch(r"/places/(\d+)", page))}
        media |= media_in(json.dumps(pack))
    return {"places": shown, "media": media}


def open_data_export(runner, world, tmp_path):
    result = runner.invoke(args=["export", "open-data", str(tmp_path / "open"),
                                 "--site-url", "https://stadtspur.example"])
    assert result.exit_code == 0, result.output
    fc = json.loads((tmp_path / "open" / "places.geojson").read_text())
    mine = [f for f in fc["features"] if f["id"] in world["by_id"]]
    tours = json.loads((tmp_path / "open" / "tours.geojson").read_text())
    return {"places": {world["by_id"][f["id"]] for f in mine},
            "media": media_in(json.dumps(mine)),
            "audio": {world["by_id"][f["id"]] for f in mine if f["properties"]["has_audio"]},
            "tours": {t["id"] for t in tours["features"]} & ALL_TOURS}


SURFACES = {f.__name__: f for f in (
    html_place_pages, html_theme_page, theme_counts, html_home_page, html_nearby, html_search,
    html_tour_pages, api_places_list, api_place_items, api_tours, ogc_items, vector_tiles,
    atom_feeds, sitemaps, offline_packs,
)}

EXPECTED = {"places": PUBLIC, "media": PUBLIC_MEDIA, "audio": WITH_AUDIO,
            "tours": PUBLISHED_TOURS}


def _compare(name, got):
    problems = []
    for what, shown in got.items():
        expected = EXPECTED[what]
        if shown != expected:
            problems.append(f"{name} {what}: shows {sorted(shown - expected)} it must not, "
                            f"misses {sorted(expected - shown)}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("surface", list(SURFACES))
def test_every_surface_shows_the_same_public_set(client, world, surface):
    _compare(surface, SURFACES[surface](client, world))


def test_open_data_export_shows_the_same_public_set(runner, world, tmp_path):
    _compare("open_data_export", open_data_export(runner, world, tmp_path))


def test_a_loaded_place_agrees_with_the_query(db_session, world):
    """``Place.is_public`` on a loaded row and ``visibility.public_place()`` in SQL."""
    from sqlalchemy import select

    from app.services import visibility

    ids = {p.id for p in world["places"].values()}
    in_sql = set(db_session.scalars(
        select(Place.id).where(Place.id.in_(ids), visibility.public_place())))
    loaded = {p.id for p in world["places"].values() if visibility.is_public_place(p)}
    assert in_sql == loaded == {world["places"][k].id for k in PUBLIC}
    media = db_session.scalars(select(Media).where(Media.place_id.in_(ids))).all()
    sql_media = set(db_session.scalars(
        select(Media.id).join(Place, Place.id == Media.place_id)
        .where(Media.place_id.in_(ids), visibility.public_media(), visibility.public_place())))
    assert {m.id for m in media if visibility.is_public_medium(m)} == sql_media
    assert len(sql_media) == len(PUBLIC_MEDIA)


# --- stories: withdrawn, hidden, rejected and pending stories, and their media --------------

# Stories at the public place "plain", by key; each body carries "Tale<key>" to be found and
# each story's recording a transcript "Tale<key>rec".
STORY_STATES = {"approved": {}, "pending": {"status": "pending"},
                "rejected": {"status": "rejected"}, "hidden": {"hidden_at": True},
                "withdrawn": {"status": "withdrawn", "withdrawn_at": True},
                "changes": {"status": "changes_requested"}}
PUBLIC_TALES = {"approved", "approvedrec"}
_TALE = re.compile(r"Tale([a-z]+)")


def tales_in(text: str) -> set[str]:
    return set(_TALE.findall(text))


@pytest.fixture
def story_world(world, db_session):
    """Further stories in every state at "plain" (each with a photo and a recording with its
    transcript), and the lead story of "photo" withdrawn by its narrator, with a transcribed
    recording: its text, photo and transcript leave, the place stays."""
    from app.models import Story

    now = datetime.now(UTC)
    plain, photo = world["places"]["plain"], world["places"]["photo"]
    author = plain.author
    for place in world["places"].values():  # every place has its lead story
        db_session.add(Story(place_id=place.id, is_lead=True, title=place.title,
                             body=place.body, status="approved", author=author))
    db_session.flush()
    for key, state in STORY_STATES.items():
        kw = {"status": "approved"} | {k: (now if v is True else v) for k, v in state.items()}
        # Every one was published once (as approved, then withdrawn or hidden ones were).
        story = Story(place_id=plain.id, title=f"Tale{key}", body=f"Once: Tale{key}.",
                      author=author, published_at=now, **kw)
        db_session.add(story)
        db_session.flush()
        db_session.add(Media(place_id=plain.id, story_id=story.id, kind="photo",
                             status="approved", storage_key=f"private/vis/s_{key}.jpg",
                             variants={"public": f"vis/m_tale{key}-large.jpg",
                                       "thumb": f"vis/m_tale{key}-thumb.jpg"},
                             size_bytes=100, sha256="0" * 64, mime="image/jpeg",
                             uploader_id=author.id))
        db_session.add(_recording(plain, story, f"m_tale{key}rec", f"Heard: Tale{key}rec."))
    lead = next(s for s in photo.stories if s.is_lead)
    db_session.add(_recording(photo, lead, "m_taleleadrec", "Heard: Talewithdrawnleadrec."))
    lead.body = photo.body = "Withdrawn lead: Talewithdrawnlead."
    lead.status, lead.withdrawn_at = "withdrawn", now
    db_session.flush()
    from app.services.search_index import refresh_search_vector

    for place in world["places"].values():
        refresh_search_vector(place)
    return world


def _recording(place, story, name, transcript):
    return Media(place_id=place.id, story_id=story.id, kind="audio", status="approved",
                 storage_key=f"private/vis/{name}.m4a", variants={"public": f"vis/{name}-.m4a"},
                 size_bytes=100, sha256="0" * 64, mime="audio/mp4", duration_s=5.0,
                 transcript=transcript, uploader_id=place.author_id)


def _tales_of_stories(world, ids) -> set[str]:
    """The keys of the further stories (and the withdrawn lead) among story ``ids``."""
    titles = {s.id: s.title for p in world["places"].values() for s in p.stories}
    return {k for i in ids for k in tales_in(titles.get(i, ""))}


def _story_surfaces(client, runner, world, tmp_path):
    """What each surface shows of the tales (and of their photos and recordings)."""
    plain, photo = world["places"]["plain"], world["places"]["photo"]
    out = {}
    for key in ("plain", "photo"):
        pid = world["places"][key].id
        page = get(client, f"/places/{pid}").get_data(as_text=True)
        out.setdefault("place_page", set()).update(tales_in(page))
        out.setdefault("place_page_media", set()).update(media_in(page))
        item = get(client, f"/api/v1/places/{pid}").get_data(as_text=True)
        out.setdefault("api_item", set()).update(tales_in(item))
        out.setdefault("api_item_media", set()).update(media_in(item))
        ogc = get(client, f"/ogc/collections/places/items/{pid}").get_data(as_text=True)
        out.setdefault("ogc_item", set()).update(tales_in(ogc))
    feed = feedparser.parse(get(client, "/feeds/places.atom").data)
    out["atom"] = {t for e in feed.entries
                   for t in tales_in(json.dumps(e.get("content", [])) + e.get("summary", ""))}
    stories_feed = _feed(client, "/feeds/stories.atom")
    out["atom_stories"] = {t for e in stories_feed.entries
                           for t in tales_in(e.title + json.dumps(e.get("content", [])))}
    out["atom_stories_links"] = _tales_of_stories(
        world, {int(e.link.rsplit("/", 1)[-1]) for e in stories_feed.entries})
    # OGC: the stories collection around the fixture, and every story as a single item.
    fc = get(client, f"/ogc/collections/stories/items?limit=1000&bbox="
                     f"{LON - 0.01},{LAT - 0.01},{LON + 0.01},{LAT + 0.01}").get_data(as_text=True)
    out["ogc_stories"] = tales_in(fc)
    single = set()
    for story in [s for p in world["places"].values() for s in p.stories]:
        resp = client.get(f"/ogc/collections/stories/items/{story.id}")
        if resp.status_code == 200:
            single |= tales_in(resp.get_data(as_text=True))
        else:
            assert resp.status_code == 404, (story.title, resp.status_code)
    out["ogc_story_items"] = single
    # The stories API: the list around the fixture, words (transcripts too), single stories.
    box = f"{LON - 0.01},{LAT - 0.01},{LON + 0.01},{LAT + 0.01}"
    out["api_stories"] = tales_in(get(client, f"/api/v1/stories?limit=1000&bbox={box}")
                                  .get_data(as_text=True))
    words = set()
    for key in [k + rec for k in list(STORY_STATES) + ["withdrawnlead"] for rec in ("", "rec")]:
        fc = get(client, f"/api/v1/stories?q=Tale{key}").get_json()
        words |= _tales_of_stories(world, {f["id"] for f in fc["features"]})
    out["api_stories_q"] = words
    single, single_media = set(), set()
    for story in [s for p in world["places"].values() for s in p.stories]:
        resp = client.get(f"/api/v1/stories/{story.id}")
        if resp.status_code == 200:
            single |= tales_in(resp.get_data(as_text=True))
            single_media |= media_in(resp.get_data(as_text=True))
        else:
            assert resp.status_code == 404, (story.title, resp.status_code)
    out["api_story_items"] = single
    out["api_story_items_media"] = single_media
    found = set()
    for key in [k + rec for k in list(STORY_STATES) + ["withdrawnlead"] for rec in ("", "rec")]:
        html = get(client, f"/search?q=Tale{key}").get_data(as_text=True)
        if {"plain", "photo"} & keys_in(html):
            found.add(key)
        out.setdefault("search_links", set()).update(_tales_of_stories(
            world, {int(i) for i in re.findall(r"/stories/(\d+)", html)}))
    out["search"] = found
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    index = ElementTree.fromstring(get(client, "/sitemap.xml").data)
    listed = set()
    for loc in index.findall("s:sitemap/s:loc", ns):
        if "/sitemaps/stories-" in loc.text:
            doc = ElementTree.fromstring(get(client, loc.text.split("localhost", 1)[-1]).data)
            listed |= {int(e.text.rsplit("/", 1)[-1]) for e in doc.findall("s:url/s:loc", ns)}
    out["sitemap_stories"] = _tales_of_stories(world, listed)
    packs = set()
    for slug in REACHABLE_TOURS:
        pack = get(client, f"/tours/{slug}/offline.json").get_data(as_text=True)
        packs |= tales_in(pack) | _tales_of_stories(
            world, {int(i) for i in re.findall(r"/stories/(\d+)", pack)})
    out["offline_packs"] = packs
    result = runner.invoke(args=["export", "open-data", str(tmp_path / "open"),
                                 "--site-url", "https://stadtspur.example"])
    assert result.exit_code == 0, result.output
    out["open_data"] = tales_in((tmp_path / "open" / "places.geojson").read_text())
    out["open_data_stories"] = tales_in((tmp_path / "open" / "stories.geojson").read_text())
    assert plain.id and photo.id
    return out


def test_withdrawn_hidden_rejected_and_pending_stories_leave_every_surface(
        client, runner, story_world, tmp_path):
    got = _story_surfaces(client, runner, story_world, tmp_path)
    problems = []
    for surface, shown in got.items():
        if surface.endswith("_media"):
            bad = {m for m in shown if m.startswith("m_tale")
                   and m not in ("m_taleapproved", "m_taleapprovedrec")}
            if bad:
                problems.append(f"{surface} shows media of non-public stories: {sorted(bad)}")
            continue
        if shown - PUBLIC_TALES:
            problems.append(f"{surface} shows {sorted(shown - PUBLIC_TALES)}")
    assert "approved" in got["place_page"] and "m_taleapproved" in got["place_page_media"]
    assert {"approved", "approvedrec"} <= got["search"]
    assert got["search_links"] == {"approved"}  # the matching story is linked, by either
    for surface in ("atom_stories", "atom_stories_links", "ogc_stories", "sitemap_stories",
                    "open_data_stories"):
        assert "approved" in got[surface], surface
    assert {"approved", "approvedrec"} <= got["ogc_story_items"]
    assert "approved" in got["api_stories"] and got["api_stories_q"] == {"approved"}
    assert {"approved", "approvedrec"} <= got["api_story_items"]
    assert {"m_taleapproved", "m_taleapprovedrec"} <= got["api_story_items_media"]
    assert "approvedrec" in got["open_data_stories"]
    assert not problems, "\n".join(problems)


def test_tiles_count_only_the_public_stories(client, story_world):
    """"plain": its lead story and the one approved further story; "photo": its lead story
    was withdrawn, so none."""
    x, y = tile_of(LON, LAT, Z)
    layer = mapbox_vector_tile.decode(get(client, f"/tiles/places/{Z}/{x}/{y}.mvt").data)
    counts = {story_world["by_id"][f["id"]]: f["properties"]["story_count"]
              for f in layer["places"]["features"] if f["id"] in story_world["by_id"]}
    assert counts["plain"] == 2 and counts["photo"] == 0
    others = {k: n for k, n in counts.items() if k not in ("plain", "photo")}
    assert others == dict.fromkeys(PUBLIC - {"plain", "photo"}, 1)
