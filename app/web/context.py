"""Values and filters every template may use. Templates never run queries."""

from __future__ import annotations

from flask import Flask, current_app, request
from flask_babel import get_locale
from flask_wtf.csrf import generate_csrf

from app.formatting import (
    format_distance,
    format_era,
    format_minutes,
    format_story_era,
    story_kind_label,
)
from app.importmap import IMPORT_MAP
from app.licences import licence_info
from app.services.media import public_url as media_url
from app.services.text import plain_text, render_markdown


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["plain"] = plain_text
    app.jinja_env.filters["distance"] = format_distance
    app.jinja_env.filters["minutes"] = format_minutes
    # base.html's <script type="importmap">; the CSP allows exactly this text
    app.jinja_env.globals["import_map"] = IMPORT_MAP

    @app.context_processor
    def _globals() -> dict:
        return {
            "current_locale": str(get_locale() or current_app.config["DEFAULT_LOCALE"]),
            "city_name": current_app.config["CITY_NAME"],
            "csrf_token": generate_csrf,
            "format_era": format_era,
            "format_story_era": format_story_era,
            "story_kind_label": story_kind_label,
            "media_url": media_url,
            "licence_info": licence_info,
            "current_path": request.full_path.rstrip("?") if request else "/",
            "map_config": {
                "tileUrl": current_app.config["TILE_URL"],
                "attribution": current_app.config["TILE_ATTRIBUTION"],
                "centre": list(current_app.config["CITY_CENTRE"]),
                "zoom": current_app.config["CITY_ZOOM"],
            },
        }
