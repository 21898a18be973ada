"""``flask notifications send-digests``: mail the daily (and, on the weekly day, the weekly)
digests due. Run it from cron once a day, or let the job runner's periodic task do it; run
twice, it sends once."""

from __future__ import annotations

import click
from flask.cli import AppGroup

notifications_cli = AppGroup("notifications", help="Notification mails.")


@notifications_cli.command("send-digests")
@click.option("--period", type=click.Choice(["due", "daily", "weekly"]), default="due",
              show_default=True,
              help="due: the daily digests, and the weekly ones on the weekly day.")
def send_digests(period: str) -> None:
    """Mail every digest due and not sent yet (each person's in its own transaction)."""
    from app.extensions import db
    from app.services import digests

    sent = digests.send_due(None if period == "due" else (period,), commit=db.session.commit)
    db.session.commit()
    for name, count in sent.items():
        click.echo(f"{name} digests sent: {count}")
