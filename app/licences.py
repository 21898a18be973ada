"""The licences Stadtspur publishes under: one list of codes, names and links for every layer.

Place data (position, title, facts) is CC0; a story's text and each photo or recording carry
their own licence, chosen from ``MEDIA_LICENCES`` (a setting); tours are CC BY-SA.
"""

from __future__ import annotations

from typing import NamedTuple


class Licence(NamedTuple):
    code: str  # SPDX identifier, as stored
    name: str  # as people read it
    url: str


LICENCES: dict[str, Licence] = {
    licence.code: licence
    for licence in (
        Licence("CC0-1.0", "CC0 1.0", "https://creativecommons.org/publicdomain/zero/1.0/"),
        Licence("CC-BY-4.0", "CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/"),
        Licence(
            "CC-BY-SA-4.0", "CC BY-SA 4.0", "https://creativecommons.org/licenses/by-sa/4.0/"
        ),
    )
}

DATA_LICENCE = "CC0-1.0"
STORY_LICENCE = "CC-BY-SA-4.0"
TOUR_LICENCE = "CC-BY-SA-4.0"
DEFAULT_MEDIA_LICENCES = ("CC-BY-SA-4.0", "CC-BY-4.0", "CC0-1.0")


def licence_name(code: str | None) -> str:
    """The readable name of a licence code; an unknown code is shown as it is."""
    known = LICENCES.get(code or "")
    return known.name if known else (code or "")


def licence_url(code: str | None) -> str | None:
    """The licence's deed, or None for a code this list does not know."""
    known = LICENCES.get(code or "")
    return known.url if known else None


def licence_info(code: str | None) -> tuple[str, str | None]:
    """(name, url) of a licence code, for templates."""
    return licence_name(code), licence_url(code)


def names_and_links() -> dict[str, tuple[str, str]]:
    """Every known code with its (name, url), for pages that name licences in the browser."""
    return {code: (licence.name, licence.url) for code, licence in LICENCES.items()}
