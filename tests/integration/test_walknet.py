"""The walking network on a real OpenStreetMap extract (central Helsinki, see
tests/walknet_data.py): import, routes on foot and step-free, snapping, the cost matrix and
stop order, the leg cache, and tours routed on the network."""

from __future__ import annotations

import itertools
import math

import pytest
from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import text

from tests.conftest import make_test_app
from tests.walknet_data import (
    AT_SEA,
    CATHEDRAL,
    CATHEDRAL_STEPS_WAY,
    HELSINKI_AREA,
    RAILWAY_STATION,
    SENATE_SQUARE,
    helsinki_pbf,
)


def _geodesic_m(a, b) -> float:
    from geo.measure import GEOD

    return float(GEOD.line_length([a[0], b[0]], [a[1], b[1]]))


def import_helsinki():
    """Load the extract the way ``flask walknet import`` does: staging, commit, swap, commit."""
    from app.extensions import db
    from app.services import walknet
    from app.services.tours.routes import reroute_network_tours

    staged = walknet.load_staging(helsinki_pbf())
    db.session.commit()
    report = walknet.swap_in(staged)
    if not report.unchanged:
        reroute_network_tours()
    db.session.commit()
    return report


@pytest.fixture(scope="module")
def helsinki_app(clone_db):
    app = make_test_app(clone_db("walk"), SERVICE_AREA=HELSINKI_AREA)
    with app.app_context():
        from app.extensions import db

        app.walk_report = import_helsinki()
        db.session.remove()
    yield app
    with app.app_context():
        from app.extensions import db

        db.engine.dispose()


@pytest.fixture
def app(helsinki_app):
    return helsinki_app


@pytest.fixture
def network(db_session):
    from app.services.walknet import active_network

    return active_network()


def test_import_counts(helsinki_app, db_session):
    counts = helsinki_app.walk_report.counts
    assert counts["edges"] > 1000
    edges, short = db_session.execute(text(
        "SELECT count(*), count(*) FILTER (WHERE length_m <= 0) FROM walknet_edges")).one()
    assert edges == counts["edges"] and short == 0
    assert counts["foot_main_component_edges"] >= 0.9 * counts["foot_edges"]
    vertices = db_session.scalar(text("SELECT count(*) FROM walknet_vertices"))
    assert vertices == counts["vertices"]
    missing = db_session.scalar(text("""
        SELECT count(*) FROM walknet_edges e WHERE NOT EXISTS
          (SELECT 1 FROM walknet_vertices v WHERE v.id = e.source)
          OR NOT EXISTS (SELECT 1 FROM walknet_vertices v WHERE v.id = e.target)"""))
    assert missing == 0


def test_reimport_gives_the_same_network(helsinki_app, db_session, network):
    before = db_session.execute(text(
        "SELECT count(*), sum(length_m), sum(cost_foot) FROM walknet_edges")).one()
    from app.services import walknet

    staged = walknet.load_staging(helsinki_pbf())
    assert staged.unchanged
    report = walknet.swap_in(staged)
    assert report.unchanged and report.network_id == network.id
    assert report.counts["edges"] == helsinki_app.walk_report.counts["edges"]
    after = db_session.execute(text(
        "SELECT count(*), sum(length_m), sum(cost_foot) FROM walknet_edges")).one()
    assert tuple(after) == tuple(before)


def test_a_changed_network_is_swapped_in_and_old_legs_dropped(db_session, network):
    """Forcing a fresh load of the same file: a new version, the same counts, and the legs
    cached on the old version are gone (all in the test's transaction, rolled back after)."""
    from app.services import walknet
    from app.services.walknet.routing import route_legs

    route_legs([RAILWAY_STATION, SENATE_SQUARE], "foot", network)
    staged = walknet.load_staging(helsinki_pbf())
    staged.unchanged = False
    db_session.execute(text("""
        INSERT INTO walknet_edges_staging SELECT * FROM walknet_edges;
        INSERT INTO walknet_vertices_staging SELECT * FROM walknet_vertices"""))
    staged.digest = "forced"
    report = walknet.swap_in(staged)
    assert report.network_id != network.id
    assert walknet.active_network().id == report.network_id
    assert db_session.scalar(text("SELECT count(*) FROM walknet_edges")) == staged.counts["edges"]
    assert db_session.scalar(text(
        "SELECT count(*) FROM walknet_legs WHERE network_id <> :n"), {"n": report.network_id}) == 0


def _assert_joined(coords, tolerance_m=0.5):
    """No gaps: every inner point of the line lies on an edge of the network."""
    from app.extensions import db

    inner = coords[1:-1]
    far = db.session.scalar(text("""
        SELECT count(*) FROM unnest(CAST(:xs AS float8[]), CAST(:ys AS float8[])) AS p(x, y)
        WHERE NOT EXISTS (SELECT 1 FROM walknet_edges e
            WHERE ST_DWithin(e.geom::geography,
                             ST_SetSRID(ST_MakePoint(p.x, p.y), 4326)::geography, :tol))"""),
        {"xs": [c[0] for c in inner], "ys": [c[1] for c in inner], "tol": tolerance_m})
    assert far == 0


def test_station_to_senate_square(network):
    from app.services.walknet.routing import route_leg

    straight = _geodesic_m(RAILWAY_STATION, SENATE_SQUARE)
    for mode in ("foot", "step_free"):
        leg = route_leg(RAILWAY_STATION, SENATE_SQUARE, mode, network)
        assert leg["status"] == "ok"
        assert straight <= leg["length_m"] <= 2 * straight * (1.2 if mode == "step_free" else 1)
        assert _geodesic_m(leg["coordinates"][0], RAILWAY_STATION) < 5
        assert _geodesic_m(leg["coordinates"][-1], SENATE_SQUARE) < 5
        assert max(leg["snap_m"]) <= 75
        _assert_joined(leg["coordinates"])


def _way_tags(way_ids):
    from app.extensions import db

    rows = db.session.execute(text(
        "SELECT DISTINCT osm_way_id, highway, conveying FROM walknet_edges "
        "WHERE osm_way_id = ANY(:ids)"), {"ids": list(way_ids)}).all()
    return {r[0]: (r[1], r[2]) for r in rows}


def test_senate_square_to_cathedral(network):
    from app.services.walknet.routing import route_leg

    foot = route_leg(SENATE_SQUARE, CATHEDRAL, "foot", network)
    assert foot["status"] == "ok"
    # the shortest way up is the cathedral steps, and the leg counts them
    assert CATHEDRAL_STEPS_WAY in foot["ways"]
    assert foot["steps"] >= 46 and foot["flights"] >= 1
    step_free = route_leg(SENATE_SQUARE, CATHEDRAL, "step_free", network)
    if step_free["status"] == "ok":
        tags = _way_tags(step_free["ways"])
        assert all(highway != "steps" and not conveying for highway, conveying in tags.values())
        assert step_free["steps"] == 0 and step_free["flights"] == 0
        assert step_free["length_m"] >= foot["length_m"]
    else:
        assert step_free["status"] == "no_route"


def test_no_route_uses_closed_ways(network):
    """foot=no and access=private (without a foot permission) ways never carry a route: they
    are not in the network at all, and routes between many places in the extract avoid them."""
    from app.extensions import db
    from app.services.walknet.routing import route_leg
    from geo.osmnet import read_ways

    ways, _nodes = read_ways(helsinki_pbf())
    kept = {w.id for w in ways}
    closed = db.session.scalar(text(
        "SELECT count(*) FROM walknet_edges WHERE foot IN ('no', 'private') OR "
        "(access IN ('no', 'private') AND coalesce(foot, '') NOT IN "
        "('yes', 'designated', 'permissive', 'official'))"))
    assert closed == 0
    places = [RAILWAY_STATION, SENATE_SQUARE, CATHEDRAL, (24.9450, 60.1680), (24.9380, 60.1700)]
    for a, b in itertools.permutations(places, 2):
        leg = route_leg(a, b, "foot", network)
        assert leg["status"] == "ok"
        assert set(leg["ways"]) <= kept


def test_a_stop_at_sea_is_off_network(network):
    from app.services.walknet.routing import route_leg, snap

    assert snap(*AT_SEA, "foot", network) is None
    leg = route_leg(AT_SEA, SENATE_SQUARE, "foot", network)
    assert leg["status"] == "off_network"
    assert leg["coordinates"] == [list(AT_SEA), list(SENATE_SQUARE)]
    assert leg["length_m"] == pytest.approx(_geodesic_m(AT_SEA, SENATE_SQUARE), abs=0.2)


STOPS = [RAILWAY_STATION, SENATE_SQUARE, CATHEDRAL, (24.9450, 60.1680), (24.9380, 60.1700),
         (24.9470, 60.1740), (24.9400, 60.1670), (24.9500, 60.1720)]


def _cost(matrix, order):
    return sum(matrix[order[k]][order[k + 1]] for k in range(len(order) - 1))


@pytest.mark.parametrize("count", [3, 5, 7])
def test_network_order_is_never_longer_and_equals_brute_force(network, count):
    from app.services.tours.routes import network_order
    from app.services.walknet.routing import cost_matrix

    points = STOPS[:count]
    matrix, unreachable = cost_matrix(points, "foot", network)
    assert unreachable == []
    order, before, after, _ = network_order(points, "foot", keep_start=True, keep_end=False)
    assert after <= before
    assert order[0] == 0 and sorted(order) == list(range(count))
    best = min(_cost(matrix, [0, *rest]) for rest in itertools.permutations(range(1, count)))
    assert _cost(matrix, order) == pytest.approx(best)
    order, _b, _a, _ = network_order(points, "foot", keep_start=True, keep_end=True)
    assert order[0] == 0 and order[-1] == count - 1
    best_fixed = min(_cost(matrix, [0, *rest, count - 1])
                     for rest in itertools.permutations(range(1, count - 1)))
    assert _cost(matrix, order) == pytest.approx(best_fixed)


def test_unreachable_stops_are_named_and_the_order_kept(network):
    from app.services.tours.routes import network_order

    points = [RAILWAY_STATION, AT_SEA, SENATE_SQUARE, CATHEDRAL]
    order, _before, _after, unreachable = network_order(points, "foot", keep_start=True,
                                                        keep_end=False)
    assert unreachable == [1]
    assert order == [0, 1, 2, 3]


def test_legs_are_cached_and_one_moved_stop_reroutes_two_legs(network, monkeypatch):
    from app.services.walknet import routing

    calls = []
    original = routing.route_many

    def counted(wanted, mode, net):
        calls.extend(wanted)
        return original(wanted, mode, net)

    monkeypatch.setattr(routing, "route_many", counted)
    points = STOPS[:6]
    first = routing.route_legs(points, "foot", network)
    assert len(calls) == 5
    calls.clear()
    again = routing.route_legs(points, "foot", network)
    assert calls == [] and again == first
    moved = list(points)
    moved[2] = (CATHEDRAL[0] + 0.0003, CATHEDRAL[1])
    routing.route_legs(moved, "foot", network)
    assert len(calls) == 2


def test_bad_mode_is_refused(network):
    from app.services.walknet.routing import route_legs

    with pytest.raises(ValueError, match="mode"):
        route_legs(STOPS[:2], "bicycle", network)


# --- tours on the network -----------------------------------------------------------------


def _places(db_session, points):
    from app.models import Place

    places = []
    for i, (lon, lat) in enumerate(points):
        place = Place(slug=f"helsinki-{i}", title=f"Ort {i + 1}", summary="", body="x",
                      geom=from_shape(Point(lon, lat), srid=4326), status="approved",
                      credit_name="Test")
        db_session.add(place)
        places.append(place)
    db_session.flush()
    return places


@pytest.fixture
def network_tour(db_session, curator):
    from app.services import tours

    places = _places(db_session, [RAILWAY_STATION, SENATE_SQUARE, CATHEDRAL])
    tour = tours.create_tour(curator, tours.TourInput(
        title="Helsinki zu Fuss", stops=[tours.StopInput(place_id=p.id) for p in places]))
    db_session.flush()
    return tour, places


def test_a_tour_keeps_its_network_variants_even_with_straight_lines(network_tour):
    tour, _places_ = network_tour
    assert tour.route_source == "generated"
    routes = tour.network_routes
    assert routes["network_version"] >= 1
    assert len(routes["foot"]["legs"]) == 2 and len(routes["step_free"]["legs"]) == 2
    assert routes["foot"]["steps"] >= 46
    assert routes["step_free"]["steps"] == 0


def test_switching_a_tour_to_the_network(network_tour, curator):
    from geoalchemy2.shape import to_shape

    from app.services import tours
    from app.services.tours.routes import set_route_network
    from app.services.walknet import variant_line

    tour, _ = network_tour
    straight_length = tour.length_m
    set_route_network(curator, tour.slug, "foot", tour.version)
    assert tour.route_source == "foot"
    line = to_shape(tour.route)
    assert list(line.coords) == [tuple(c) for c in
                                 variant_line(tour.network_routes["foot"])["coordinates"]]
    assert tour.length_m > straight_length
    assert tour.duration_relaxed_min > 0
    set_route_network(curator, tour.slug, "step_free", tour.version)
    assert tour.route_source == "step_free"
    assert tour.length_m >= tour.network_routes["foot"]["length_m"] - 1
    proposal = tours.propose_order(curator, tour.slug, keep_start=True)
    assert proposal["measure"] == "network"
    assert proposal["length_after_m"] <= proposal["length_before_m"]


@pytest.mark.parametrize("mode", ["bicycle", "", "generated"])
def test_unknown_route_mode_is_refused(network_tour, curator, mode):
    from app.errors import ValidationError
    from app.services.tours.routes import set_route_network

    tour, _ = network_tour
    version = tour.version
    with pytest.raises(ValidationError) as exc:
        set_route_network(curator, tour.slug, mode, version)
    assert exc.value.field == "route_mode"
    assert tour.route_source == "generated" and tour.version == version


def test_the_tour_offers_accessibility_facts(network_tour):
    from app.services.walknet import step_free_extra_m

    tour, _ = network_tour
    extra = step_free_extra_m(tour.network_routes)
    assert extra is None or extra >= -1
    assert math.isfinite(tour.network_routes["foot"]["length_m"])


@pytest.fixture
def published_network_tour(network_tour, curator):
    from app.services import tours
    from app.services.tours.routes import set_route_network

    tour, places = network_tour
    set_route_network(curator, tour.slug, "foot", tour.version)
    tours.publish(curator, tour.slug, tour.version)
    return tour


def test_api_gives_both_variants(client, published_network_tour):
    slug = published_network_tour.slug
    plain = client.get(f"/api/v1/tours/{slug}").get_json()
    route = next(f for f in plain["features"] if f["id"] == "route")
    assert route["properties"]["source"] == "foot"
    assert route["properties"]["attribution"] == "© OpenStreetMap contributors"
    facts = plain["properties"]["network"]
    assert facts["steps"] >= 46 and facts["attribution"] == "© OpenStreetMap contributors"
    for mode in ("foot", "step_free"):
        body = client.get(f"/api/v1/tours/{slug}?route={mode}").get_json()
        route = next(f for f in body["features"] if f["id"] == "route")
        assert route["properties"]["source"] == mode
        assert route["properties"]["licence"] == "ODbL-1.0"
        legs = published_network_tour.network_routes[mode]["legs"]
        assert route["geometry"]["coordinates"][0] == legs[0]["coordinates"][0]
        stops = [f for f in body["features"] if f["properties"]["kind"] == "stop"]
        assert len(stops) == 3


@pytest.mark.parametrize("value", ["bicycle", "FOOT", ""])
def test_api_refuses_an_unknown_route(client, published_network_tour, value):
    resp = client.get(f"/api/v1/tours/{published_network_tour.slug}?route={value}")
    assert resp.status_code == 422
    assert resp.get_json()["error"]["field"] == "route"


def test_api_route_of_a_tour_without_network_legs_is_404(client, published_network_tour,
                                                        db_session):
    published_network_tour.network_routes = None
    db_session.flush()
    resp = client.get(f"/api/v1/tours/{published_network_tour.slug}?route=foot")
    assert resp.status_code == 404
    assert resp.get_json()["error"]["code"] == "no_network_route"


def test_gpx_has_both_variants_as_tracks_and_the_osm_credit(client, published_network_tour):
    from lxml import etree

    resp = client.get(f"/api/v1/tours/{published_network_tour.slug}.gpx")
    assert resp.status_code == 200
    doc = etree.fromstring(resp.data)
    ns = {"g": "http://www.topografix.com/GPX/1/1"}
    names = doc.xpath("//g:trk/g:name/text()", namespaces=ns)
    assert len(names) == 2
    assert names[0] != names[1] and all(published_network_tour.title in n for n in names)
    assert doc.xpath("//g:metadata/g:copyright/@author", namespaces=ns) == [
        "© OpenStreetMap contributors"]
    assert len(doc.xpath("//g:wpt", namespaces=ns)) == 3


def test_tour_page_states_its_accessibility(client, published_network_tour):
    page = client.get(f"/tours/{published_network_tour.slug}", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    steps = published_network_tour.network_routes["foot"]["steps"]
    assert f"The walking route has {steps} steps." in html
    assert "step-free route" in html.lower()
    assert "© OpenStreetMap contributors" in html
    assert f"/tours/{published_network_tour.slug}/follow?route=step_free" in html


def test_follow_mode_follows_a_variant_along_its_line(client, published_network_tour):
    import json
    import re

    slug = published_network_tour.slug
    for query, mode in (("", "foot"), ("?route=step_free", "step_free")):
        html = client.get(f"/tours/{slug}/follow{query}").get_data(as_text=True)
        data = json.loads(re.search(
            r'<script type="application/json" id="follow-data">(.*?)</script>', html,
            re.S).group(1))
        assert data["routeMode"] == mode
        coords = data["route"]["coordinates"]
        assert len(data["stopIndexes"]) == 3
        for index, stop in zip(data["stopIndexes"], data["stops"], strict=True):
            assert _geodesic_m(coords[index], (stop["lon"], stop["lat"])) < 1
    assert client.get(f"/tours/{slug}/follow?route=bicycle").status_code == 404


def test_offline_pack_keeps_the_step_free_follow_page(client, published_network_tour):
    slug = published_network_tour.slug
    pack = client.get(f"/tours/{slug}/offline.json").get_json()
    assert f"/tours/{slug}/follow?route=step_free" in pack["pages"]
    assert pack["pages"][1] == f"/tours/{slug}/follow"


def test_editor_switches_to_the_network_and_shows_the_steps(client, network_tour, curator):
    from tests.conftest import login

    tour, _ = network_tour
    login(client, "curator@example.org")
    page = client.get(f"/tours/{tour.slug}/edit").get_data(as_text=True)
    assert 'id="route-mode-form"' in page
    resp = client.post(f"/tours/{tour.slug}/route/network",
                       data={"mode": "step_free", "version": tour.version})
    assert resp.status_code == 303
    # The curator's account is in German (an account's language comes before the browser's).
    html = client.get(f"/tours/{tour.slug}/edit").get_data(as_text=True)
    assert "auf den Strassen, stufenlos" in html
    assert f'id="network-step-count">{tour.network_routes["foot"]["steps"]}<' in html


@pytest.mark.parametrize("mode", ["bicycle", ""])
def test_editor_refuses_an_unknown_mode(client, network_tour, curator, mode):
    from tests.conftest import login

    tour, _ = network_tour
    version = tour.version
    login(client, "curator@example.org")
    resp = client.post(f"/tours/{tour.slug}/route/network",
                       data={"mode": mode, "version": version})
    assert resp.status_code == 422
    assert tour.route_source == "generated" and tour.version == version


def test_api_switches_to_the_network(client, network_tour, curator):
    from app.services.accounts import create_api_token

    tour, _ = network_tour
    token = create_api_token(curator, "walk")
    headers = {"Authorization": f"Bearer {token}"}
    resp = client.put(f"/api/v1/tours/{tour.slug}/route/network",
                      json={"mode": "foot", "version": tour.version}, headers=headers)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["route_source"] == "foot" and body["network"]["steps"] >= 46
    bad = client.put(f"/api/v1/tours/{tour.slug}/route/network",
                     json={"mode": "walk", "version": body["version"]}, headers=headers)
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "mode"


def test_printed_sheet_states_steps_and_credits_osm(client, published_network_tour):
    import io

    from pypdf import PdfReader

    resp = client.get(f"/tours/{published_network_tour.slug}.pdf",
                      headers={"Accept-Language": "en"})
    assert resp.status_code == 200
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(resp.data)).pages)
    text = " ".join(text.split())
    assert "OpenStreetMap contributors" in text
    steps = published_network_tour.network_routes["foot"]["steps"]
    assert f"{steps} steps" in text


def test_ogc_tours_collection_carries_the_network_facts(client, published_network_tour):
    body = client.get("/ogc/collections/tours/items?f=json").get_json()
    feature = next(f for f in body["features"] if f["id"] == published_network_tour.slug)
    props = feature["properties"]
    assert props["route_source"] == "foot"
    assert props["steps"] == published_network_tour.network_routes["foot"]["steps"]
    assert props["route_attribution"] == "© OpenStreetMap contributors (ODbL)"
    assert isinstance(props["step_free_exists"], bool)


def test_cli_import_again_is_unchanged_and_prints_counts(runner, helsinki_app):
    result = runner.invoke(args=["walknet", "import", str(helsinki_pbf())])
    assert result.exit_code == 0, result.output
    assert "Unchanged" in result.output
    assert f"{helsinki_app.walk_report.counts['edges']} edges" in result.output
    status = runner.invoke(args=["walknet", "status"])
    assert status.exit_code == 0 and "edges" in status.output


@pytest.mark.parametrize("bbox", ["1,2,3", "24.95,60.17,24.94,60.18", "north"])
def test_cli_refuses_a_bad_box(runner, bbox, db_session):
    before = db_session.scalar(text("SELECT count(*) FROM walknet_networks"))
    result = runner.invoke(args=["walknet", "import", str(helsinki_pbf()), "--bbox", bbox])
    assert result.exit_code == 2
    assert "--bbox" in result.output
    assert db_session.scalar(text("SELECT count(*) FROM walknet_networks")) == before


def test_cli_refuses_an_unreadable_extract_and_keeps_the_network(runner, tmp_path, db_session,
                                                                network):
    broken = tmp_path / "broken.osm.pbf"
    broken.write_bytes(b"\x00\x01 not an extract")
    edges = db_session.scalar(text("SELECT count(*) FROM walknet_edges"))
    result = runner.invoke(args=["walknet", "import", str(broken)])
    assert result.exit_code == 1
    assert "OpenStreetMap" in result.output
    assert db_session.scalar(text("SELECT count(*) FROM walknet_edges")) == edges
    from app.services.walknet import active_network

    assert active_network().id == network.id
    missing = runner.invoke(args=["walknet", "import", str(tmp_path / "nowhere.osm.pbf")])
    assert missing.exit_code == 2


def test_follow_mode_marks_legs_it_could_not_route(client, db_session, curator):
    import json
    import re

    from app.services import tours
    from app.services.tours.routes import set_route_network

    places = _places(db_session, [RAILWAY_STATION, AT_SEA, SENATE_SQUARE])
    tour = tours.create_tour(curator, tours.TourInput(
        title="Über das Wasser", stops=[tours.StopInput(place_id=p.id) for p in places]))
    set_route_network(curator, tour.slug, "foot", tour.version)
    tours.publish(curator, tour.slug, tour.version)
    html = client.get(f"/tours/{tour.slug}/follow").get_data(as_text=True)
    data = json.loads(re.search(
        r'<script type="application/json" id="follow-data">(.*?)</script>', html, re.S).group(1))
    assert len(data["gaps"]) == 2  # both legs touch the stop on the water
    page = client.get(f"/tours/{tour.slug}", headers={"Accept-Language": "en"})
    assert "Between stop 1 and 2 a stop lies away from the mapped footpaths" in page.get_data(
        as_text=True)


def test_tour_map_draws_unrouted_legs_apart(client, db_session, curator):
    import json
    import re

    from app.services import tours
    from app.services.tours.routes import set_route_network

    places = _places(db_session, [RAILWAY_STATION, AT_SEA, SENATE_SQUARE])
    tour = tours.create_tour(curator, tours.TourInput(
        title="Karte mit Lücke", stops=[tours.StopInput(place_id=p.id) for p in places]))
    set_route_network(curator, tour.slug, "foot", tour.version)
    tours.publish(curator, tour.slug, tour.version)
    html = client.get(f"/tours/{tour.slug}").get_data(as_text=True)
    data = json.loads(re.search(
        r'<script type="application/json" id="tour-map-data">(.*?)</script>', html,
        re.S).group(1))
    kinds = [f["properties"]["kind"] for f in data["route"]["features"]]
    assert kinds == ["route", "leg", "leg"]
