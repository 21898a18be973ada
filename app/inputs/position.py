"""A position in a page's query string (``?near=lon,lat``), as the search and home pages take
it; the API parses the same grammar (geo.measure.parse_lonlat) with its own messages."""

from __future__ import annotations

from flask_babel import gettext as _

from app.errors import ValidationError
from geo.errors import CoordinateError
from geo.measure import parse_lonlat


def parse_near(raw: str | None, field_name: str = "near") -> tuple[float, float] | None:
    """``"lon,lat"`` as floats in range, or None when empty; anything else is a 422."""
    if not raw:
        return None
    try:
        return parse_lonlat(raw)
    except CoordinateError as exc:
        if exc.params["shape"]:
            raise ValidationError(
                _("Give a position as longitude,latitude."), field=field_name
            ) from exc
        raise ValidationError(_("That position is outside the map."), field=field_name) from exc
