"""Errors raised by the geo package.

Every error carries a stable machine ``code`` (the web app translates by code) and an English
``message`` meant for the person who made the upload or request. ``params`` holds the values
interpolated into the message (limits, counts), so a translation can use them too.
"""

from __future__ import annotations

from typing import Any


class GeoError(ValueError):
    """Base class for every refusal in the geo package.

    Subclasses ``ValueError`` so that callers which only know "bad input" still catch it.

    Attributes:
        code: stable identifier such as ``"bad_coordinates"``; never changes between releases.
        message: English sentence for the user.
        params: values that appear in ``message`` (for translations).
    """

    code: str = "invalid"

    def __init__(self, message: str, *, code: str | None = None, **params: Any) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.message = message
        self.params = params

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class CoordinateError(GeoError):
    """A longitude/latitude that is not a number or lies outside ±180° / ±90°."""

    code = "bad_coordinates"


class OutOfAreaError(GeoError):
    """A position outside the service area (the region the site covers)."""

    code = "outside_area"


class TileError(GeoError):
    """A slippy-map tile address (z/x/y) that does not exist."""

    code = "bad_tile"


class GpxError(GeoError):
    """Any GPX upload that is refused, whatever the reason; ``code`` says which one.

    Codes (see ``GPX_ERROR_CODES``): ``empty``, ``too_large``, ``compressed``, ``not_xml``,
    ``fit``, ``tcx``, ``kml``, ``not_gpx``, ``unsafe_xml``, ``too_many_points``,
    ``bad_coordinates``, ``no_points``, ``outside_area``, ``no_route``, ``too_few_points``.
    """

    code = "not_gpx"

    def __init__(self, code: str, message: str, **params: Any) -> None:
        if code not in GPX_ERROR_CODES:
            # A typo here would silently reach users untranslated; fail loudly in tests instead.
            raise ValueError(f"unknown GPX error code {code!r}")
        super().__init__(message, code=code, **params)


# What each code means, for translators and API documentation; the messages raised carry
# the details (limits, counts).
GPX_ERROR_CODES: dict[str, str] = {
    "empty": "The file is empty.",
    "too_large": "The file is larger than the upload limit.",
    "compressed": "The file is compressed (gzip/zip); unpack it and upload the .gpx inside.",
    "not_xml": "The file is not a GPX file (it is not even text/XML).",
    "fit": "The file is a Garmin FIT activity, not GPX.",
    "tcx": "The file is a Garmin TCX file, not GPX.",
    "kml": "The file is KML (Google Earth), not GPX.",
    "not_gpx": "The file is XML but not GPX, or is damaged.",
    "unsafe_xml": "The file uses XML features that are refused for safety (DTD, entities).",
    "too_many_points": "The file has more points than allowed.",
    "bad_coordinates": "The file has no usable coordinates.",
    "no_points": "The file contains no waypoints, routes or tracks.",
    "outside_area": "Some points lie outside the area this site covers.",
    "no_route": "The file has only waypoints; a route needs a track or a route.",
    "too_few_points": "The track has fewer than two distinct points, so it is not a line.",
}


class EraError(GeoError):
    """A "when was this?" that is not a year, a decade or a range of years."""

    code = "bad_era"
