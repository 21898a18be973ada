"""read_gpx against the shared import-robustness corpus and against hostile input."""

from __future__ import annotations

import re
from functools import cache

import pytest

from geo.errors import GPX_ERROR_CODES, GpxError
from geo.gpx import GpxData, read_gpx, route_line
from geo.measure import ServiceArea
from tests.conftest import CORPUS

# The corpus lives next to the repository: ../shared/corpus
pytestmark = pytest.mark.usefixtures("corpus")  # fails, naming the path, without it

# file -> (wpt, routes, route points, tracks, track segments, track points), from the notes in
# MANIFEST.tsv ("wpt=0 rte=1/22pts trk=1/1seg/171pts"); test_table_matches_manifest keeps the
# two in step.
EXPECTED_COUNTS: dict[str, tuple[int, int, int, int, int, int]] = {
    "dost__1651066759000.gpx": (0, 0, 0, 1, 1, 1655),
    "dost__9266323613.gpx": (0, 0, 0, 1, 1, 385),
    "dost__rte.gpx": (0, 1, 2421, 0, 0, 0),
    "georust__ecology-trail-and-lovers-lane-loop.gpx": (0, 1, 139, 0, 0, 0),
    "georust__garmin-activity.gpx": (0, 1, 0, 1, 1, 988),
    "georust__outdooractive-export.gpx": (0, 0, 0, 1, 1, 9),
    "georust__strava_route_example.gpx": (0, 0, 0, 1, 1, 113),
    "georust__viking_with_route_extensions.gpx": (1, 1, 0, 1, 1, 5),
    "gpsbabel__GCGCA8.gpx": (1, 0, 0, 0, 0, 0),
    "gpsbabel__NegElev._tpo.gpx": (5, 0, 0, 0, 0, 0),
    "gpsbabel__bigtime.gpx": (2, 0, 0, 0, 0, 0),
    "gpsbabel__garmin-edge-800-output.gpx": (1, 0, 0, 1, 8, 1286),
    "gpsbabel__gpx_subsecond-sample.gpx": (0, 0, 0, 1, 1, 5),
    "gpsbabel__mtk_logger_m241_multiple_tracks.gpx": (0, 0, 0, 6, 6, 14263),
    "gpsbabel__spb_metro_norm_ru_gpi.gpx": (83, 0, 0, 0, 0, 0),
    "gpsbabel__umsonstdraussen.gpx": (78, 0, 0, 0, 0, 0),
    "gpxgo__gpx-without-root-attributes.gpx": (0, 0, 0, 1, 1, 1),
    "gpxgo__iso8859-1encoded.gpx": (8, 0, 0, 0, 0, 0),
    "gpxpy__Mojstrovka.gpx": (0, 0, 0, 1, 1, 184),
    "gpxpy__around-visnjan-with-car.gpx": (0, 0, 0, 1, 1, 104),
    "gpxpy__cerknicko-jezero-without-elevations.gpx": (7, 0, 0, 8, 8, 296),
    "gpxpy__cerknicko-jezero.gpx": (7, 0, 0, 8, 8, 296),
    "gpxpy__first_and_last_elevation.gpx": (0, 0, 0, 1, 1, 10),
    "gpxpy__gpx-with-node-with-comments.gpx": (0, 0, 0, 1, 1, 1),
    "gpxpy__gpx1.0_with_all_fields.gpx": (2, 2, 5, 2, 2, 1),
    "gpxpy__gpx1.1_with_all_fields.gpx": (2, 2, 5, 2, 2, 1),
    "gpxpy__gpx1.1_with_extensions.gpx": (1, 0, 0, 0, 0, 0),
    "gpxpy__korita-zbevnica.gpx": (2, 0, 0, 4, 4, 871),
    "gpxpy__track-with-empty-segment.gpx": (0, 0, 0, 1, 2, 9),
    "gpxpy__track-with-less-sec-time.gpx": (0, 0, 0, 1, 1, 2),
    "gpxpy__unicode.gpx": (6, 0, 0, 0, 0, 0),
    "gpxpy__unicode_with_bom_noencoding.gpx": (1, 0, 0, 0, 0, 0),
    "ntsgpx__20160617-La-Hermida-to-Bejes.gpx": (3, 1, 705, 0, 0, 0),
    "ntsgpx__St_Louis_Zoo_sample.gpx": (10, 0, 0, 0, 0, 0),
    "opentracks__gpx_timezone.gpx": (1, 0, 0, 1, 1, 1),
    "phpgpx__endomondo.gpx": (0, 0, 0, 1, 2, 5181),
    "togeojson__Friday-Evening-Run.gpx": (0, 0, 0, 1, 3, 17),
    "togeojson__blue_hills.gpx": (46, 0, 0, 3, 14, 1243),
    "togeojson__north_core.gpx": (0, 0, 0, 10, 15, 34),
    "togeojson__osm.gpx": (0, 0, 0, 3, 3, 420),
    "togeojson__run_gpxtpx.gpx": (0, 0, 0, 1, 1, 42),
    "togeojson__strava.gpx": (0, 0, 0, 1, 1, 3),
    "togeojson__unique_trkpt.gpx": (0, 0, 0, 1, 1, 1),
    "togeojson__wpt.gpx": (40, 0, 0, 0, 0, 0),
    "togeojson__zero_elevation.gpx": (0, 0, 0, 1, 1, 3),
}

# Valid GPX that is refused already when read: no wpt/rte/trk at all.
REFUSED_VALID = {"gpsbabel__empty.gpx": "no_points"}

# What route_line says for files that cannot become a tour route.
ROUTE_REFUSALS = {
    "gpsbabel__GCGCA8.gpx": "no_route",
    "gpsbabel__NegElev._tpo.gpx": "no_route",
    "gpsbabel__bigtime.gpx": "no_route",
    "gpsbabel__spb_metro_norm_ru_gpi.gpx": "no_route",
    "gpsbabel__umsonstdraussen.gpx": "no_route",
    "gpxgo__iso8859-1encoded.gpx": "no_route",
    "gpxpy__gpx1.1_with_extensions.gpx": "no_route",
    "gpxpy__unicode.gpx": "no_route",
    "gpxpy__unicode_with_bom_noencoding.gpx": "no_route",
    "ntsgpx__St_Louis_Zoo_sample.gpx": "no_route",
    "togeojson__wpt.gpx": "no_route",
    # A single track point is not a line.
    "togeojson__unique_trkpt.gpx": "too_few_points",
    "gpxgo__gpx-without-root-attributes.gpx": "too_few_points",
    "gpxpy__gpx-with-node-with-comments.gpx": "too_few_points",
    "opentracks__gpx_timezone.gpx": "too_few_points",
}

# Every file in gpx-invalid/ and the code it is refused with.
INVALID_CODES = {
    "georust__badcharacter.xml": "not_xml",
    "gpsbabel__garmin-vivosmart-hr.fit": "fit",
    "gpxgo__graphhopper.gpx.gz": "compressed",
    "togeojson__bad.gpx": "bad_coordinates",
    "togeojson__sample.tcx": "tcx",
}
# Decision: the legacy OpenTracks file is accepted. Its lat=100/lat=200 points are pause/resume
# markers, not positions; they are dropped with a warning and the four real points remain.
# Refusing it would reject every older OpenTracks recording with a pause in it.
OPENTRACKS_PAUSE = "opentracks__legacy_gpx_pause_resume.gpx"


def _counts(gpx: GpxData) -> tuple[int, int, int, int, int, int]:
    return (
        gpx.waypoint_count,
        len(gpx.routes),
        gpx.route_point_count,
        len(gpx.tracks),
        gpx.track_segment_count,
        gpx.track_point_count,
    )


@cache
def _read_valid(name: str) -> GpxData:
    # The largest corpus files take a second or two in gpxpy; read each once per run.
    return read_gpx((CORPUS / "gpx" / name).read_bytes())


def _manifest_counts() -> dict[str, tuple[int, ...]]:
    counts = {}
    pattern = re.compile(r"wpt=(\d+) rte=(\d+)/(\d+)pts trk=(\d+)/(\d+)seg/(\d+)pts")
    for line in (CORPUS / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        path, *_, notes = line.split("\t")
        match = pattern.search(notes)
        if path.startswith("gpx/") and match:
            counts[path.removeprefix("gpx/")] = tuple(int(g) for g in match.groups())
    return counts


def test_table_covers_every_corpus_file():
    on_disk = {p.name for p in (CORPUS / "gpx").iterdir()}
    assert on_disk == set(EXPECTED_COUNTS) | set(REFUSED_VALID)
    invalid = {p.name for p in (CORPUS / "gpx-invalid").iterdir()}
    assert invalid == set(INVALID_CODES) | {OPENTRACKS_PAUSE}


def test_table_matches_manifest():
    manifest = _manifest_counts()
    assert {k: v for k, v in manifest.items() if k not in REFUSED_VALID} == EXPECTED_COUNTS


@pytest.mark.parametrize("name", sorted(EXPECTED_COUNTS))
def test_valid_file_parses_to_expected_counts(name):
    gpx = _read_valid(name)
    assert _counts(gpx) == EXPECTED_COUNTS[name]
    assert gpx.warnings == ()
    points = [p for t in gpx.tracks for s in t.segments for p in s]
    points += [p for r in gpx.routes for p in r.points]
    for p in [*points, *gpx.waypoints]:
        assert -180 <= p.lon <= 180 and -90 <= p.lat <= 90


@pytest.mark.parametrize("name", sorted(EXPECTED_COUNTS))
def test_route_line_or_polite_refusal(name):
    gpx = _read_valid(name)
    if name in ROUTE_REFUSALS:
        with pytest.raises(GpxError) as info:
            route_line(gpx)
        assert info.value.code == ROUTE_REFUSALS[name]
        assert len(info.value.message) > 20
    else:
        line = route_line(gpx)
        assert len(line.coords) >= 2 and line.is_valid


@pytest.mark.parametrize("name", sorted(REFUSED_VALID))
def test_file_without_geometry_is_refused_politely(name):
    with pytest.raises(GpxError) as info:
        read_gpx((CORPUS / "gpx" / name).read_bytes())
    assert info.value.code == REFUSED_VALID[name]
    assert "no waypoints, routes or tracks" in info.value.message


@pytest.mark.parametrize("name", sorted(INVALID_CODES))
def test_invalid_file_is_refused_with_readable_message(name):
    with pytest.raises(GpxError) as info:
        read_gpx((CORPUS / "gpx-invalid" / name).read_bytes())
    err = info.value
    assert err.code == INVALID_CODES[name]
    assert err.message == str(err) and len(err.message) > 20
    assert err.message[0].isupper() and err.message.rstrip(")").endswith(".")


def test_gzip_message_says_to_unpack():
    with pytest.raises(GpxError) as info:
        read_gpx((CORPUS / "gpx-invalid" / "gpxgo__graphhopper.gpx.gz").read_bytes())
    assert "Unpack" in info.value.message


def test_opentracks_pause_markers_are_dropped_with_a_warning():
    gpx = read_gpx((CORPUS / "gpx-invalid" / OPENTRACKS_PAUSE).read_bytes())
    assert _counts(gpx) == (2, 0, 0, 1, 1, 4)
    assert [w.code for w in gpx.warnings] == ["dropped_points"]
    assert gpx.warnings[0].count == 2
    lats = {p.lat for p in gpx.tracks[0].segments[0]}
    assert lats == {3.0}


def test_service_area_refuses_points_outside():
    data = (CORPUS / "gpx" / "gpxpy__Mojstrovka.gpx").read_bytes()  # Slovenia
    winterthur = ServiceArea.from_bbox((8.62, 47.42, 8.85, 47.57))
    with pytest.raises(GpxError) as info:
        read_gpx(data, service_area=winterthur)
    assert info.value.code == "outside_area"
    assert info.value.params["outside"] == 184
    slovenia = ServiceArea.from_bbox((13.0, 45.0, 15.0, 47.0))
    assert read_gpx(data, service_area=slovenia).track_point_count == 184


def test_encodings_bom_and_utf8_names():
    gpx = read_gpx((CORPUS / "gpx" / "gpxpy__unicode.gpx").read_bytes())
    assert any("č" in (w.name or "") or "š" in (w.name or "") for w in gpx.waypoints)
    bom = read_gpx((CORPUS / "gpx" / "gpxpy__unicode_with_bom_noencoding.gpx").read_bytes())
    assert bom.waypoint_count == 1


def test_spb_cyrillic_names():
    gpx = read_gpx((CORPUS / "gpx" / "gpsbabel__spb_metro_norm_ru_gpi.gpx").read_bytes())
    assert any(re.search("[А-Яа-я]", w.name or "") for w in gpx.waypoints)


def test_elevation_is_optional():
    gpx = read_gpx((CORPUS / "gpx" / "gpxpy__cerknicko-jezero-without-elevations.gpx").read_bytes())
    assert all(p.ele is None for t in gpx.tracks for s in t.segments for p in s)
    with_ele = read_gpx((CORPUS / "gpx" / "gpsbabel__NegElev._tpo.gpx").read_bytes())
    assert min(w.ele for w in with_ele.waypoints if w.ele is not None) < 0


def test_every_code_has_a_description():
    assert all(text.endswith(".") for text in GPX_ERROR_CODES.values())
    with pytest.raises(ValueError):
        GpxError("no_such_code", "x")
