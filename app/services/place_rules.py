"""The rules every writer of a place shares: the era and position of a story, and the
snapshot a revision keeps (the field limits are app/models/story.py). Contribution, revision,
moderation and the seed all use these, so none of them imports another for them."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app
from flask_babel import gettext as _

from app.errors import ValidationError
from app.models import Place
from app.models.statuses import MediaKind
from app.models.story import EARLIEST_ERA
from geo import era as geo_era
from geo.errors import EraError
from geo.measure import ServiceArea


def story_era(value: str | None, *, ranges: bool = False) -> geo_era.Era | None:
    """The era of a story from 1000 to this year, in ``geo.era``'s grammar: a year, a decade
    or about a year, and with ``ranges`` also a range (a story of its own takes one; the
    place's own text, stored as a year or decade, does not); None when empty. Raises
    ValidationError (field ``era``, code ``bad_era``) with a translated message."""
    try:
        return geo_era.parse_era(
            value, earliest=EARLIEST_ERA, latest=datetime.now(UTC).year, ranges=ranges
        )
    except EraError as exc:
        if exc.code == "era_out_of_range":
            message = _("Give a year between 1000 and this year.")
        elif ranges:
            message = _("Give a year like 1965, a decade like 1960s or a range like 1900/1950.")
        else:
            message = _("Give a year like 1965 or a decade like 1960s.")
        raise ValidationError(message, field="era", code="bad_era") from exc


def parse_era(value: str | None) -> tuple[int | None, str | None]:
    """A story's era as stored (``era_year``, ``era_precision``): "1965" is a year, "1960s"
    (or "1960er") a decade; empty means unknown (None, None). See ``story_era``."""
    era = story_era(value)
    return (era.year, era.precision) if era else (None, None)


def in_service_area(lon: float, lat: float) -> bool:
    """Whether a position lies in the configured service area (SERVICE_AREA, GeoJSON)."""
    return ServiceArea(current_app.config["SERVICE_AREA"]).contains(lon, lat)


def check_position(lon: float | None, lat: float | None) -> tuple[float, float]:
    if lon is None or lat is None:
        raise ValidationError(
            _("Choose where this is: use your location, a photo's position or tap the map."),
            field="position",
            code="no_position",
        )
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValidationError(_("This position is not on Earth."), field="position")
    if not in_service_area(lon, lat):
        raise ValidationError(
            _("This position is outside the area Stadtspur covers for %(city)s. Stories can "
              "only be added for places in the area.", city=current_app.config["CITY_NAME"]),
            field="position",
            code="outside_service_area",
        )
    return lon, lat


def place_snapshot(place: Place, lon: float, lat: float, theme_slugs: list[str]) -> dict:
    """The fields of a place that a revision records (the seed's first revisions too)."""
    return {
        "title": place.title,
        "summary": place.summary,
        "body": place.body,
        "lon": lon,
        "lat": lat,
        "era_year": place.era_year,
        "era_precision": place.era_precision,
        "language": place.language,
        "themes": sorted(theme_slugs),
        "step_free": place.step_free,
    }


def snapshot(place: Place, lon: float, lat: float) -> dict:
    """The revision snapshot of a place (``place_snapshot`` plus media ids and credit)."""
    data = place_snapshot(place, lon, lat, [t.slug for t in place.themes])
    data["media"] = [m.id for m in place.media if m.kind != MediaKind.CONSENT_SCAN]
    data["credit_name"] = place.credit_name
    return data
