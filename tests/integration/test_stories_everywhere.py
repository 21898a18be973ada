"""Stories on the open-data surfaces: the OGC API Features ``stories`` collection (JSON, HTML
and read by GDAL), ``story_count`` in the vector tiles, the Atom feeds of new stories, search
(story text and recordings' transcripts, linking the story that matched), the story sitemaps
and ``flask export open-data``. Only public stories come out; pending, changes requested,
rejected, hidden and withdrawn ones, and stories at a hidden place, never do."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

import feedparser
import mapbox_vector_tile
import pytest
from geoalchemy2.shape import from_shape
from shapely.geometry import Point

from tests.conftest import LiveServer, make_test_app

LON, LAT = 8.7240, 47.5000
OTHER = (8.7300, 47.5030)
NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
# Further stories at the public place, by key: only "told" and "memory" are public.
STATES = {
    "told": {"era": (1960, 1969, "decade"), "kind": "memory"},
    "memory": {"era": (1912, 1912, "year"), "kind": "history", "licence": "CC-BY-4.0"},
    "pending": {"status": "pending"},
    "changes": {"status": "changes_requested"},
    "rejected": {"status": "rejected"},
    "hidden": {"hidden_at": True},
    "withdrawn": {"status": "withdrawn", "withdrawn_at": True},
}
PUBLIC = {"told", "memory"}


def build(session) -> dict:
    """A public place with its lead story and further stories in every state (each with a
    recording whose transcript names it), and a hidden place with an approved story."""
    from app.models import Media, Place, Story, Theme, User

    now = datetime.now(UTC)
    author = User(email="story-author@example.org", display_name="Sina Story", role="resident")
    helper = User(email="story-helper@example.org", display_name="Hugo Helper", role="resident")
    theme = Theme(slug="story-theme", name_de="Geschichten", name_en="Stories")
    session.add_all([author, helper, theme])
    session.flush()

    def place(key, lon, lat, **kw):
        p = Place(slug=f"sp-{key}", title=f"Storyplace {key}", summary="", body="Lead text.",
                  author=author, credit_name="Sina Story", status="approved",
                  published_at=now, geom=from_shape(Point(lon, lat), srid=4326),
                  themes=[theme], **kw)
        session.add(p)
        session.flush()
        session.add(Story(place_id=p.id, is_lead=True, title=p.title, body=p.body,
                          status="approved", author=author, credit_name="Sina Story",
                          published_at=now - timedelta(days=30)))
        return p

    open_place = place("open", LON, LAT)
    hidden_place = place("hidden", *OTHER, hidden_at=now, hidden_reason="curator")
    stories = {}
    for n, (key, spec) in enumerate(STATES.items()):
        state = {k: (now if v is True else v) for k, v in spec.items()
                 if k in ("status", "hidden_at", "withdrawn_at")}
        era = spec.get("era")
        story = Story(
            place_id=open_place.id, title=f"Tale {key}", body=f"Once upon a time: zq{key}.",
            kind=spec.get("kind", "memory"), language="en", licence=spec.get("licence",
                                                                             "CC-BY-SA-4.0"),
            era_start=era[0] if era else None, era_end=era[1] if era else None,
            era_precision=era[2] if era else None, author=author,
            author_name="Olga Oral" if key == "told" else None,
            helper_id=helper.id if key == "told" else None,
            credit_name="" if key == "told" else "Sina Story",
            published_at=now - timedelta(days=n) if key in PUBLIC else None,
            **({"status": "approved"} | state))
        session.add(story)
        session.flush()
        session.add(Media(place_id=open_place.id, story_id=story.id, kind="audio",
                          status="approved", storage_key=f"private/st/{key}.m4a",
                          variants={"public": f"st/{key}.m4a"}, size_bytes=100,
                          sha256="0" * 64, mime="audio/mp4", duration_s=5.0,
                          transcript=f"Heard on tape: zt{key}.", uploader_id=author.id))
        stories[key] = story
    at_hidden = Story(place_id=hidden_place.id, title="Tale athidden",
                      body="Once: zqathidden.", status="approved", author=author,
                      published_at=now)
    session.add(at_hidden)
    session.flush()
    stories["athidden"] = at_hidden
    from app.services.search_index import refresh_search_vector

    refresh_search_vector(open_place)
    refresh_search_vector(hidden_place)
    return {"open": open_place, "hidden": hidden_place, "stories": stories, "theme": theme,
            "by_id": {s.id: k for k, s in stories.items()}}


@pytest.fixture
def world(db_session):
    return build(db_session)


def keys(world, features) -> set[str]:
    return {world["by_id"][f["id"]] for f in features if f["id"] in world["by_id"]}


def links(doc: dict) -> dict[str, str]:
    return {link["rel"]: link["href"] for link in doc["links"]}


# --- OGC API Features -------------------------------------------------------------------------


def test_the_stories_collection_is_listed_with_its_licence_and_extent(client, world):
    cols = client.get("/ogc/collections").get_json()
    assert [c["id"] for c in cols["collections"]] == ["places", "stories", "tours"]
    doc = client.get("/ogc/collections/stories").get_json()
    assert links(doc)["items"].endswith("/ogc/collections/stories/items")
    assert "licenses/by-sa/4.0" in links(doc)["license"]
    assert doc["extent"]["spatial"]["bbox"][0][0] <= LON


def test_items_are_the_public_stories_at_their_place(client, world):
    resp = client.get("/ogc/collections/stories/items?limit=1000")
    assert resp.status_code == 200 and resp.mimetype == "application/geo+json"
    fc = resp.get_json()
    assert keys(world, fc["features"]) == PUBLIC
    told = next(f for f in fc["features"] if f["id"] == world["stories"]["told"].id)
    assert told["geometry"] == {"type": "Point", "coordinates": [LON, LAT]}
    assert told["time"] == {"interval": ["1960-01-01", "1969-12-31"]}
    props = told["properties"]
    assert props["start_datetime"] == "1960-01-01T00:00:00Z"
    assert props["end_datetime"] == "1969-12-31T23:59:59Z"
    assert props["era"] == {"start": 1960, "end": 1969, "precision": "decade"}
    assert props | {"url": ""} == props | {
        "title": "Tale told", "kind": "memory", "language": "en", "credit": "Olga Oral",
        "told_on_behalf": True, "licence": "CC-BY-SA-4.0", "place_id": world["open"].id,
        "url": ""}
    assert props["url"].endswith(f"/stories/{world['stories']['told'].id}")
    # The list carries no text: that is the single item's.
    assert "body" not in props
    memory = next(f for f in fc["features"] if f["id"] == world["stories"]["memory"].id)
    assert memory["properties"]["licence"] == "CC-BY-4.0"
    lead = [f for f in fc["features"] if f["properties"]["place_id"] == world["open"].id
            and f["id"] not in world["by_id"]]
    assert len(lead) == 1 and lead[0]["time"] is None  # the lead story, without an era


def test_datetime_selects_stories_by_era_and_bbox_by_place(client, world):
    def got(query):
        resp = client.get(f"/ogc/collections/stories/items?limit=1000&{query}")
        assert resp.status_code == 200, resp.data
        return keys(world, resp.get_json()["features"])

    assert got("datetime=1965-06-01T00:00:00Z") == {"told"}
    assert got("datetime=1900-01-01/1913-01-01") == {"memory"}
    assert got("datetime=../1950-01-01") == {"memory"}
    assert got("datetime=1970-01-01/..") == set()
    assert got(f"bbox={LON - 0.001},{LAT - 0.001},{LON + 0.001},{LAT + 0.001}") == PUBLIC
    assert got(f"bbox={OTHER[0] - 0.001},{OTHER[1] - 0.001},{OTHER[0] + 0.001},"
               f"{OTHER[1] + 0.001}") == set()
    # A big box is walked in id order, a small one found by the places' index: same stories.
    assert got("bbox=5.9,45.8,10.5,47.9") == PUBLIC
    assert got("bbox=5.9,45.8,10.5,47.9&datetime=1965-01-01") == {"told"}


def test_items_paging(client, world):
    ids, url = [], "/ogc/collections/stories/items?limit=1"
    while url:
        page = client.get(url).get_json()
        ids += [f["id"] for f in page["features"]]
        url = links(page).get("next", "").replace("http://localhost", "") or None
    assert page["numberMatched"] == len(ids) and ids == sorted(ids)
    assert {world["by_id"].get(i) for i in ids} >= PUBLIC
    box = f"bbox={LON - 0.001},{LAT - 0.001},{LON + 0.001},{LAT + 0.001}"
    first = client.get(f"/ogc/collections/stories/items?limit=2&{box}").get_json()
    second = client.get(f"/ogc/collections/stories/items?limit=2&offset=2&{box}").get_json()
    boxed = [f["id"] for f in first["features"] + second["features"]]
    assert boxed == sorted(boxed) and len(boxed) == len(PUBLIC) + 1  # and the lead story
    assert second["numberMatched"] == 3 and "next" not in links(second)


def test_a_single_story_has_its_text_and_public_recordings_with_transcripts(client, world):
    told = world["stories"]["told"]
    resp = client.get(f"/ogc/collections/stories/items/{told.id}")
    assert resp.status_code == 200 and resp.mimetype == "application/geo+json"
    feature = resp.get_json()
    assert feature["properties"]["body"] == "Once upon a time: zqtold."
    [medium] = feature["properties"]["media"]
    assert medium["kind"] == "audio" and medium["transcript"] == "Heard on tape: zttold."
    assert {"self", "collection", "alternate"} <= set(links(feature))


@pytest.mark.parametrize("key", sorted(set(STATES) - PUBLIC) + ["athidden"])
def test_a_story_that_is_not_public_is_404(client, world, key):
    resp = client.get(f"/ogc/collections/stories/items/{world['stories'][key].id}")
    assert resp.status_code == 404
    assert resp.get_json()["error"]["message"] == "No public story with this id."


@pytest.mark.parametrize("fid", ["abc", "1.5", "-3", "²", "9" * 30])
def test_story_ids_that_are_not_numbers_are_404(client, world, fid):
    assert client.get(f"/ogc/collections/stories/items/{fid}").status_code == 404


@pytest.mark.parametrize("query", ["limit=0", "offset=-1", "bbox=1,2,3", "datetime=never",
                                   "datetime=2020-01-02/2020-01-01", "kind=memory"])
def test_bad_story_item_parameters_are_400(client, world, query):
    resp = client.get("/ogc/collections/stories/items?" + query)
    assert resp.status_code == 400 and resp.get_json()["error"]["message"]


def test_html_pages_of_the_stories_collection(client, world):
    en = {"Accept-Language": "en"}
    page = client.get("/ogc/collections/stories/items?f=html", headers=en)
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "Tale told" in html and "Tale memory" in html and "Tale pending" not in html
    assert "List of stories" in html and "Olga Oral" in html
    one = client.get(f"/ogc/collections/stories/items/{world['stories']['told'].id}?f=html",
                     headers=en).get_data(as_text=True)
    assert "Go to the story&#39;s page" in one or "Go to the story's page" in one
    assert "Heard on tape: zttold." in one and "the 1960s" in one
    de = client.get("/ogc/collections/stories?f=html", headers={"Accept-Language": "de"})
    assert "Geschichten aus" in de.get_data(as_text=True)
    assert client.get(f"/ogc/collections/stories/items/{world['stories']['hidden'].id}?f=html"
                      ).status_code == 404


# --- GDAL reads the stories collection -------------------------------------------------------


@pytest.fixture(scope="module")
def stories_server(clone_db):
    app = make_test_app(clone_db("ogc-stories"))
    with app.app_context():
        from app.extensions import db

        data = build(db.session)
        public = {s.id: s.title for k, s in data["stories"].items() if k in PUBLIC}
        db.session.commit()
    with LiveServer(app) as server:
        yield server.url, public
    with app.app_context():
        from app.extensions import db

        db.engine.dispose()


@pytest.mark.skipif(shutil.which("ogr2ogr") is None, reason="gdal-bin is in system_deps")
def test_gdal_reads_the_public_stories(stories_server):
    url, public = stories_server
    out = subprocess.run(
        ["ogr2ogr", "-preserve_fid", "-f", "GeoJSON", "/vsistdout/", f"OAPIF:{url}/ogc",
         "stories"], capture_output=True, text=True, timeout=120, check=True)
    features = json.loads(out.stdout)["features"]
    got = {f["id"]: f["properties"]["title"] for f in features}
    # Every public story (the two further ones and the open place's lead story), no other.
    assert set(public.items()) <= set(got.items()) and len(got) == len(public) + 1
    told = next(f for f in features if f["properties"]["title"] == "Tale told")
    assert told["geometry"]["coordinates"] == pytest.approx([LON, LAT])
    assert told["properties"]["licence"] == "CC-BY-SA-4.0"
    assert told["properties"]["start_datetime"].startswith("1960-01-01")


# --- tiles ------------------------------------------------------------------------------------


def tile_of(lon, lat, z):
    n = 2**z
    return (int((lon + 180) / 360 * n),
            int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n))


@pytest.mark.parametrize("z", [14, 10])
def test_tiles_carry_the_count_of_public_stories(client, world, z):
    x, y = tile_of(LON, LAT, z)
    layer = mapbox_vector_tile.decode(client.get(f"/tiles/places/{z}/{x}/{y}.mvt").data)["places"]
    mine = {f["id"]: f["properties"] for f in layer["features"]}
    # The lead story and the two public further stories.
    assert mine[world["open"].id]["story_count"] == 3
    assert world["hidden"].id not in mine
    fields = client.get("/tiles/places.json").get_json()["vector_layers"][0]["fields"]
    assert "story_count" in fields


def test_a_withdrawn_story_leaves_the_tile_count(client, world, db_session):
    from app.services.stories import withdraw_story

    withdraw_story(world["stories"]["told"].author, world["stories"]["told"].id)
    x, y = tile_of(LON, LAT, 14)
    layer = mapbox_vector_tile.decode(client.get(f"/tiles/places/14/{x}/{y}.mvt").data)["places"]
    assert {f["id"]: f["properties"]["story_count"]
            for f in layer["features"]}[world["open"].id] == 2


# --- feeds ------------------------------------------------------------------------------------


def feed(client, url):
    resp = client.get(url, headers={"Accept-Language": "en"})
    assert resp.status_code == 200 and resp.mimetype == "application/atom+xml"
    parsed = feedparser.parse(resp.data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


def test_the_stories_feed_has_one_entry_per_new_public_story(client, world):
    parsed = feed(client, "/feeds/stories.atom")
    by_title = {e.title: e for e in parsed.entries}
    assert {t for t in by_title if t.startswith("Tale")} == {f"Tale {k}" for k in PUBLIC}
    told = by_title["Tale told"]
    assert told.link.endswith(f"/stories/{world['stories']['told'].id}")
    assert told.id == told.link
    assert told.author == "Olga Oral"  # the narrator, not the helper who typed it
    assert told.rights == "CC BY-SA 4.0" and by_title["Tale memory"].rights == "CC BY 4.0"
    assert "zqtold" in told.content[0].value
    assert told.summary == "A story of Storyplace open"
    assert told.tags[0].term == "memory"
    assert told.where.coordinates == pytest.approx((LON, LAT))
    # Newest first: "told" was approved a day after "memory".
    titles = [e.title for e in parsed.entries]
    assert titles.index("Tale told") < titles.index("Tale memory")
    theme = feed(client, "/feeds/themes/story-theme/stories.atom")
    assert {e.title for e in theme.entries if e.title.startswith("Tale")} == {
        f"Tale {k}" for k in PUBLIC}
    assert client.get("/feeds/themes/no-such-theme/stories.atom").status_code == 404


def test_the_existing_feed_addresses_keep_working(client, world):
    for url in ("/feeds/places.atom", "/feeds/themes/story-theme.atom", "/feeds/tours.atom"):
        feed(client, url)


# --- search -----------------------------------------------------------------------------------


def found(client, q) -> dict:
    """Place id -> the matching story's link (or None) in the search results for ``q``."""
    import re

    html = client.get(f"/search?q={q}", headers={"Accept-Language": "en"}).get_data(
        as_text=True)
    out = {}
    for item in re.findall(r"<li><a href=\"/places/(\d+)\">.*?</li>", html, re.S):
        out[int(item)] = None
    for pid, story in re.findall(
            r"<li><a href=\"/places/(\d+)\">(?:(?!</li>).)*?href=\"/stories/(\d+)\"", html,
            re.S):
        out[int(pid)] = int(story)
    return out


def test_search_finds_public_stories_and_transcripts_and_links_the_story(client, world):
    stories, pid = world["stories"], world["open"].id
    assert found(client, "zqtold") == {pid: stories["told"].id}
    assert found(client, "zttold") == {pid: stories["told"].id}
    html = client.get("/search?q=zttold", headers={"Accept-Language": "en"}).get_data(
        as_text=True)
    assert "Found in the transcript of a recording of the story" in html
    assert found(client, "zqmemory") == {pid: stories["memory"].id}
    for key in sorted(set(STATES) - PUBLIC) + ["athidden"]:
        assert found(client, f"zq{key}") == {}, key
        assert found(client, f"zt{key}") == {}, key


def test_a_withdrawn_story_leaves_search_at_once(client, world):
    from app.services.stories import withdraw_story

    story = world["stories"]["told"]
    withdraw_story(story.author, story.id)
    assert found(client, "zqtold") == {}
    assert found(client, "zttold") == {}


def test_a_recording_hidden_by_reports_leaves_search_at_once_and_comes_back(
        client, world, app, curator):
    """Reports hide a recording (three reporters), a curator shows it again: its transcript
    leaves the search and returns with it, the story's own text stays found."""
    from app.services import flags

    memory = world["stories"]["memory"]
    medium = next(m for m in memory.media if m.kind == "audio")
    pid = world["open"].id
    assert found(client, "ztmemory") == {pid: memory.id}
    app.config["FLAG_HIDE_THRESHOLD"] = 1
    with app.test_request_context():
        flags.create_flag(None, media_id=medium.id, reason="wrong", remote_addr="192.0.2.7")
    assert medium.hidden_at is not None
    assert found(client, "ztmemory") == {}
    assert found(client, "zqmemory") == {pid: memory.id}
    flags.unhide(curator, "media", medium.id)
    assert found(client, "ztmemory") == {pid: memory.id}


def test_a_transcript_written_later_is_found_at_once_and_leaves_when_removed(client, world,
                                                                             curator):
    from app.services.transcripts import set_transcript

    memory = world["stories"]["memory"]
    medium = next(m for m in memory.media if m.kind == "audio")
    assert found(client, "zlater") == {}
    set_transcript(curator, medium.id, "Typed afterwards: zlater.")
    assert found(client, "zlater") == {world["open"].id: memory.id}
    set_transcript(curator, medium.id, "")
    assert found(client, "zlater") == {}


# --- sitemaps ---------------------------------------------------------------------------------


def test_sitemaps_list_the_public_story_pages(client, world):
    index = ElementTree.fromstring(client.get("/sitemap.xml").data)
    locs = [e.text for e in index.findall("s:sitemap/s:loc", NS)]
    story_maps = [loc for loc in locs if "/sitemaps/stories-" in loc]
    assert story_maps
    ids = set()
    for loc in story_maps:
        resp = client.get(loc.split("localhost", 1)[-1])
        assert resp.status_code == 200 and resp.headers["ETag"]
        doc = ElementTree.fromstring(resp.data)
        ids |= {int(e.text.rsplit("/", 1)[-1]) for e in doc.findall("s:url/s:loc", NS)}
    assert {world["by_id"][i] for i in ids if i in world["by_id"]} == PUBLIC
    assert client.get("/sitemaps/stories-999.xml").status_code == 404


def test_story_sitemaps_are_split_by_id_range(client, world, monkeypatch, db_session):
    from sqlalchemy import select

    from app.models import Place, Story
    from app.services import sitemap, visibility

    monkeypatch.setattr(sitemap, "CHUNK", 2)
    public = db_session.scalars(select(Story.id).join(Place, Place.id == Story.place_id)
                                .where(visibility.public_story())).all()
    chunks = sorted({i // 2 for i in public})
    index = ElementTree.fromstring(client.get("/sitemap.xml").data)
    listed = [e.text for e in index.findall("s:sitemap/s:loc", NS) if "/stories-" in e.text]
    assert listed == [f"http://localhost/sitemaps/stories-{n}.xml" for n in chunks]
    # Ranges that hold only stories nobody may see are neither listed nor answered.
    hidden = {world["stories"][k].id // 2 for k in STATES if k not in PUBLIC} - set(chunks)
    assert hidden
    for n in hidden:
        assert client.get(f"/sitemaps/stories-{n}.xml").status_code == 404


# --- open data --------------------------------------------------------------------------------


def test_open_data_writes_the_public_stories_with_their_licences(runner, world, tmp_path):
    result = runner.invoke(args=["export", "open-data", str(tmp_path / "o"),
                                 "--site-url", "https://stadtspur.example"])
    assert result.exit_code == 0, result.output
    assert "stories" in result.output
    fc = json.loads((tmp_path / "o" / "stories.geojson").read_text())
    mine = [f for f in fc["features"] if f["id"] in world["by_id"]]
    assert keys(world, mine) == PUBLIC
    told = next(f for f in mine if f["id"] == world["stories"]["told"].id)
    assert told["properties"]["licence"] == "CC-BY-SA-4.0"
    assert told["properties"]["credit"] == "Olga Oral"
    assert told["properties"]["url"] == f"https://stadtspur.example/stories/{told['id']}"
    assert told["properties"]["media"][0]["transcript"] == "Heard on tape: zttold."
    text = (tmp_path / "o" / "stories.geojson").read_text()
    for key in sorted(set(STATES) - PUBLIC) + ["athidden"]:
        assert f"zq{key}" not in text and f"zt{key}" not in text
    package = json.loads((tmp_path / "o" / "datapackage.json").read_text())
    stories = next(r for r in package["resources"] if r["name"] == "stories")
    assert stories["count"] == len(fc["features"])
    assert "CC-BY-4.0" in {lic["name"] for lic in package["licenses"]}
    assert "stories.geojson" in (tmp_path / "o" / "LICENCE.md").read_text()
    # The places stay CC0 as before.
    places = json.loads((tmp_path / "o" / "places.geojson").read_text())
    assert places["features"] and all(f["properties"]["data_licence"] == "CC0-1.0"
                                      for f in places["features"])
