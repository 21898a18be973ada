"""Numbers and dates as people read them, in the reader's language: for pages, feeds, the
OGC HTML encoding and print alike."""

from __future__ import annotations

from flask_babel import format_decimal
from flask_babel import gettext as _


def format_distance(metres: float | None) -> str:
    """A distance for people: metres below one kilometre, else kilometres, per locale."""
    if metres is None:
        return ""
    if metres < 1000:
        return _("%(m)s m", m=format_decimal(round(metres / 10) * 10, format="#,##0"))
    return _("%(km)s km", km=format_decimal(metres / 1000, format="#,##0.0"))


def format_minutes(minutes: int | None) -> str:
    """A duration in hours and minutes."""
    if minutes is None:
        return ""
    hours, mins = divmod(int(minutes), 60)
    if hours:
        return _("%(h)d h %(m)d min", h=hours, m=mins)
    return _("%(m)d min", m=mins)


def format_era(year: int | None, precision: str | None) -> str:
    """"1965" for a year, "the 1960s" for a decade, "" for unknown."""
    if year is None:
        return ""
    if precision == "decade":
        return _("the %(decade)ds", decade=year - year % 10)
    return str(year)


def format_story_era(start: int | None, end: int | None, precision: str | None) -> str:
    """A story's era as people read it: "1965", "the 1960s", "about 1965", "1900–1950"."""
    if start is None:
        return ""
    if precision == "circa":
        return _("about %(year)d", year=(start + (end if end is not None else start)) // 2)
    if precision == "range" and end is not None and end != start:
        return _("%(start)d to %(end)d", start=start, end=end)
    return format_era(start, precision)


def story_kind_label(kind: str) -> str:
    """The kind of a story in the reader's language."""
    return {"memory": _("Memory"), "history": _("History"), "tip": _("Tip")}.get(kind, kind)
