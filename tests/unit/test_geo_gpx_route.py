"""From GPX to a tour route: joining, noise removal, simplification in metres, elevation,
stops near the route."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from shapely.geometry import LineString

from geo.errors import GpxError
from geo.gpx import (
    GpxData,
    GpxPoint,
    GpxRoute,
    GpxTrack,
    Waypoint,
    clean_route_line,
    elevation_gain_loss,
    line_from_points,
    read_gpx,
    remove_noise,
    route_line,
    route_points,
    simplify_m,
    stops_off_route,
)
from geo.measure import distance_m, line_length_m
from tests.conftest import CORPUS

needs_corpus = pytest.mark.usefixtures("corpus")  # fails, naming the path, without it

M_PER_DEG_LAT = 111_180.0  # near 47° N
M_PER_DEG_LON = 75_300.0  # cos(47.5°) × 111.32 km


def _data(tracks=(), routes=(), waypoints=()) -> GpxData:
    return GpxData(
        version="1.1",
        creator=None,
        name=None,
        description=None,
        waypoints=tuple(waypoints),
        routes=tuple(routes),
        tracks=tuple(tracks),
    )


def _east(metres: float, north: float = 0.0, lon0=8.72, lat0=47.50) -> tuple[float, float]:
    return lon0 + metres / M_PER_DEG_LON, lat0 + north / M_PER_DEG_LAT


# --- route_line ---


def test_segments_are_joined_in_file_order_and_tracks_win_over_routes():
    a, b, c, d = (GpxPoint(8.70 + i / 100, 47.5) for i in range(4))
    gpx = _data(
        tracks=[GpxTrack("t1", ((a, b), ())), GpxTrack("t2", ((b, c), (d,)))],
        routes=[GpxRoute("r", (GpxPoint(9.0, 47.0), GpxPoint(9.1, 47.1)))],
    )
    line = route_line(gpx)
    assert list(line.coords) == [(p.lon, p.lat) for p in (a, b, c, d)]  # duplicate b removed


def test_route_used_when_tracks_have_no_line():
    gpx = _data(
        tracks=[GpxTrack(None, ((GpxPoint(8.7, 47.5),),))],
        routes=[GpxRoute("r", (GpxPoint(8.7, 47.5, 440.0), GpxPoint(8.71, 47.5, 450.0)))],
    )
    line = route_line(gpx)
    assert line.has_z and list(line.coords) == [(8.7, 47.5, 440.0), (8.71, 47.5, 450.0)]


def test_z_only_when_every_point_has_elevation():
    line = line_from_points([(8.7, 47.5, 440.0), (8.71, 47.5, None)])
    assert not line.has_z


@pytest.mark.parametrize(
    ("gpx", "code"),
    [
        (_data(waypoints=[Waypoint("w", None, 8.7, 47.5)]), "no_route"),
        (
            _data(tracks=[GpxTrack(None, ((GpxPoint(8.7, 47.5), GpxPoint(8.7, 47.5)),))]),
            "too_few_points",
        ),
        (_data(), "no_points"),
    ],
)
def test_route_line_refusals(gpx, code):
    with pytest.raises(GpxError) as info:
        route_line(gpx)
    assert info.value.code == code


# --- noise ---


def test_isolated_spike_is_removed_but_real_gap_kept():
    points = [GpxPoint(*_east(10.0 * i)) for i in range(10)]
    spiked = [*points[:5], GpxPoint(*_east(45, north=800)), *points[5:]]
    assert remove_noise(spiked) == points
    # A jump that does not come back (a train ride) is not noise.
    gap = [*points[:5], *[GpxPoint(*_east(5000 + 10.0 * i)) for i in range(5)]]
    assert remove_noise(gap) == gap


def test_spike_at_either_end_is_removed():
    points = [GpxPoint(*_east(10.0 * i)) for i in range(6)]
    away = GpxPoint(*_east(0, north=-900))
    assert remove_noise([away, *points]) == points
    assert remove_noise([*points, away]) == points


def test_implausible_speed_uses_times():
    t0 = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    pts = [GpxPoint(*_east(1.4 * i), None, t0 + timedelta(seconds=i)) for i in range(6)]
    # 150 m off for half a second: 300 m/s in and out, yet below the 200 m jump threshold.
    spike = GpxPoint(*_east(4.9, north=150), None, t0 + timedelta(seconds=3.5))
    noisy = [*pts[:4], spike, *pts[4:]]
    assert remove_noise(noisy) == pts
    assert remove_noise(noisy, max_speed_mps=400) == noisy


def test_noise_on_plain_tuples_and_short_input():
    assert remove_noise([(8.7, 47.5)]) == [(8.7, 47.5)]
    assert remove_noise([]) == []


# --- simplification ---


def test_zigzag_of_3_m_vanishes_at_5_m_and_stays_at_1_m():
    coords = [_east(20.0 * i, north=3.0 if i % 2 else 0.0) for i in range(21)]
    line = LineString(coords)
    assert len(simplify_m(line, 5).coords) == 2
    assert len(simplify_m(line, 1).coords) == 21
    assert simplify_m(line, 0) is line


def test_simplify_keeps_original_vertices_and_z():
    line = LineString([(*_east(10.0 * i, north=0.1 * i), 400.0 + i) for i in range(50)])
    simple = simplify_m(line, 5)
    assert simple.has_z
    assert set(simple.coords) <= set(line.coords)
    assert simple.coords[0] == line.coords[0] and simple.coords[-1] == line.coords[-1]


@needs_corpus
@pytest.mark.parametrize("name", ["gpxpy__Mojstrovka.gpx", "dost__1651066759000.gpx"])
def test_recorded_track_simplifies_with_length_within_2_percent(name):
    line = route_line(read_gpx((CORPUS / "gpx" / name).read_bytes()))
    simple = simplify_m(line, 5)
    assert len(simple.coords) < len(line.coords) * 0.6
    assert line_length_m(simple) == pytest.approx(line_length_m(line), rel=0.02)


@needs_corpus
def test_clean_route_line_of_a_corpus_file():
    gpx = read_gpx((CORPUS / "gpx" / "gpsbabel__garmin-edge-800-output.gpx").read_bytes())
    line = clean_route_line(gpx)
    assert line.is_valid and 2 <= len(line.coords) < gpx.track_point_count
    assert len(route_points(gpx)) <= gpx.track_point_count


# --- elevation ---


def test_elevation_gain_loss_with_hysteresis():
    assert elevation_gain_loss([400, 410, 405, 420, 400]) == (25.0, 25.0)
    # ±1 m jitter on flat ground is no climb at all.
    assert elevation_gain_loss([400, 401, 400, 401, 400, 401] * 20) == (0.0, 0.0)
    assert elevation_gain_loss([400, 401, 400, 401], threshold_m=0.5) == (2.0, 1.0)
    assert elevation_gain_loss([None, 400, None, 412]) == (12.0, 0.0)


def test_elevation_none_when_unknown():
    assert elevation_gain_loss([None, None]) is None
    assert elevation_gain_loss([]) is None
    assert elevation_gain_loss(LineString([(8.7, 47.5), (8.71, 47.5)])) is None
    assert elevation_gain_loss(LineString([(8.7, 47.5, 400), (8.71, 47.5, 430)])) == (30.0, 0.0)


# --- stops ---


def test_stops_off_route_in_metres():
    line = LineString([_east(0), _east(1000)])
    stops = [_east(100, north=10), _east(500, north=80), _east(900, north=-49), _east(1100)]
    result = stops_off_route(line, stops, max_m=50)
    assert [i for i, _ in result] == [1, 3]
    assert result[0][1] == pytest.approx(80, rel=0.01)
    assert result[1][1] == pytest.approx(distance_m(_east(1000), _east(1100)), rel=0.01)
    assert stops_off_route(line, []) == []
