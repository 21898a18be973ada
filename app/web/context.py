"""Values and filters every template may use. Templates never run queries."""

from __future__ import annotations

from flask import Flask, current_app, request
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf

from app.services.media import public_url as media_url
from app.services.text import plain_text, render_markdown

LICENCE_NAMES = {
    "CC0-1.0": ("CC0 1.0", "https://creativecommons.org/publicdomain/zero/1.0/"),
    "CC-BY-4.0": ("CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/"),
    "CC-BY-SA-4.0": ("CC BY-SA 4.0", "https://creativecommons.org/licenses/by-sa/4.0/"),
}


def format_distance(metres: float | None) -> str:
    """A distance for people: metres below one kilometre, else kilometres, per locale."""
    if metres is None:
        return ""
    if metres < 1000:
        return _("%(m)s m", m=format_decimal(round(metres / 10) * 10, format="#,##0"))
    return _("%(km)s km", km=format_decimal(metres / 1000, format="#,##0.0"))


def format_minutes(minutes: int | None) -> str:
    if minutes is None:
        return ""
    hours, mins = divmod(int(minutes), 60)
    if hours:
        return _("%(h)d h %(m)d min", h=hours, m=mins)
    return _("%(m)d min", m=mins)


def format_era(year: int | None, precision: str | None) -> str:
    if year is None:
        return ""
    if precision == "decade":
        return _("the %(decade)ds", decade=year - year % 10)
    return str(year)


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["plain"] = plain_text
    app.jinja_env.filters["distance"] = format_distance
    app.jinja_env.filters["minutes"] = format_minutes

    @app.context_processor
    def _globals() -> dict:
        return {
            "current_locale": str(get_locale() or current_app.config["DEFAULT_LOCALE"]),
            "city_name": current_app.config["CITY_NAME"],
            "csrf_token": generate_csrf,
            "format_era": format_era,
            "media_url": media_url,
            "licence_info": lambda code: LICENCE_NAMES.get(code, (code, None)),
            "current_path": request.full_path.rstrip("?") if request else "/",
            "map_config": {
                "tileUrl": current_app.config["TILE_URL"],
                "attribution": current_app.config["TILE_ATTRIBUTION"],
                "centre": list(current_app.config["CITY_CENTRE"]),
                "zoom": current_app.config["CITY_ZOOM"],
            },
        }
