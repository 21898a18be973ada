"""The machine-facing HTTP layer: /api/v1 (with a generated OpenAPI document), and later
OGC API Features, vector tiles, feeds and embeds.

Every /api/v1 module defines a flask-smorest Blueprint; flask-smorest generates the OpenAPI
document from their schemas and docstrings, so the document cannot drift from the code.
Register new modules in API_MODULES.
"""

from __future__ import annotations

from importlib import import_module

from flask import Flask

from app.extensions import api, csrf

# modules under app/api/ that define `blp` (a flask_smorest.Blueprint under /api/v1)
API_MODULES: list[str] = [
    "app.api.meta",
    "app.api.places",
    "app.api.themes",
    "app.api.contribute",
    "app.api.stories",
    "app.api.moderation",
    "app.api.tours",
    "app.api.tour_authoring",
    "app.api.me",
    "app.api.tokens",
    "app.api.usage",
    "app.api.story_suggestions",
    "app.api.replies",
    "app.api.transcripts",
    "app.api.place_talk",
]

# modules under app/api/ that define `bp` (a plain flask.Blueprint: OGC, tiles, feeds, embeds)
PLAIN_MODULES: list[str] = [
    "app.api.docs",
    "app.api.ogc",
    "app.api.tiles",
    "app.api.feeds",
    "app.api.embed",
]


def register_api(app: Flask) -> None:
    from app.api.auth import check_roles_first
    from app.api.docs import finish_api, prepare_api
    from app.api.http import init_http

    prepare_api(api)
    api.init_app(app)
    finish_api(api)
    init_http(app)
    app.before_request(check_roles_first)
    for name in API_MODULES:
        module = import_module(name)
        # The API authenticates cookie sessions with a CSRF header itself (app.api.auth).
        csrf.exempt(module.blp)
        api.register_blueprint(module.blp)
    for name in PLAIN_MODULES:
        module = import_module(name)
        app.register_blueprint(module.bp)
