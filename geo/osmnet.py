"""An OpenStreetMap extract as a foot network: edges between shared nodes, with their tags,
lengths and foot/step-free cost factors (``geo.footrules``).

Ways are read with pyosmium; every way that people may walk is split into edges at nodes it
shares with another walkable way (or with itself), at its ends, and at barrier and kerb nodes,
so that a gate or a raised kerb is a vertex and belongs to the edge that starts there (the
edge before it when it is the way's last node). With a bounding box, ways are cut to the runs
of their nodes that lie inside it.

The result is deterministic: the same file (and box) gives the same edges with the same ids,
in the same order, and the same digest. Pure: no database, no Flask.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from geo.errors import GeoError
from geo.footrules import way_rule
from geo.measure import GEOD

# The way tags an edge keeps (what the rules read and what explanations name).
KEPT_TAGS = ("highway", "footway", "sidewalk", "foot", "access", "wheelchair", "surface",
             "smoothness", "incline", "width", "step_count", "barrier", "kerb")
_WAY_RULE_TAGS = (*KEPT_TAGS, "motorroad", "conveying", "oneway:foot", "area", "sidewalk:both",
                  "sidewalk:left", "sidewalk:right", "kerb:height", "tunnel", "layer",
                  "location", "level")
_NODE_TAGS = ("barrier", "kerb", "kerb:height", "foot", "access", "wheelchair")


@dataclass
class Edge:
    """One edge: ``source``/``target`` are OSM node ids, ``coords`` run from source to target;
    factors are None where the mode is refused in that direction."""

    id: int
    source: int
    target: int
    osm_way_id: int
    coords: list[tuple[float, float]]
    length_m: float
    tags: dict[str, str]
    foot: float | None
    foot_reverse: float | None
    step_free: float | None
    step_free_reverse: float | None
    underground: bool = False


@dataclass
class Network:
    """Edges and the vertices they meet at (``{node_id: (lon, lat)}``), with counts."""

    edges: list[Edge] = field(default_factory=list)
    vertices: dict[int, tuple[float, float]] = field(default_factory=dict)
    counts: Counter = field(default_factory=Counter)

    def digest(self) -> str:
        """A hash of everything loaded: equal for equal networks."""
        h = hashlib.sha256()
        for e in self.edges:
            h.update(repr((e.id, e.source, e.target, e.osm_way_id, e.coords, e.tags, e.foot,
                           e.foot_reverse, e.step_free, e.step_free_reverse,
                           e.underground)).encode())
        return h.hexdigest()


@dataclass
class _Way:
    id: int
    nodes: list[tuple[int, float, float]]
    tags: dict[str, str]


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """``minLon,minLat,maxLon,maxLat`` as floats, checked.

    Raises:
        GeoError: not four numbers, or not a box on the globe.
    """
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        raise GeoError("The box must be four numbers: minLon,minLat,maxLon,maxLat.") from None
    if len(values) != 4:
        raise GeoError("The box must be four numbers: minLon,minLat,maxLon,maxLat.")
    min_lon, min_lat, max_lon, max_lat = values
    if not (-180 <= min_lon < max_lon <= 180 and -90 <= min_lat < max_lat <= 90):
        raise GeoError("The box must have minLon < maxLon and minLat < maxLat on the globe.")
    return min_lon, min_lat, max_lon, max_lat


def read_ways(path: str | Path, bbox: tuple[float, float, float, float] | None = None
              ) -> tuple[list[_Way], dict[int, dict[str, str]]]:
    """Walkable ways (sorted by id, cut to ``bbox``) and the tags of barrier/kerb nodes.

    Raises:
        GeoError: the file cannot be read as OpenStreetMap data.
    """
    import osmium

    node_tags: dict[int, dict[str, str]] = {}
    ways: list[_Way] = []
    try:
        processor = osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
        for obj in processor.with_locations():
            if obj.is_node():
                if "barrier" in obj.tags or "kerb" in obj.tags or "kerb:height" in obj.tags:
                    node_tags[obj.id] = {k: obj.tags[k] for k in _NODE_TAGS if k in obj.tags}
                continue
            if "highway" not in obj.tags:
                continue
            tags = {k: obj.tags[k] for k in _WAY_RULE_TAGS if k in obj.tags}
            if way_rule(tags).foot is None and way_rule(tags).foot_reverse is None:
                continue
            nodes = [(n.ref, n.location.lon, n.location.lat) for n in obj.nodes
                     if n.location.valid()]
            for run in _inside_runs(nodes, bbox):
                ways.append(_Way(obj.id, run, tags))
    except RuntimeError as exc:
        raise GeoError(f"Not a readable OpenStreetMap file: {exc}") from None
    ways.sort(key=lambda w: (w.id, w.nodes[0][0]))
    return ways, node_tags


def _inside_runs(nodes: list[tuple[int, float, float]],
                 bbox: tuple[float, float, float, float] | None
                 ) -> Iterable[list[tuple[int, float, float]]]:
    if bbox is None:
        if len(nodes) >= 2:
            yield nodes
        return
    run: list[tuple[int, float, float]] = []
    for node in nodes:
        if bbox[0] <= node[1] <= bbox[2] and bbox[1] <= node[2] <= bbox[3]:
            run.append(node)
            continue
        if len(run) >= 2:
            yield run
        run = []
    if len(run) >= 2:
        yield run


def build_network(path: str | Path, bbox: tuple[float, float, float, float] | None = None,
                  progress: Callable[[int], None] | None = None) -> Network:
    """Read ``path`` (``.osm.pbf`` or ``.osm``) and cut its walkable ways into edges.

    ``progress`` is called with the number of ways done since the last call.

    Raises:
        GeoError: unreadable file, or no walkable way in it (or in the box).
    """
    ways, node_tags = read_ways(path, bbox)
    if not ways:
        raise GeoError("The extract has no way people may walk on (inside the box).")
    uses: Counter = Counter()
    for way in ways:
        for i, (ref, _lon, _lat) in enumerate(way.nodes):
            # Ends count twice, so they always split.
            uses[ref] += 2 if i in (0, len(way.nodes) - 1) else 1
    network = Network()
    network.counts["ways"] = len(ways)
    for way in ways:
        _split(way, uses, node_tags, network)
        if progress:
            progress(1)
    network.counts["edges"] = len(network.edges)
    network.counts["vertices"] = len(network.vertices)
    network.counts["step_free_refused"] = sum(
        1 for e in network.edges if e.step_free is None and e.step_free_reverse is None)
    return network


def _split(way: _Way, uses: Counter, node_tags: dict[int, dict[str, str]],
           network: Network) -> None:
    start = 0
    last = len(way.nodes) - 1
    for i in range(1, last + 1):
        ref = way.nodes[i][0]
        if i != last and uses[ref] < 2 and ref not in node_tags:
            continue
        piece = way.nodes[start:i + 1]
        if piece[0][0] == piece[-1][0] and len(piece) > 2:
            # A loop (a closed way, or a way back to where it began) is cut in two: an edge
            # from a vertex to itself has no direction to walk it in.
            mid = len(piece) // 2
            _add_edge(way, piece[:mid + 1], node_tags, network, is_last=False)
            piece = piece[mid:]
        _add_edge(way, piece, node_tags, network, is_last=i == last)
        start = i


def _add_edge(way: _Way, nodes: list[tuple[int, float, float]],
              node_tags: dict[int, dict[str, str]], network: Network, *, is_last: bool) -> None:
    coords = [(lon, lat) for _ref, lon, lat in nodes]
    length = float(GEOD.line_length([c[0] for c in coords], [c[1] for c in coords]))
    if length <= 0.0:
        network.counts["zero_length_dropped"] += 1
        return
    # A barrier belongs to the edge that starts at it, or to the last edge of its way.
    carried = [node_tags[nodes[0][0]]] if nodes[0][0] in node_tags else []
    if is_last and nodes[-1][0] in node_tags:
        carried.append(node_tags[nodes[-1][0]])
    rule = way_rule(way.tags, carried)
    tags = {k: way.tags[k] for k in KEPT_TAGS if k in way.tags}
    for node in carried:
        for key in ("barrier", "kerb"):
            if key in node:
                tags[key] = node[key]
        if "kerb:height" in node:
            tags["kerb"] = f"{node.get('kerb', 'yes')};{node['kerb:height']}"
    if "conveying" in way.tags:
        tags["conveying"] = way.tags["conveying"]
    edge = Edge(
        id=len(network.edges) + 1, source=nodes[0][0], target=nodes[-1][0],
        osm_way_id=way.id, coords=coords, length_m=length, tags=tags,
        foot=rule.foot, foot_reverse=rule.foot_reverse,
        step_free=rule.step_free, step_free_reverse=rule.step_free_reverse,
        underground=_underground(way.tags),
    )
    network.edges.append(edge)
    network.vertices.setdefault(edge.source, coords[0])
    network.vertices.setdefault(edge.target, coords[-1])


def _underground(tags: dict[str, str]) -> bool:
    try:
        layer = float(tags.get("layer", "0").split(";")[0])
    except ValueError:
        layer = 0.0
    return (tags.get("tunnel") in ("yes", "building_passage") and layer < 0) or tags.get(
        "location") == "underground" or layer <= -2
