""""When was this?": one grammar for the era of a story and for filtering by era.

The accepted forms, after surrounding spaces are removed and letters lowered:

=================  =====================  ===============================================
form               example                means
=================  =====================  ===============================================
year               ``1965``, ``-44``      that year (1 to 4 ASCII digits, an optional ``-``)
decade             ``1960s``, ``1960er``  the ten years from the decade's first year;
                   ``1960's``, ``1965s``  a year inside it names the decade it falls in
range              ``1900/1950``          the years from the first to the second, both in
circa              ``ca. 1965``, ``~1965`` about that year: the five years either side count
                   ``um 1965``, ``c. 1965`` for a filter, the year itself is what is stored
=================  =====================  ===============================================

Everything else is refused: words ("long ago"), empty parts (``1900/``), other digits than
0-9, signs other than a leading ``-``, more than four digits, spaces inside. Every era is a
closed range of years, so a filter and a story compare by overlap: a story of the 1960s
matches ``era=1965`` and ``era=1950/1962``.

A story stores a year, a circa year, a decade or a range between 1000 and this year (the older
place columns only a year or a decade: ``ranges=False``); a filter takes
any form between -9999 and 9999. The caller says which with ``ranges``, ``earliest`` and
``latest``; the grammar is the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from geo.errors import EraError

YEAR = "year"
DECADE = "decade"
RANGE = "range"
CIRCA = "circa"
CIRCA_SPREAD = 5  # "about 1965" overlaps a filter for 1960..1970

# [0-9], not \d: \d would take other scripts' digits, which int() reads as numbers too.
_ERA = re.compile(r"(?P<lo>-?[0-9]{1,4})(?:(?P<decade>s|er|'s)|/(?P<hi>-?[0-9]{1,4}))?")
# "ca. 1965", "c. 1965", "circa 1965", "um 1965" (German), "~1965": one year, roughly.
_CIRCA = re.compile(r"(?:ca\.?|c\.|circa|um|~) ?(?P<year>-?[0-9]{1,4})")


@dataclass(frozen=True)
class Era:
    """A span of years, ``start`` and ``end`` included, with how it was given."""

    start: int
    end: int
    precision: str  # YEAR, DECADE, RANGE or CIRCA

    @property
    def year(self) -> int:
        """The year stored for a story: the year itself, the decade's first year, the
        range's first year, or the year "about" which a circa era was given."""
        if self.precision == CIRCA:
            return (self.start + self.end) // 2
        return self.start


def parse_era(
    raw: str | None, *, earliest: int = -9999, latest: int = 9999, ranges: bool = True
) -> Era | None:
    """Parse an era (see the module's table); None for an empty value.

    ``ranges=False`` refuses the range and circa forms (what a place's own era columns
    store: only a year or a decade).
    Raises ``EraError`` with code ``bad_era`` for anything not in the grammar (a range when
    ranges are refused, a range that ends before it starts), or ``era_out_of_range`` (with
    ``earliest`` and ``latest`` in its params) for a year outside the bounds. A decade counts
    from its first year: the 2020s are a valid era before they are over."""
    value = (raw or "").strip().lower()
    if not value:
        return None
    match = _ERA.fullmatch(value)
    circa = None if match else _CIRCA.fullmatch(value)
    if (not match and not circa) or (not ranges and (circa or match["hi"] is not None)):
        raise EraError(
            "Give a year like 1965, a decade like 1960s or a range like 1900/1950."
            if ranges else "Give a year like 1965 or a decade like 1960s.",
        )
    if circa:
        year = int(circa["year"])
        return _bounded(Era(year - CIRCA_SPREAD, year + CIRCA_SPREAD, CIRCA), earliest, latest)
    lo = int(match["lo"])
    if match["decade"]:
        lo -= lo % 10  # Python's % keeps -44s in the decade -50..-41, as with positive years
        era = Era(lo, lo + 9, DECADE)
    elif match["hi"] is not None:
        era = Era(lo, int(match["hi"]), RANGE)
    else:
        era = Era(lo, lo, YEAR)
    if era.start > era.end:
        raise EraError("A range of years starts before it ends, like 1900/1950.")
    return _bounded(era, earliest, latest)


def _bounded(era: Era, earliest: int, latest: int) -> Era:
    """``era`` if the years it names lie within the bounds (a decade by its first year, a
    circa era by its year); else ``era_out_of_range``."""
    first = era.year if era.precision == CIRCA else era.start
    last = era.start if era.precision == DECADE else (
        era.year if era.precision == CIRCA else era.end)
    if first < earliest or last > latest:
        raise EraError(
            f"Give a year between {earliest} and {latest}.",
            code="era_out_of_range", earliest=earliest, latest=latest,
        )
    return era
