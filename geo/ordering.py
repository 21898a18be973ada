"""A short walking order for a tour's stops (an open path, not a round trip).

Construction by nearest neighbour, then local search with 2-opt and Or-opt until no move
shortens the path. Distances are straight lines in a local equirectangular plane (metres):
within a city that is within a fraction of a percent of the geodesic distance and a thousand
times faster to compute, and the order only needs the comparisons to be right.

The open path with optional fixed ends is solved as a closed tour through one extra "dummy"
stop: the dummy is free to connect to any stop (an open end), or expensive to connect to all
stops but the fixed one(s), which forces them next to it, i.e. to the ends of the path. That
keeps the improvement moves the simple, well-known closed-tour ones.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

import numpy as np

from geo.errors import GeoError
from geo.measure import GEOD, validate_lonlat

_EARTH_RADIUS_M = 6_371_008.8
# Or-opt moves chains of up to this many consecutive stops.
_OR_OPT_MAX_CHAIN = 3
# Above this many stops, nearest neighbour is started from a sample of stops only, to keep
# construction from growing with the cube of the stop count.
_MAX_NN_STARTS = 40
# Iterated local search: perturb the best tour this many times (fewer for many stops, so 60
# stops stay well under a second) and keep any improvement.
_KICK_BUDGET = 600
_MAX_KICKS = 40
_RESTART_BELOW = 12
# Up to this many stops a cost-matrix order is exact (2^n · n² steps: 9 stops ≈ 40k).
EXACT_MAX_STOPS = 9


def distance_matrix_m(points: Sequence[Sequence[float]]) -> np.ndarray:
    """Approximate pairwise distances in metres (local equirectangular projection).

    Args:
        points: ``(lon, lat)`` degrees.

    Returns:
        An ``n × n`` symmetric array of metres.
    """
    coords = np.array([validate_lonlat(p[0], p[1]) for p in points], dtype=float).reshape(-1, 2)
    if len(coords) == 0:
        return np.zeros((0, 0))
    lat0 = math.radians(float(coords[:, 1].mean()))
    x = np.radians(coords[:, 0]) * math.cos(lat0) * _EARTH_RADIUS_M
    y = np.radians(coords[:, 1]) * _EARTH_RADIUS_M
    return np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :])


def path_length_m(points: Sequence[Sequence[float]], order: Sequence[int]) -> float:
    """Geodesic length in metres of visiting ``points`` (``(lon, lat)``) in ``order``."""
    if len(order) < 2:
        return 0.0
    lons = [points[i][0] for i in order]
    lats = [points[i][1] for i in order]
    return float(GEOD.line_length(lons, lats))


def suggest_order(
    points: Sequence[Sequence[float]],
    *,
    start: int | None = None,
    end: int | None = None,
) -> list[int]:
    """A short order to walk through all points, as indices into ``points``.

    Args:
        points: ``(lon, lat)`` degrees of each stop.
        start: index of the stop that must come first, or None to let the order choose.
        end: index of the stop that must come last, or None.

    Returns:
        A permutation of ``range(len(points))``.

    Raises:
        GeoError: ``start``/``end`` out of range, or equal while there are several points.
    """
    n = len(points)
    _check_ends(n, start, end)
    if n <= 1:
        return list(range(n))
    return _solve(distance_matrix_m(points), start, end)


def suggest_order_matrix(
    matrix: Sequence[Sequence[float]],
    *,
    start: int | None = None,
    end: int | None = None,
) -> list[int]:
    """A short order through all stops given their walking costs (a network's cost matrix).

    Up to ``EXACT_MAX_STOPS`` stops the order is exact (dynamic programming over subsets);
    above, the heuristic of ``suggest_order`` runs on the matrix made symmetric (the mean of
    both directions: walking costs differ little by direction, and the moves assume symmetry).

    Args:
        matrix: ``n × n`` costs, ``matrix[i][j]`` from stop i to stop j; all finite.
        start: index of the stop that must come first, or None.
        end: index of the stop that must come last, or None.

    Raises:
        GeoError: a non-square matrix, an infinite or negative cost, or bad ``start``/``end``.
    """
    costs = np.array(matrix, dtype=float)
    n = len(costs)
    if costs.shape != (n, n) if n else False:
        raise GeoError("The cost matrix must be square.", code="bad_matrix")
    if n and (not np.isfinite(costs).all() or (costs < 0).any()):
        raise GeoError("Every stop must be reachable from every other.", code="unreachable")
    _check_ends(n, start, end)
    if n <= 1:
        return list(range(n))
    if n <= EXACT_MAX_STOPS:
        return _exact(costs, start, end)
    return _solve((costs + costs.T) / 2.0, start, end)


def _check_ends(n: int, start: int | None, end: int | None) -> None:
    for label, index in (("start", start), ("end", end)):
        if index is not None and not (
            isinstance(index, int) and not isinstance(index, bool) and 0 <= index < n
        ):
            raise GeoError(f"{label} must be an index between 0 and {n - 1}.", code="bad_index")
    if start is not None and start == end and n > 1:
        raise GeoError("start and end must differ: the order is a path, not a loop.")


def _exact(costs: np.ndarray, start: int | None, end: int | None) -> list[int]:
    """The cheapest open path through all stops (Held–Karp over subsets), ties broken by the
    lowest indices so the same matrix always gives the same order."""
    n = len(costs)
    c = costs.tolist()
    firsts = [start] if start is not None else list(range(n))
    best: dict[tuple[int, int], tuple[float, int]] = {}
    for f in firsts:
        if end is not None and f == end:
            continue
        best[(1 << f, f)] = (0.0, -1)
    for mask in range(1, 1 << n):
        for last in range(n):
            entry = best.get((mask, last))
            if entry is None:
                continue
            for nxt in range(n):
                if mask & (1 << nxt):
                    continue
                if end is not None and nxt == end and mask | (1 << nxt) != (1 << n) - 1:
                    continue
                key = (mask | (1 << nxt), nxt)
                cost = entry[0] + c[last][nxt]
                if key not in best or cost < best[key][0] - 1e-9:
                    best[key] = (cost, last)
    full = (1 << n) - 1
    lasts = [end] if end is not None else list(range(n))
    last = min((k for k in lasts if (full, k) in best), key=lambda k: (best[(full, k)][0], k))
    path = [last]
    mask = full
    while True:
        prev = best[(mask, last)][1]
        if prev < 0:
            break
        mask &= ~(1 << last)
        path.append(prev)
        last = prev
    return path[::-1]


def _solve(matrix: np.ndarray, start: int | None, end: int | None) -> list[int]:
    n = len(matrix)
    if n == 2:
        order = [0, 1]
        if start == 1 or end == 0:
            order.reverse()
        return order
    path = _nearest_neighbour(matrix, start, end)
    d = _with_dummy(matrix, start, end)
    best = _improve(d, [n, *path])
    best_cost = _tour_cost(d, best)
    # Seeded, so the same stops always give the same suggestion.
    rng = random.Random(n)  # noqa: S311  (not for security)
    for _ in range(min(_MAX_KICKS, _KICK_BUDGET // n)):
        candidate = _improve(d, _kick(best, rng))
        cost = _tour_cost(d, candidate)
        if cost < best_cost - 1e-9:
            best, best_cost = candidate, cost
    return _path_from_tour(best, n, start, end)


def _tour_cost(d: list[list[float]], tour: list[int]) -> float:
    return sum(d[tour[k - 1]][tour[k]] for k in range(len(tour)))


def _kick(tour: list[int], rng: random.Random) -> list[int]:
    """A perturbed copy: a double bridge (a move 2-opt cannot undo) or, for small tours, a
    fresh random order (a restart: a double bridge has too few places to go there).

    Tours that break the fixed ends cost more than any that keep them, so a kick can never
    make the kept result invalid.
    """
    size = len(tour)
    if size <= _RESTART_BELOW:
        shuffled = tour[:]
        rng.shuffle(shuffled)
        return shuffled
    a, b, c = sorted(rng.sample(range(1, size), 3))
    return tour[:a] + tour[b:c] + tour[a:b] + tour[c:]


def _nearest_neighbour_from(matrix: np.ndarray, first: int, last: int | None) -> list[int]:
    n = len(matrix)
    visited = np.zeros(n, dtype=bool)
    visited[first] = True
    if last is not None:
        visited[last] = True
    path = [first]
    current = first
    for _ in range(n - visited.sum()):
        row = np.where(visited, np.inf, matrix[current])
        current = int(np.argmin(row))
        visited[current] = True
        path.append(current)
    if last is not None:
        path.append(last)
    return path


def _nearest_neighbour(matrix: np.ndarray, start: int | None, end: int | None) -> list[int]:
    if start is not None:
        return _nearest_neighbour_from(matrix, start, end)
    if end is not None:
        # Grow the path backwards from the fixed end.
        return _nearest_neighbour_from(matrix, end, None)[::-1]
    n = len(matrix)
    starts = range(n) if n <= _MAX_NN_STARTS else np.linspace(0, n - 1, _MAX_NN_STARTS, dtype=int)
    best: list[int] = []
    best_length = math.inf
    for first in starts:
        path = _nearest_neighbour_from(matrix, int(first), None)
        length = float(matrix[path[:-1], path[1:]].sum())
        if length < best_length:
            best, best_length = path, length
    return best


def _with_dummy(matrix: np.ndarray, start: int | None, end: int | None) -> list[list[float]]:
    """The matrix plus a dummy stop (index n) that turns the open path into a closed tour."""
    n = len(matrix)
    fixed = [i for i in (start, end) if i is not None]
    # Any tour has exactly two dummy edges, so a constant penalty on the non-fixed ones changes
    # no comparison between tours that respect the fixed ends and rules out all others.
    penalty = float(matrix.max()) * (n + 1) + 1.0 if fixed else 0.0
    dummy = np.full(n, penalty)
    dummy[fixed] = 0.0
    full = np.zeros((n + 1, n + 1))
    full[:n, :n] = matrix
    full[n, :n] = dummy
    full[:n, n] = dummy
    # Plain lists: the search reads single entries millions of times, which numpy does slowly.
    return full.tolist()


def _improve(d: list[list[float]], tour: list[int]) -> list[int]:
    """2-opt and Or-opt on a closed tour until neither finds an improvement."""
    improved = True
    while improved:
        improved = _two_opt(d, tour)
        improved = _or_opt(d, tour) or improved
    return tour


def _two_opt(d: list[list[float]], tour: list[int]) -> bool:
    size = len(tour)
    any_change = False
    changed = True
    while changed:
        changed = False
        for i in range(size - 1):
            a, b = tour[i], tour[i + 1]
            d_ab = d[a][b]
            # j == size - 1 pairs edge (i, i+1) with the closing edge (last, first).
            for j in range(i + 2, size if i > 0 else size - 1):
                c, e = tour[j], tour[(j + 1) % size]
                delta = d[a][c] + d[b][e] - d_ab - d[c][e]
                if delta < -1e-9:
                    tour[i + 1 : j + 1] = tour[i + 1 : j + 1][::-1]
                    changed = any_change = True
                    a, b = tour[i], tour[i + 1]
                    d_ab = d[a][b]
    return any_change


def _or_opt(d: list[list[float]], tour: list[int]) -> bool:
    size = len(tour)
    any_change = False
    changed = True
    while changed:
        changed = False
        for length in range(1, min(_OR_OPT_MAX_CHAIN, size - 2) + 1):
            i = 0
            while i < size:
                # The chain is tour[i .. i+length-1] (cyclic); p before it, q after it.
                chain = [tour[(i + k) % size] for k in range(length)]
                p = tour[(i - 1) % size]
                q = tour[(i + length) % size]
                first, last = chain[0], chain[-1]
                removal_gain = d[p][first] + d[last][q] - d[p][q]
                best_delta = -1e-9
                best_move = None
                # Insert between x and y, an edge not touching the chain.
                for k in range(size - length - 1):
                    x = tour[(i + length + k) % size]
                    y = tour[(i + length + k + 1) % size]
                    forward = d[x][first] + d[last][y] - d[x][y] - removal_gain
                    backward = d[x][last] + d[first][y] - d[x][y] - removal_gain
                    if forward < best_delta:
                        best_delta, best_move = forward, (k, False)
                    if backward < best_delta:
                        best_delta, best_move = backward, (k, True)
                if best_move is None:
                    i += 1
                    continue
                k, reverse = best_move
                # Rotate so the chain is at the front, then rebuild: rest up to x, chain, rest.
                rotated = tour[i:] + tour[:i]
                rest = rotated[length:]
                moved = chain[::-1] if reverse else chain
                tour[:] = rest[: k + 1] + moved + rest[k + 1 :]
                changed = any_change = True
    return any_change


def _path_from_tour(tour: list[int], n: int, start: int | None, end: int | None) -> list[int]:
    at = tour.index(n)
    path = tour[at + 1 :] + tour[:at]
    if (start is not None and path[0] != start) or (end is not None and path[-1] != end):
        path.reverse()
    return path
