"""gps_from_exif against the real photos of the corpus and hand-made GPS IFDs."""

from __future__ import annotations

import math

import pytest
from PIL import ExifTags, Image, TiffImagePlugin

from geo.exif import gps_from_exif
from tests.conftest import CORPUS

PHOTOS = CORPUS / "photos"
pytestmark = pytest.mark.usefixtures("corpus")  # fails, naming the path, without it

try:
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIF = True
except ImportError:  # pragma: no cover - pillow-heif is a project dependency
    HEIF = False

# (lat, lon) from MANIFEST.tsv; None = the photo must count as having no location.
EXPECTED: dict[str, tuple[float, float] | None] = {
    "exifpy__67-0_length_string.jpg": (51.02500, 7.59194),
    "exifpy__87_OSError.jpg": (43.78559, 11.23462),
    "exifpy__DSCN0010.jpg": (43.46745, 11.88513),
    "exifpy__DSCN0021.jpg": (43.46708, 11.88454),
    "exifpy__DSCN0027.jpg": (43.46844, 11.88152),
    "exifpy__DSCN0042.jpg": (43.46446, 11.88148),
    "exifpy__HMD_Nokia_8.3_5G_hdr.heif": (40.66299, -3.76374),
    "exifpy__Kodak_CX7530.jpg": (-0.37130, 36.05642),
    "exifpy__heic_hdlr_box.jpg": None,
    "exifpy__image00971.jpg": None,
    "exifpy__iphone_hdr_NO.jpg": (40.44697, -3.72475),
    "exifpy__landscape_1.jpg": None,
    "exifpy__landscape_2.jpg": None,
    "exifpy__landscape_3.jpg": None,
    "exifpy__landscape_4.jpg": None,
    "exifpy__landscape_5.jpg": None,
    "exifpy__landscape_6.jpg": None,
    "exifpy__landscape_7.jpg": None,
    "exifpy__landscape_8.jpg": None,
    "exifpy__no_exif.jpg": None,
    "exifpy__spring_1440x960.heic": None,
    "mei__Apple_iPhone_4.jpg": (41.85300, 12.48883),
    "mei__FLIR_Vue_Pro_640.jpg": None,  # S/W refs but all zero: Null Island
    "mei__IMG_1034.heic": (23.17792, 113.39432),
    "mei__Issue_173_dotnet.jpg": (43.68739, -85.48352),
    "mei__Issue_508.jpg": (43.85947, 15.50328),
    "mei__Nikon_D5000.jpg": None,  # zero denominators (NaN)
    "mei__Nokia_Lumia_800.jpg": (53.35947, -6.25823),
    "mei__NullPointerException.HeifPictureHandler.processBox.heif": None,
    "mei__Olympus_FE230-X790.jpg": (50.95692, -118.10727),
    "mei__Samsung_GT-I9000_Galaxy_S.jpg": None,  # 0,0
    "mei__exif-at-eof.heic": (47.20712, 106.24311),
    "pillow__exif_gps.jpg": None,  # single-value GPSLatitude, no refs
    "pillow__exif_gps_typeerror.jpg": None,
    "pillow__invalid-exif.jpg": None,
    "pillow__orientation_rectangle.jpg": None,
    "pillow__truncated_jpeg.jpg": None,
    "pillow__ultrahdr.jpg": (30.62765, 119.73877),
}
# libheif cannot even identify this one; opening it is the media pipeline's refusal.
UNOPENABLE = {"mei__IllegalArgumentException.HeifReader.processBoxes.heif"}


def test_table_covers_every_photo():
    assert {p.name for p in PHOTOS.iterdir()} == set(EXPECTED) | UNOPENABLE


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_photo_gps(name):
    if not HEIF and name.endswith((".heic", ".heif")):
        pytest.skip("pillow-heif is not installed")
    with Image.open(PHOTOS / name) as img:
        from_image = gps_from_exif(img)
        from_exif = gps_from_exif(img.getexif())
    assert from_image == from_exif
    expected = EXPECTED[name]
    if expected is None:
        assert from_image is None
    else:
        lon, lat = from_image
        assert lat == pytest.approx(expected[0], abs=1e-4)
        assert lon == pytest.approx(expected[1], abs=1e-4)


def _r(value: float, denominator: int = 1) -> TiffImagePlugin.IFDRational:
    return TiffImagePlugin.IFDRational(value, denominator)


G = ExifTags.GPS
WINTERTHUR = {
    G.GPSLatitudeRef: "N",
    G.GPSLatitude: (_r(47), _r(30), _r(0)),
    G.GPSLongitudeRef: "E",
    G.GPSLongitude: (_r(8), _r(43), _r(2676, 100)),
}


def test_hand_made_ifd():
    lon, lat = gps_from_exif(WINTERTHUR)
    assert (lat, lon) == pytest.approx((47.5, 8.7241), abs=1e-6)
    south_west = {**WINTERTHUR, G.GPSLatitudeRef: b"S\x00", G.GPSLongitudeRef: "w "}
    assert gps_from_exif(south_west) == pytest.approx((-lon, -lat))


@pytest.mark.parametrize(
    "change",
    [
        {G.GPSLatitudeRef: None},
        {G.GPSLongitudeRef: "X"},
        {G.GPSLongitudeRef: 5},
        {G.GPSLatitude: (_r(47), _r(30))},
        {G.GPSLatitude: 4294967295},
        {G.GPSLatitude: "47,30,0"},
        {G.GPSLatitude: (_r(47), _r(30, 0), _r(0))},
        {G.GPSLatitude: (float("nan"), 0.0, 0.0)},
        {G.GPSLatitude: (-47.0, 0.0, 0.0)},
        {G.GPSLatitude: (91.0, 0.0, 0.0)},
        {G.GPSLongitude: (179.0, 61.0, 0.0)},
        {G.GPSLongitude: (object(), 0, 0)},
        {
            G.GPSLatitude: (_r(0), _r(0), _r(0)),
            G.GPSLongitude: (_r(0), _r(0), _r(0)),
        },
    ],
)
def test_broken_values_mean_no_location(change):
    ifd = {**WINTERTHUR, **change}
    ifd = {k: v for k, v in ifd.items() if v is not None}
    assert gps_from_exif(ifd) is None


def test_equator_and_prime_meridian_alone_are_fine():
    on_equator = {**WINTERTHUR, G.GPSLatitude: (0.0, 0.0, 0.0)}
    lon, lat = gps_from_exif(on_equator)
    assert lat == 0.0 and math.isclose(lon, 8.7241, abs_tol=1e-6)


@pytest.mark.parametrize("source", [None, 42, "exif", {}, Image.new("RGB", (2, 2))])
def test_no_exif_at_all(source):
    assert gps_from_exif(source) is None
