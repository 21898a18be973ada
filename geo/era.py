""""When was this?": one grammar for the era of a story and for filtering by era.

A year (``1965``), a decade (``1960s``, ``1960er``, ``1960's``) or a range of years
(``1900/1950``). Every era is also a closed range of years, so a filter and a story compare by
overlap: a story of the 1960s matches ``era=1965`` and ``era=1950/1962``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from geo.errors import EraError

YEAR = "year"
DECADE = "decade"
RANGE = "range"

_ERA = re.compile(r"(?P<lo>-?\d{1,4})(?:(?P<decade>s|er|'s)|/(?P<hi>-?\d{1,4}))?")


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


def parse_era(raw: str | None, *, earliest: int = -9999, latest: int = 9999) -> Era | None:
    """Parse an era; None for an empty value. Raises ``EraError`` (code ``bad_era``, or
    ``era_out_of_range`` with ``earliest`` and ``latest`` in its params) otherwise."""
    value = (raw or "").strip().lower()
    if not value:
        return None
    match = _ERA.fullmatch(value)
    if not match:
        raise EraError(
            "Give a year like 1965, a decade like 1960s or a range like 1900/1950.",
        )
    lo = int(match["lo"])
    if match["decade"]:
        # "1965s" is read as people mean it: the decade the year falls in.
        lo -= lo % 10
        era = Era(lo, lo + 9, DECADE)
    elif match["hi"] is not None:
        era = Era(lo, int(match["hi"]), RANGE)
    else:
        era = Era(lo, lo, YEAR)
    if era.start > era.end:
        raise EraError("A range of years starts before it ends, like 1900/1950.")
    # A decade counts from its first year: the 2020s are a valid era before they are over.
    last = era.start if era.precision == DECADE else era.end
    if era.start < earliest or last > latest:
        raise EraError(
            f"Give a year between {earliest} and {latest}.",
            code="era_out_of_range", earliest=earliest, latest=latest,
        )
    return era
