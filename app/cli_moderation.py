"""``flask moderation export FILE``: the moderation log as CSV (``-`` for standard output)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import click
from flask.cli import AppGroup

moderation_cli = AppGroup("moderation", help="The moderation log.")


def _day(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not a date like 2026-01-31") from exc


@moderation_cli.command("export")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--since", help="Only events on or after this day (YYYY-MM-DD).")
@click.option("--until", help="Only events before this day (YYYY-MM-DD).")
@click.option("--action", default="", help="Only this action, e.g. approve.")
def export(file: str, since: str | None, until: str | None, action: str) -> None:
    """Write the moderation log (oldest first) as CSV to FILE."""
    from app.services.audit import LogFilter, export_log_csv

    f = LogFilter(action=action, since=_day(since), until=_day(until))
    if file == "-":
        count = export_log_csv(sys.stdout, f)
    else:
        with open(file, "w", encoding="utf-8", newline="") as out:
            count = export_log_csv(out, f)
        click.echo(f"{count} events written to {file}.", err=True)
