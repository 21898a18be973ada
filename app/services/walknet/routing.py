"""Routing on the walking network with pgRouting: stops snapped to the nearest walkable edge,
legs with ``pgr_withPoints`` (first and last edges cut at the snapped points), a walking cost
matrix with ``pgr_withPointsCostMatrix``, and legs cached per (network version, mode, stop
pair) so editing one stop reroutes only its two legs.

A leg is a plain dict (what the cache stores and the tour keeps)::

    {"status": "ok" | "off_network" | "no_route", "coordinates": [[lon, lat], ...],
     "length_m": float, "steps": int, "flights": int, "flights_uncounted": int,
     "escalators": int, "ways": [OSM way ids], "snap_m": [from, to]}

``off_network``: a stop lies more than 75 m from any edge the mode may use; ``no_route``:
both are on the network but no way joins them (for step-free: no step-free way). Both are
drawn as a straight (dashed) line, and say so; nothing falls back silently.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from shapely import wkb
from shapely.geometry import LineString
from shapely.ops import substring
from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert

from app.extensions import db
from app.models.walknet import MODES, WalkLeg, WalkNetwork
from app.services.walknet.importer import active_network
from geo.measure import GEOD

SNAP_RADIUS_M = 75.0
# Legs are searched inside the box around their ends grown by this much (and by half their
# length), so a city-sized network is not loaded for each leg; a leg with no way inside the
# box is searched again on the whole network before it is called unroutable.
SEARCH_MARGIN_M = 800.0
_M_PER_DEG_LAT = 111_320.0
# Less of an edge than this is not walked on it (see _leg_from_rows).
MIN_WALKED_M = 0.5
# An edge below ground counts this much farther when a stop is snapped.
UNDERGROUND_PENALTY_M = 60.0


@dataclass(frozen=True)
class Snap:
    """Where a position meets the network: the edge, the fraction along it (0 at its
    source), the snapped position and its distance in metres."""

    edge_id: int
    fraction: float
    lon: float
    lat: float
    distance_m: float


def _check_mode(mode: str) -> str:
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}")
    return mode


def _main_component(network: WalkNetwork, mode: str) -> int:
    return int((network.counts or {}).get(f"{mode}_main_component", -1))


def snap(lon: float, lat: float, mode: str, network: WalkNetwork) -> Snap | None:
    """The nearest edge the mode may use within 75 m of ``(lon, lat)``, preferring the
    network's largest connected part (a stop beside an isolated fragment would otherwise be
    unreachable from every other stop); None when there is none."""
    mode = _check_mode(mode)
    deg_lat = SNAP_RADIUS_M / _M_PER_DEG_LAT * 1.05
    deg_lon = deg_lat / max(math.cos(math.radians(lat)), 0.01)
    # mode is checked against MODES: the only text put into the SQL.
    sql = f"""
        WITH p AS (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS g)
        SELECT * FROM (
            SELECT e.id, ST_LineLocatePoint(e.geom, p.g) AS f,
                   ST_X(ST_ClosestPoint(e.geom, p.g)) AS x,
                   ST_Y(ST_ClosestPoint(e.geom, p.g)) AS y,
                   ST_Distance(e.geom::geography, p.g::geography) AS d,
                   e.component_{mode} = :main AS main, e.underground
            FROM walknet_edges e, p
            WHERE e.geom && ST_MakeEnvelope(:lon - :dx, :lat - :dy, :lon + :dx, :lat + :dy,
                                            4326)
              AND (e.cost_{mode} >= 0 OR e.reverse_cost_{mode} >= 0)
        ) c
        WHERE d <= :radius
        ORDER BY main DESC, d + CASE WHEN underground THEN :below ELSE 0 END, id
        LIMIT 1"""  # noqa: S608
    row = db.session.execute(text(sql), {"lon": lon, "lat": lat, "dx": deg_lon, "dy": deg_lat,
                      "radius": SNAP_RADIUS_M, "below": UNDERGROUND_PENALTY_M,
                      "main": _main_component(network, mode)}).first()
    if row is None:
        return None
    return Snap(int(row[0]), float(row[1]), float(row[2]), float(row[3]), float(row[4]))


def _edges_sql(mode: str, box: tuple[float, float, float, float] | None) -> str:
    where = f"cost_{mode} >= 0 OR reverse_cost_{mode} >= 0"
    if box is not None:
        # Literal floats only (formatted here), never text from outside.
        where = (f"geom && ST_MakeEnvelope({box[0]:.7f}, {box[1]:.7f}, {box[2]:.7f}, "
                 f"{box[3]:.7f}, 4326) AND ({where})")
    return (f"SELECT id, source, target, cost_{mode} AS cost, "  # noqa: S608
            f"reverse_cost_{mode} AS reverse_cost FROM walknet_edges WHERE {where}")


def _box(points: Sequence[tuple[float, float]], margin_m: float) -> tuple[float, ...]:
    lons = [p[0] for p in points]
    lats = [p[1] for p in points]
    mid = math.radians(sum(lats) / len(lats))
    dy = margin_m / _M_PER_DEG_LAT
    dx = dy / max(math.cos(mid), 0.01)
    return (min(lons) - dx, min(lats) - dy, max(lons) + dx, max(lats) + dy)


def _fraction(value: float) -> float:
    # pgr_withPoints finds no path from a point at fraction 0 or 1 exactly (on a vertex):
    # keep it a micrometre inside its edge.
    return min(max(value, 1e-6), 1.0 - 1e-6)


def _points_sql(snaps: Sequence[Snap]) -> str:
    return " UNION ALL ".join(
        f"SELECT {i + 1} AS pid, {s.edge_id}::bigint AS edge_id, "
        f"{_fraction(s.fraction):.9f}::float AS fraction"
        for i, s in enumerate(snaps))


def _path_rows(snaps: Sequence[Snap], pairs: Sequence[tuple[int, int]], mode: str,
               box) -> dict[tuple[int, int], list]:
    """Paths between snapped points (pids 1..n, in ``snaps`` order) for each ``(from, to)``
    pair of pids, in one pgRouting call (the graph is built once): rows by pair."""
    combinations = " UNION ALL ".join(f"SELECT {-a} AS source, {-b} AS target"
                                      for a, b in pairs)
    rows = db.session.execute(text("""
        SELECT p.seq, p.node, p.edge, e.source, e.target, ST_AsBinary(e.geom), e.highway,
               e.step_count, e.osm_way_id, e.conveying, p.start_pid, p.end_pid
        FROM pgr_withPoints(:edges, :points, :combinations, directed => true,
                            driving_side => 'b', details => false) p
        LEFT JOIN walknet_edges e ON e.id = p.edge
        ORDER BY p.seq"""), {"edges": _edges_sql(mode, box), "points": _points_sql(snaps),
                             "combinations": combinations}).all()
    out: dict[tuple[int, int], list] = {}
    for row in rows:
        out.setdefault((-int(row[10]), -int(row[11])), []).append(row)
    return out


def _piece(row, next_node: int, a: Snap, b: Snap, a_node: int, b_node: int
           ) -> list[tuple[float, float]]:
    """The part of the row's edge walked from ``row.node`` to ``next_node``; the leg's ends
    are the points ``a_node`` and ``b_node`` (negative pids)."""
    node, source, target = row[1], row[3], row[4]
    line: LineString = wkb.loads(bytes(row[5]))
    if node == a_node and next_node == b_node:
        start, end = a.fraction, b.fraction
    elif node == a_node:
        start, end = a.fraction, (1.0 if next_node == target else 0.0)
    elif next_node == b_node:
        start, end = (0.0 if node == source else 1.0), b.fraction
    else:
        start, end = (0.0, 1.0) if node == source else (1.0, 0.0)
    part = substring(line, start, end, normalized=True)
    if part.geom_type != "LineString":
        return []
    return [(round(x, 7), round(y, 7)) for x, y in part.coords]


def _straight(a: tuple[float, float], b: tuple[float, float], status: str,
              snaps: Sequence[Snap | None]) -> dict:
    return {"status": status, "coordinates": [list(a), list(b)],
            "length_m": round(float(GEOD.line_length([a[0], b[0]], [a[1], b[1]])), 1),
            "steps": 0, "flights": 0, "flights_uncounted": 0, "escalators": 0, "ways": [],
            "snap_m": [round(s.distance_m, 1) if s else None for s in snaps]}


def route_leg(a: tuple[float, float], b: tuple[float, float], mode: str,
              network: WalkNetwork) -> dict:
    """One leg from ``a`` to ``b`` (``(lon, lat)``) on the network, uncached (see module)."""
    return route_many([(a, b)], mode, network)[0]


def route_many(wanted: Sequence[tuple[tuple[float, float], tuple[float, float]]], mode: str,
               network: WalkNetwork) -> list[dict]:
    """Legs for each ``(a, b)`` pair, uncached: every position snapped once, and every leg
    searched in one pgRouting call inside the box around them all; a leg with no path there is
    searched again on the whole network before it is called unroutable."""
    mode = _check_mode(mode)
    points = list(dict.fromkeys(p for pair in wanted for p in pair))
    snaps = {p: snap(p[0], p[1], mode, network) for p in points}
    out: list[dict | None] = [None] * len(wanted)
    jobs = []
    for k, (a, b) in enumerate(wanted):
        sa, sb = snaps[a], snaps[b]
        if sa is None or sb is None:
            out[k] = _straight(a, b, "off_network", [sa, sb])
        elif (sa.edge_id, round(sa.fraction, 9)) == (sb.edge_id, round(sb.fraction, 9)):
            out[k] = _straight(a, b, "ok", [sa, sb])
        else:
            jobs.append(k)
    if jobs:
        used = list(dict.fromkeys(p for k in jobs for p in wanted[k]))
        pid = {p: i + 1 for i, p in enumerate(used)}
        longest = max(_geodesic(*wanted[k]) for k in jobs)
        found = _path_rows([snaps[p] for p in used],
                           [(pid[wanted[k][0]], pid[wanted[k][1]]) for k in jobs], mode,
                           _box(used, SEARCH_MARGIN_M + 0.5 * longest))
        for k in jobs:
            a, b = wanted[k]
            rows = found.get((pid[a], pid[b]))
            if rows:
                out[k] = _leg_from_rows(rows, snaps[a], snaps[b], a, b, -pid[a], -pid[b])
                continue
            rows = _path_rows([snaps[a], snaps[b]], [(1, 2)], mode, None).get((1, 2))
            out[k] = (_leg_from_rows(rows, snaps[a], snaps[b], a, b, -1, -2) if rows
                      else _straight(a, b, "no_route", [snaps[a], snaps[b]]))
    return out


def _length_m(coords: Sequence[tuple[float, float]]) -> float:
    if len(coords) < 2:
        return 0.0
    return float(GEOD.line_length([c[0] for c in coords], [c[1] for c in coords]))


def _geodesic(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(GEOD.line_length([a[0], b[0]], [a[1], b[1]]))


def _leg_from_rows(rows: list, sa: Snap, sb: Snap, a: tuple[float, float],
                   b: tuple[float, float], a_node: int, b_node: int) -> dict:
    # The leg starts and ends at the stops themselves: the few metres to the snapped point
    # are walked straight (a square mapped as an area is crossed, not walked round).
    coords: list[tuple[float, float]] = [(round(a[0], 7), round(a[1], 7))]
    steps: dict[int, int | None] = {}
    escalators: set[int] = set()
    ways: set[int] = set()
    for i, row in enumerate(rows[:-1]):
        piece = _piece(row, rows[i + 1][1], sa, sb, a_node, b_node)
        walked = _length_m(piece)
        if coords and piece and coords[-1] == piece[0]:
            piece = piece[1:]
        coords.extend(piece)
        if walked < MIN_WALKED_M:
            # A stop on a vertex is snapped a micrometre into one of its edges: that edge is
            # not walked (its steps are not climbed).
            continue
        ways.add(int(row[8]))
        if row[9]:
            escalators.add(int(row[8]))
        elif row[6] == "steps":
            count = row[7]
            steps[int(row[8])] = int(count) if count and str(count).isdigit() else None
    end = (round(b[0], 7), round(b[1], 7))
    if coords[-1] != end:
        coords.append(end)
    length = float(GEOD.line_length([c[0] for c in coords], [c[1] for c in coords]))
    return {"status": "ok", "coordinates": [list(c) for c in coords],
            "length_m": round(length, 1),
            "steps": sum(v for v in steps.values() if v), "flights": len(steps),
            "flights_uncounted": sum(1 for v in steps.values() if v is None),
            "escalators": len(escalators), "ways": sorted(ways),
            "snap_m": [round(sa.distance_m, 1), round(sb.distance_m, 1)]}


def _key(p: tuple[float, float]) -> tuple[int, int]:
    return round(p[0] * 1e7), round(p[1] * 1e7)


def route_legs(points: Sequence[tuple[float, float]], mode: str,
               network: WalkNetwork | None = None) -> list[dict]:
    """The legs between consecutive ``points`` (``(lon, lat)``), from the cache where the
    network version, mode and both ends are the same, routed (and cached) otherwise."""
    mode = _check_mode(mode)
    network = network or active_network()
    if network is None or len(points) < 2:
        return []
    pairs = [(_key(points[i]), _key(points[i + 1])) for i in range(len(points) - 1)]
    cached = _cached(network.id, mode, pairs)
    missing = [i for i, pair in enumerate(dict.fromkeys(pairs)) if pair not in cached]
    unique = list(dict.fromkeys(pairs))
    if missing:
        wanted = [(_point(unique[i][0]), _point(unique[i][1])) for i in missing]
        for i, leg in zip(missing, route_many(wanted, mode, network), strict=True):
            _store(network.id, mode, unique[i], leg)
            cached[unique[i]] = leg
    return [cached[pair] for pair in pairs]


def _point(key: tuple[int, int]) -> tuple[float, float]:
    return key[0] / 1e7, key[1] / 1e7


def _cached(network_id: int, mode: str, pairs) -> dict:
    if not pairs:
        return {}
    xs = sorted({p[0][0] for p in pairs})
    rows = db.session.execute(
        text("""SELECT from_x, from_y, to_x, to_y, leg FROM walknet_legs
                WHERE network_id = :n AND mode = :m AND from_x = ANY(:xs)"""),
        {"n": network_id, "m": mode, "xs": xs}).all()
    wanted = set(pairs)
    found = {((r[0], r[1]), (r[2], r[3])): r[4] for r in rows}
    return {k: v for k, v in found.items() if k in wanted}


def _store(network_id: int, mode: str, pair, leg: dict) -> None:
    (fx, fy), (tx, ty) = pair
    db.session.execute(insert(WalkLeg).values(
        network_id=network_id, mode=mode, from_x=fx, from_y=fy, to_x=tx, to_y=ty,
        status=leg["status"], leg=leg).on_conflict_do_nothing())


def cost_matrix(points: Sequence[tuple[float, float]], mode: str,
                network: WalkNetwork | None = None) -> tuple[list[list[float]], list[int]]:
    """Walking costs (metres, weighted as the routes are) between all ``points`` and the
    indices of points that are unreachable from the others (off the network, or in a part of
    it the rest cannot reach). Unreachable pairs are ``math.inf``.

    Raises:
        LookupError: there is no walking network.
    """
    mode = _check_mode(mode)
    network = network or active_network()
    if network is None:
        raise LookupError("no walking network")
    n = len(points)
    snaps = [snap(p[0], p[1], mode, network) for p in points]
    matrix = [[0.0 if i == j else math.inf for j in range(n)] for i in range(n)]
    on = [i for i, s in enumerate(snaps) if s is not None]
    if len(on) >= 2:
        margin = SEARCH_MARGIN_M
        rows = db.session.execute(text("""
            SELECT start_vid, end_vid, agg_cost FROM pgr_withPointsCostMatrix(
                :edges, :points, :pids, directed => true, driving_side => 'b')"""),
            {"edges": _edges_sql(mode, _box([points[i] for i in on], margin)),
             "points": _points_sql([snaps[i] for i in on]),
             "pids": [-(k + 1) for k in range(len(on))]}).all()
        for start, end, cost in rows:
            matrix[on[-start - 1]][on[-end - 1]] = float(cost)
    return matrix, _unreachable(matrix)


def _unreachable(matrix: list[list[float]]) -> list[int]:
    """Indices outside the largest group of points that reach each other both ways."""
    n = len(matrix)
    groups: list[list[int]] = []
    for i in range(n):
        for group in groups:
            j = group[0]
            if math.isfinite(matrix[i][j]) and math.isfinite(matrix[j][i]):
                group.append(i)
                break
        else:
            groups.append([i])
    if not groups:
        return []
    best = max(groups, key=len)
    return [i for i in range(n) if i not in best]
