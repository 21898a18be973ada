"""How long suggest_order takes for a 60-stop tour.

Prints times relative to nearest neighbour alone, measured in the same run, so the numbers
compare across machines. Run from the repository root: python -m bench.bench_ordering
"""

from __future__ import annotations

import random
import statistics
import time

from geo.ordering import (
    _nearest_neighbour,
    distance_matrix_m,
    path_length_m,
    suggest_order,
)

STOPS = 60
ROUNDS = 15


def _points(seed: int) -> list[tuple[float, float]]:
    rng = random.Random(seed)
    return [(rng.uniform(8.70, 8.76), rng.uniform(47.48, 47.52)) for _ in range(STOPS)]


def _time(func) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def main() -> None:
    instances = [_points(seed) for seed in range(ROUNDS)]
    baseline = [
        _time(lambda p=p: _nearest_neighbour(distance_matrix_m(p), None, None)) for p in instances
    ]
    cases = {
        "free ends": {},
        "fixed start": {"start": 0},
        "fixed start and end": {"start": 0, "end": STOPS - 1},
    }
    base = statistics.median(baseline)
    print(
        f"{STOPS} stops, {ROUNDS} instances; nearest neighbour (all starts): {base * 1000:.1f} ms"
    )
    for label, kwargs in cases.items():
        times = [_time(lambda p=p, k=kwargs: suggest_order(p, **k)) for p in instances]
        median = statistics.median(times)
        print(
            f"suggest_order, {label:20s} median {median * 1000:7.1f} ms, "
            f"max {max(times) * 1000:7.1f} ms, {median / base:5.1f}x nearest neighbour"
        )
    gains = []
    for p in instances:
        nn = _nearest_neighbour(distance_matrix_m(p), None, None)
        gains.append(1 - path_length_m(p, suggest_order(p)) / path_length_m(p, nn))
    print(f"path shorter than nearest neighbour alone by {statistics.mean(gains):.1%} on average")


if __name__ == "__main__":
    main()
