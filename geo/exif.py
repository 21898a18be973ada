"""Where a photo was taken, from its EXIF GPS tags.

Phones and cameras write many broken variants: zeros for "no fix" (0,0 is in the Gulf of
Guinea, "Null Island"), rationals with zero denominators, single numbers instead of
degree/minute/second triples, missing N/S/E/W references. All of those mean "no location"
here; the person is then asked to place the photo on the map, which is better than a pin in
the ocean.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from PIL import ExifTags, Image

from geo.measure import is_valid_lonlat

GPS_IFD = int(ExifTags.IFD.GPSInfo)  # 0x8825
_LAT_REF = int(ExifTags.GPS.GPSLatitudeRef)
_LAT = int(ExifTags.GPS.GPSLatitude)
_LON_REF = int(ExifTags.GPS.GPSLongitudeRef)
_LON = int(ExifTags.GPS.GPSLongitude)


def gps_from_exif(source: Any) -> tuple[float, float] | None:
    """The photo's position as ``(lon, lat)`` in degrees, or None when there is no valid one.

    Args:
        source: a Pillow ``Image``, its ``Image.Exif`` (``img.getexif()``), or an already
            extracted GPS IFD mapping (tag number → value).

    Returns:
        ``(lon, lat)``; None for a missing GPS IFD, missing N/S/E/W references, values that
        are not three finite degree/minute/second numbers, out-of-range results, and exactly
        (0, 0). Never raises on corrupt EXIF.
    """
    try:
        gps = _gps_ifd(source)
        if not gps:
            return None
        lat = _degrees(gps.get(_LAT), gps.get(_LAT_REF), "N", "S", 90.0)
        lon = _degrees(gps.get(_LON), gps.get(_LON_REF), "E", "W", 180.0)
    except Exception:  # noqa: BLE001
        # EXIF comes from untrusted files and Pillow surfaces corruption as many exception
        # types; a photo without a usable position is a normal case, not an error.
        return None
    if lat is None or lon is None:
        return None
    if lat == 0.0 and lon == 0.0:
        return None
    if not is_valid_lonlat(lon, lat):
        return None
    return lon, lat


def _gps_ifd(source: Any) -> Mapping[int, Any] | None:
    if isinstance(source, Image.Image):
        source = source.getexif()
    if isinstance(source, Image.Exif):
        return source.get_ifd(GPS_IFD)
    if isinstance(source, Mapping):
        return source
    return None


def _ref(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("ascii", "ignore")
    if not isinstance(value, str):
        return None
    # Some writers pad with NULs or spaces, some use lower case.
    ref = value.strip("\x00 ").upper()
    return ref or None


def _degrees(value: Any, ref: Any, positive: str, negative: str, limit: float) -> float | None:
    direction = _ref(ref)
    if direction not in (positive, negative):
        return None
    if isinstance(value, str | bytes) or not isinstance(value, tuple | list) or len(value) != 3:
        return None
    d, m, s = (float(part) for part in value)
    if not all(math.isfinite(x) and x >= 0 for x in (d, m, s)):
        return None
    # Minutes/seconds of exactly 60 occur from rounding in some firmware; more is garbage.
    if m > 60 or s > 60:
        return None
    result = d + m / 60.0 + s / 3600.0
    if result > limit:
        return None
    return -result if direction == negative else result
