"""Jobs: a queue in the project's PostgreSQL (procrastinate), so slow or scheduled work needs
no new server. Its tables live in the schema ``procrastinate`` (created by the migrations);
``flask jobs worker`` runs a worker, which `make run` starts beside the web server.

Periodic tasks are deferred by the worker itself at their cron times (each at most once, even
with several workers). A task runs inside a Flask app context and commits like a command: its
notices are mailed after the commit (app/notifications.py).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import click
import procrastinate
from flask import Flask, current_app, has_app_context
from flask.cli import AppGroup, with_appcontext
from psycopg.conninfo import make_conninfo
from sqlalchemy.engine import make_url

log = logging.getLogger("stadtspur.jobs")
JOB_SCHEMA = "procrastinate"

jobs = procrastinate.App(connector=procrastinate.PsycopgConnector())
_flask_app: Flask | None = None


def conninfo(database_url: str) -> str:
    """libpq connection parameters for the SQLAlchemy ``database_url``, with the job schema
    first on the search path."""
    url = make_url(database_url)
    query = dict(url.query)
    params = {"dbname": url.database, "user": url.username, "password": url.password,
              "host": query.get("host", url.host), "port": query.get("port", url.port),
              "options": f"-c search_path={JOB_SCHEMA}"}
    return make_conninfo(**{k: str(v) for k, v in params.items() if v not in (None, "")})


def configured(app: Flask):
    """A context in which the job app is connected to ``app``'s database and its tasks run
    in ``app``'s context (the tasks belong to the one module-level job app)."""
    global _flask_app
    _flask_app = app
    connector = procrastinate.PsycopgConnector(
        conninfo=conninfo(app.config["SQLALCHEMY_DATABASE_URI"]), min_size=1, max_size=3)
    return jobs.replace_connector(connector)


def _in_app_context(work):
    """Run ``work()`` in the Flask app whose context is active (a command, a test), else in
    the one the worker was started for, committing after."""
    from app.extensions import db

    app = current_app._get_current_object() if has_app_context() else _flask_app
    with app.app_context():
        try:
            result = work()
            db.session.commit()
            return result
        except Exception:
            db.session.rollback()
            raise
        finally:
            db.session.remove()


def day_of(timestamp: int, timezone: str) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC).astimezone(ZoneInfo(timezone))


# Every morning: tell the curators of tours whose review date has come.
@jobs.periodic(cron="0 6 * * *", periodic_id="review-check")
@jobs.task(name="insights.review_check", queue="default")
def review_check(timestamp: int) -> int:
    """The daily review check: the curators are told (once per review date) of the tours
    that have come due on the day of ``timestamp`` (the cron time, in the city's zone)."""
    from app.services.insights import reviews

    def work() -> int:
        day = day_of(timestamp, current_app.config["BABEL_DEFAULT_TIMEZONE"]).date()
        due = reviews.notify_due(day)
        log.info("review check for %s: %d tours newly due", day.isoformat(), due)
        return due

    return _in_app_context(work)


# Every morning: the daily digests, and on the weekly day the weekly ones.
@jobs.periodic(cron="0 7 * * *", periodic_id="notification-digests")
@jobs.task(name="notifications.send_digests", queue="default")
def send_digests(timestamp: int) -> int:
    """The digests due (``flask notifications send-digests`` by the job runner): each
    person's digest is committed on its own, so a retried run sends nothing twice. Returns
    the number of mails."""
    from app.extensions import db
    from app.services import digests

    def work() -> int:
        sent = digests.send_due(commit=db.session.commit)
        log.info("notification digests at %d: %s", timestamp, sent)
        return sum(sent.values())

    return _in_app_context(work)


@click.group("jobs", cls=AppGroup, invoke_without_command=True,
             help="The job queue (PostgreSQL): what waits and what failed; run a worker.")
@click.pass_context
def jobs_cli(ctx: click.Context) -> None:
    if ctx.invoked_subcommand is None:
        ctx.invoke(status)


def queue_status(failed_limit: int = 10) -> tuple[list[tuple], list[tuple]]:
    """(task, status, count) of the jobs waiting, running or failed, and the last failed
    jobs as (id, task, attempts, when)."""
    from sqlalchemy import text

    from app.extensions import db

    counts = db.session.execute(text(
        "SELECT task_name, status, count(*) FROM procrastinate.procrastinate_jobs "
        "WHERE status IN ('todo', 'doing', 'failed') GROUP BY 1, 2 ORDER BY 1, 2")).all()
    failed = db.session.execute(text(
        "SELECT id, task_name, attempts, scheduled_at FROM procrastinate.procrastinate_jobs "
        "WHERE status = 'failed' ORDER BY id DESC LIMIT :n"), {"n": failed_limit}).all()
    return list(counts), list(failed)


@jobs_cli.command("status")
@with_appcontext
def status() -> None:
    """What waits (todo: including retries scheduled later), runs and failed, per task."""
    names = {"todo": "waiting", "doing": "running", "failed": "failed"}
    counts, failed = queue_status()
    if not counts:
        click.echo("No job waits, runs or failed.")
    for task, state, count in counts:
        click.echo(f"{task:32} {names[state]:8} {count}")
    if failed:
        click.echo("Last failed:")
        for job_id, task, attempts, when in failed:
            click.echo(f"  #{job_id} {task} after {attempts} attempts, {when:%Y-%m-%d %H:%M}")


@jobs_cli.command("worker")
@click.option("--once", is_flag=True, help="Work off what is queued, then stop.")
@with_appcontext
def worker(once: bool) -> None:
    """Run a worker: executes queued jobs and defers the periodic ones (the daily review
    check, the notification digests) at their times. Stop it with Ctrl-C."""
    with configured(current_app._get_current_object()) as job_app:
        job_app.run_worker(wait=not once, install_signal_handlers=not once)
