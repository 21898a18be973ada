"""suggest_order against the brute-force optimum on small random instances."""

from __future__ import annotations

import itertools
import random

import pytest

from geo.errors import GeoError
from geo.measure import distance_m
from geo.ordering import distance_matrix_m, path_length_m, suggest_order

ENDS = [(None, None), ("first", None), (None, "last"), ("first", "last")]


def _points(n: int, seed: int) -> list[tuple[float, float]]:
    rng = random.Random(seed)
    return [(rng.uniform(8.70, 8.76), rng.uniform(47.48, 47.52)) for _ in range(n)]


def _optimum(matrix, n, start, end) -> float:
    """Shortest open path by trying every permutation (geodesic metres)."""
    middle = [i for i in range(n) if i not in (start, end)]
    best = float("inf")
    for perm in itertools.permutations(middle):
        order = ([start] if start is not None else []) + list(perm)
        order += [end] if end is not None else []
        length = sum(matrix[a][b] for a, b in itertools.pairwise(order))
        best = min(best, length)
    return best


# 3..9 stops, two seeds each; nine free stops (9! paths) only with a fixed start, for speed.
CASES = [
    (n, seed, ends)
    for n in range(3, 10)
    for seed in (n * 101, n * 101 + 7)
    for ends in ENDS
    if n < 9 or ends[0] is not None
]


@pytest.mark.parametrize(("n", "seed", "ends"), CASES)
def test_within_5_percent_of_optimum(n, seed, ends):
    points = _points(n, seed)
    start = 0 if ends[0] else None
    end = n - 1 if ends[1] else None
    order = suggest_order(points, start=start, end=end)
    assert sorted(order) == list(range(n))
    assert start is None or order[0] == start
    assert end is None or order[-1] == end
    # The optimum uses true geodesic distances, not the order's own planar approximation.
    geodesic = [[distance_m(a, b) for b in points] for a in points]
    length = sum(geodesic[a][b] for a, b in itertools.pairwise(order))
    assert length <= _optimum(geodesic, n, start, end) * 1.05


@pytest.mark.parametrize(("start", "end"), [(None, None), (7, None), (None, 59), (3, 41)])
def test_sixty_stops_give_a_valid_order(start, end):
    points = _points(60, 2024)
    order = suggest_order(points, start=start, end=end)
    assert sorted(order) == list(range(60))
    assert start is None or order[0] == start
    assert end is None or order[-1] == end
    # Much shorter than visiting the stops in the given (random) order.
    assert path_length_m(points, order) < 0.5 * path_length_m(points, range(60))


def test_same_input_same_order():
    points = _points(25, 5)
    assert suggest_order(points) == suggest_order(points)


def test_points_on_a_line_are_walked_end_to_end():
    points = [(8.70 + k / 1000, 47.5) for k in (3, 0, 4, 1, 2)]
    order = suggest_order(points)
    assert [points[i][0] for i in order] in (
        sorted(p[0] for p in points),
        sorted((p[0] for p in points), reverse=True),
    )
    assert suggest_order(points, start=1) == [1, 3, 4, 0, 2]
    assert suggest_order(points, end=1) == [2, 0, 4, 3, 1]


def test_tiny_inputs():
    assert suggest_order([]) == []
    assert suggest_order([(8.7, 47.5)]) == [0]
    assert suggest_order([(8.7, 47.5)], start=0, end=0) == [0]
    two = [(8.7, 47.5), (8.71, 47.5)]
    assert suggest_order(two) == [0, 1]
    assert suggest_order(two, start=1) == [1, 0]
    assert suggest_order(two, end=0) == [1, 0]
    duplicates = [(8.7, 47.5)] * 4
    assert sorted(suggest_order(duplicates)) == [0, 1, 2, 3]


@pytest.mark.parametrize(
    "kwargs", [{"start": 5}, {"end": -1}, {"start": 1, "end": 1}, {"start": True}]
)
def test_bad_indices(kwargs):
    with pytest.raises(GeoError):
        suggest_order(_points(3, 1), **kwargs)


def test_path_length_and_matrix():
    points = [(8.70, 47.50), (8.70, 47.51), (8.71, 47.51)]
    assert path_length_m(points, [0]) == 0.0
    expected = distance_m(points[0], points[1]) + distance_m(points[1], points[2])
    assert path_length_m(points, [0, 1, 2]) == pytest.approx(expected)
    matrix = distance_matrix_m(points)
    assert matrix.shape == (3, 3)
    assert matrix[0][1] == pytest.approx(distance_m(points[0], points[1]), rel=0.005)
    assert distance_matrix_m([]).shape == (0, 0)
