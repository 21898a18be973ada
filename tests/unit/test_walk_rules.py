"""Foot and step-free rules on tag tables, and the network cut from the hand-written OSM
fixture (kerbs, inclines, a stile, surfaces, access, an escalator)."""

import pytest

from geo.errors import GeoError
from geo.footrules import parse_incline, parse_length_m, way_rule
from geo.osmnet import build_network, parse_bbox
from tests.walknet_data import osm_fixture

FOOT_TABLE = [
    # tags, walked on foot
    ({"highway": "footway"}, True),
    ({"highway": "path"}, True),
    ({"highway": "steps"}, True),
    ({"highway": "pedestrian"}, True),
    ({"highway": "living_street"}, True),
    ({"highway": "residential"}, True),
    ({"highway": "primary", "sidewalk": "both"}, True),
    ({"highway": "secondary", "sidewalk:left": "yes"}, True),
    ({"highway": "primary", "sidewalk": "separate"}, False),
    ({"highway": "primary", "sidewalk": "no"}, False),
    ({"highway": "footway", "foot": "no"}, False),
    ({"highway": "service", "access": "private"}, False),
    ({"highway": "service", "access": "no"}, False),
    ({"highway": "service", "access": "private", "foot": "yes"}, True),
    ({"highway": "track", "access": "no", "foot": "permissive"}, True),
    ({"highway": "tertiary", "motorroad": "yes"}, False),
    ({"highway": "motorway"}, False),
    ({"highway": "trunk"}, False),
    ({"highway": "trunk", "foot": "yes"}, True),
    ({"highway": "footway", "foot": "use_sidepath"}, False),
    ({"highway": "construction"}, False),
    ({"highway": "bridleway"}, False),
    ({"highway": "bridleway", "foot": "designated"}, True),
    ({"building": "yes"}, False),
]

STEP_FREE_TABLE = [
    # tags, step-free, reason when refused
    ({"highway": "footway"}, True, ""),
    ({"highway": "steps"}, False, "steps"),
    ({"highway": "steps", "conveying": "yes"}, False, "escalator"),
    ({"highway": "footway", "conveying": "forward"}, False, "escalator"),
    ({"highway": "elevator"}, True, ""),
    ({"highway": "footway", "wheelchair": "no"}, False, "wheelchair=no"),
    ({"highway": "footway", "incline": "7%"}, False, "incline"),
    ({"highway": "footway", "incline": "-6.5 %"}, False, "incline"),
    ({"highway": "footway", "incline": "6%"}, True, ""),
    ({"highway": "footway", "incline": "up"}, True, ""),
    ({"highway": "footway", "incline": "5°"}, False, "incline"),
    ({"highway": "footway", "surface": "cobblestone"}, False, "surface"),
    ({"highway": "footway", "surface": "gravel"}, False, "surface"),
    ({"highway": "footway", "surface": "sand"}, False, "surface"),
    ({"highway": "footway", "surface": "asphalt"}, True, ""),
    ({"highway": "footway", "surface": "cobblestone", "wheelchair": "yes"}, True, ""),
    ({"highway": "footway", "smoothness": "bad"}, False, "smoothness"),
    ({"highway": "footway", "smoothness": "very_horrible"}, False, "smoothness"),
    ({"highway": "footway", "smoothness": "intermediate"}, True, ""),
    ({"highway": "footway", "width": "0.6"}, False, "width"),
]

NODE_TABLE = [
    # node tags on the edge, step-free
    ({"barrier": "kerb", "kerb": "raised"}, False),
    ({"barrier": "kerb", "kerb": "raised", "kerb:height": "4 cm"}, False),
    ({"barrier": "kerb", "kerb": "raised", "kerb:height": "0.03"}, True),
    ({"barrier": "kerb", "kerb": "lowered"}, True),
    ({"barrier": "kerb", "kerb": "flush"}, True),
    ({"barrier": "stile"}, False),
    ({"barrier": "kissing_gate"}, False),
    ({"barrier": "turnstile"}, False),
    ({"barrier": "gate"}, True),
    ({"barrier": "bollard"}, True),
]


@pytest.mark.parametrize(("tags", "walked"), FOOT_TABLE)
def test_foot_rules(tags, walked):
    rule = way_rule(tags)
    assert (rule.foot is not None) is walked
    assert (rule.foot_reverse is not None) is walked


@pytest.mark.parametrize(("tags", "step_free", "reason"), STEP_FREE_TABLE)
def test_step_free_rules(tags, step_free, reason):
    rule = way_rule(tags)
    assert rule.foot is not None or rule.foot_reverse is not None
    assert (rule.step_free is not None) is step_free
    assert rule.reason == reason


@pytest.mark.parametrize(("node", "step_free"), NODE_TABLE)
def test_barrier_and_kerb_nodes(node, step_free):
    rule = way_rule({"highway": "footway"}, [node])
    assert rule.foot is not None
    assert (rule.step_free is not None) is step_free


def test_a_node_closed_to_foot_closes_its_edge():
    assert way_rule({"highway": "footway"}, [{"barrier": "gate", "foot": "no"}]).foot is None
    assert way_rule({"highway": "footway"},
                    [{"barrier": "gate", "access": "private"}]).foot is None
    assert way_rule({"highway": "footway"},
                    [{"barrier": "gate", "access": "private", "foot": "yes"}]).foot == 1.0


def test_escalators_run_one_way():
    rule = way_rule({"highway": "steps", "conveying": "forward"})
    assert rule.foot is not None and rule.foot_reverse is None
    rule = way_rule({"highway": "steps", "conveying": "backward"})
    assert rule.foot is None and rule.foot_reverse is not None


def test_pleasant_ways_cost_less_than_big_roads():
    footway = way_rule({"highway": "footway"}).foot
    road = way_rule({"highway": "primary", "sidewalk": "both"}).foot
    untagged = way_rule({"highway": "tertiary"}).foot
    assert footway < road and footway < untagged
    rough = way_rule({"highway": "footway", "surface": "sett"})
    assert rough.step_free > rough.foot


@pytest.mark.parametrize(("text", "percent"), [
    ("8%", 8.0), ("-8 %", 8.0), ("12", 12.0), ("4,5%", 4.5), ("up", None), ("", None),
    ("steep", None)])
def test_incline_parsing(text, percent):
    assert parse_incline(text) == percent


@pytest.mark.parametrize(("text", "metres"), [
    ("0.05", 0.05), ("5 cm", 0.05), ("3cm", 0.03), ("0,9 m", 0.9), ("30 mm", 0.03),
    ("high", None)])
def test_length_parsing(text, metres):
    assert parse_length_m(text) == pytest.approx(metres) if metres else parse_length_m(text) is None


@pytest.fixture(scope="module")
def fixture_network():
    return build_network(osm_fixture("kerbs_inclines.osm"))


def _edges(network, way_id):
    return [e for e in network.edges if e.osm_way_id == way_id]


def test_fixture_network_is_split_at_shared_nodes_and_barriers(fixture_network):
    # way 101 runs 1-2-3-4 with a raised kerb at 3: two edges, the kerb on the second
    first, second = _edges(fixture_network, 101)
    assert (first.source, first.target, second.source, second.target) == (1, 3, 3, 4)
    assert first.step_free is not None and second.step_free is None
    assert second.tags["kerb"].startswith("raised")
    assert all(e.length_m > 0 for e in fixture_network.edges)


def test_fixture_kerbs_and_inclines(fixture_network):
    assert all(e.step_free is not None for e in _edges(fixture_network, 102))  # lowered kerb
    assert _edges(fixture_network, 103)[0].step_free is None  # 10 %
    assert _edges(fixture_network, 104)[0].step_free is not None  # -4 %
    assert _edges(fixture_network, 113)[0].step_free is None  # 5 degrees = 8.7 %
    stile = _edges(fixture_network, 105)
    assert [e.step_free is None for e in stile] == [False, True]
    assert _edges(fixture_network, 106)[0].step_free is None  # cobblestone
    assert _edges(fixture_network, 107)[0].step_free is not None  # cobblestone, wheelchair=yes
    assert all(e.step_free is not None for e in _edges(fixture_network, 114))  # 2 cm kerb


def test_fixture_refused_ways_are_not_in_the_network(fixture_network):
    ways = {e.osm_way_id for e in fixture_network.edges}
    assert {108, 109, 115}.isdisjoint(ways)  # foot=no, access=private, sidewalk=separate
    assert 110 in ways  # private but foot=yes
    escalator = _edges(fixture_network, 112)[0]
    assert escalator.foot is not None and escalator.foot_reverse is None
    assert escalator.step_free is None


def test_fixture_is_deterministic(fixture_network):
    again = build_network(osm_fixture("kerbs_inclines.osm"))
    assert again.digest() == fixture_network.digest()
    assert [e.id for e in again.edges] == [e.id for e in fixture_network.edges]


def test_bbox_cuts_ways():
    network = build_network(osm_fixture("kerbs_inclines.osm"),
                            bbox=(8.7195, 47.4995, 8.7255, 47.5015))
    assert {e.osm_way_id for e in network.edges} <= {101, 102, 103, 104}
    assert all(8.7195 <= x <= 8.7255 for e in network.edges for x, _y in e.coords)


@pytest.mark.parametrize("text", ["1,2,3", "a,b,c,d", "10,10,5,20", "0,0,200,1"])
def test_bad_bbox_is_refused(text):
    with pytest.raises(GeoError):
        parse_bbox(text)


def test_unreadable_or_empty_extract_is_refused(tmp_path):
    broken = tmp_path / "broken.osm.pbf"
    broken.write_bytes(b"not an extract")
    with pytest.raises(GeoError):
        build_network(broken)
    empty = tmp_path / "empty.osm"
    empty.write_text('<?xml version="1.0"?><osm version="0.6"></osm>')
    with pytest.raises(GeoError, match="no way"):
        build_network(empty)
