""""When was this?": one grammar for the era of a story and for filtering by era.

The accepted forms, after surrounding spaces are removed and letters lowered:

=================  =====================  ===============================================
form               example                means
=================  =====================  ===============================================
year               ``1965``, ``-44``      that year (1 to 4 ASCII digits, an optional ``-``)
decade             ``1960s``, ``1960er``  the ten years from the decade's first year;
                   ``1960's``, ``1965s``  a year inside it names the decade it falls in
range              ``1900/1950``          the years from the first to the second, both in
=================  =====================  ===============================================

Everything else is refused: words ("long ago"), empty parts (``1900/``), other digits than
0-9, signs other than a leading ``-``, more than four digits, spaces inside. Every era is a
closed range of years, so a filter and a story compare by overlap: a story of the 1960s
matches ``era=1965`` and ``era=1950/1962``.

A story stores a year or a decade (not a range) between 1000 and this year; a filter takes
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

# [0-9], not \d: \d would take other scripts' digits, which int() reads as numbers too.
_ERA = re.compile(r"(?P<lo>-?[0-9]{1,4})(?:(?P<decade>s|er|'s)|/(?P<hi>-?[0-9]{1,4}))?")


@dataclass(frozen=True)
class Era:
    """A span of years, ``start`` and ``end`` included, with how it was given."""

    start: int
    end: int
    precision: str  # YEAR, DECADE or RANGE

    @property
    def year(self) -> int:
        """The year stored for a story: the year itself, or the decade's first year."""
        return self.start


def parse_era(
    raw: str | None, *, earliest: int = -9999, latest: int = 9999, ranges: bool = True
) -> Era | None:
    """Parse an era (see the module's table); None for an empty value.

    ``ranges=False`` refuses the range form (a story stores only a year or a decade).
    Raises ``EraError`` with code ``bad_era`` for anything not in the grammar (a range when
    ranges are refused, a range that ends before it starts), or ``era_out_of_range`` (with
    ``earliest`` and ``latest`` in its params) for a year outside the bounds. A decade counts
    from its first year: the 2020s are a valid era before they are over."""
    value = (raw or "").strip().lower()
    if not value:
        return None
    match = _ERA.fullmatch(value)
    if not match or (match["hi"] is not None and not ranges):
        raise EraError(
            "Give a year like 1965, a decade like 1960s or a range like 1900/1950."
            if ranges else "Give a year like 1965 or a decade like 1960s.",
        )
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
    last = era.start if era.precision == DECADE else era.end
    if era.start < earliest or last > latest:
        raise EraError(
            f"Give a year between {earliest} and {latest}.",
            code="era_out_of_range", earliest=earliest, latest=latest,
        )
    return era
