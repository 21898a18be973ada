"""``flask export open-data DIR`` (registered in app/cli.py)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

export_cli = AppGroup("export", help="Export data.")


@export_cli.command("open-data")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--site-url",
    default=None,
    help="Public base URL for links in the data (default: SITE_URL or http://127.0.0.1:5000).",
)
def export_open_data_command(directory: Path, site_url: str | None) -> None:
    """All approved places, their public stories and published tours as GeoJSON, GPX per
    tour, and the licences."""
    from app.services.open_data import export_open_data

    site = (site_url or current_app.config.get("SITE_URL") or "http://127.0.0.1:5000").rstrip("/")
    if not site.startswith(("http://", "https://")):
        raise click.BadParameter("must start with http:// or https://", param_hint="--site-url")
    media = current_app.config["MEDIA_URL"]
    if media.startswith("/"):
        media = site + media
    counts = export_open_data(directory, site, media.rstrip("/") + "/",
                              current_app.config["CITY_NAME"])
    click.echo(f"Exported {counts['places']} places, {counts['stories']} stories, "
               f"{counts['replies']} replies and {counts['tours']} tours to {directory}.")
