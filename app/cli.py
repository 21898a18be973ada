"""Command line: ``flask seed demo``, ``flask users …``, ``flask tokens create``."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from app.errors import DomainError
from app.extensions import db

seed_cli = AppGroup("seed", help="Load demo content.")
users_cli = AppGroup("users", help="Manage accounts.")
tokens_cli = AppGroup("tokens", help="Manage personal API tokens.")


def _fail(exc: DomainError) -> None:
    db.session.rollback()
    raise click.ClickException(exc.message)


@seed_cli.command("demo")
def seed_demo_command() -> None:
    """Load the Winterthur demo city (idempotent)."""
    from app.services.seed import seed_demo

    result = seed_demo()
    db.session.commit()
    click.echo(
        f"Demo content: {result['themes']} themes, {result['places']} places and "
        f"{result['tours']} tours added."
    )
    if result["accounts"]:
        click.echo("Demo accounts (shown once — note the passwords now):")
        for email, (role, password) in result["accounts"].items():
            click.echo(f"  {role:<9} {email:<30} password: {password}")


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(["resident", "curator", "admin"]), default="resident")
@click.option("--name", "display_name", default="", help="Display name (default: from email).")
@click.option("--password", default=None, help="Asked for when not given.")
def users_create(email: str, role: str, display_name: str, password: str | None) -> None:
    """Create an account."""
    from app.services.accounts import create_user

    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(email, display_name, password, role=role)
    except DomainError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"Created {user.email} with role {user.role}.")


@users_cli.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice(["resident", "curator", "admin"]))
def users_set_role(email: str, role: str) -> None:
    """Change the role of an account."""
    from app.services.accounts import get_by_email, set_role

    user = get_by_email(email)
    if user is None:
        raise click.ClickException(f"No account with email {email}.")
    set_role(None, user, role)
    db.session.commit()
    click.echo(f"{user.email} is now {role}.")


@users_cli.command("list")
def users_list() -> None:
    """List accounts."""
    from app.models import User

    for user in db.session.scalars(select(User).order_by(User.id)):
        click.echo(f"{user.id:>5}  {user.role:<9} {user.email}  {user.display_name}")


@tokens_cli.command("create")
@click.argument("email")
@click.option("--name", required=True, help="What the token is for.")
def tokens_create(email: str, name: str) -> None:
    """Create a personal API token; it is printed once, last on its line."""
    from app.services.accounts import create_api_token, get_by_email

    user = get_by_email(email)
    if user is None:
        raise click.ClickException(f"No account with email {email}.")
    try:
        token = create_api_token(user, name)
    except DomainError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"New API token for {user.email} (shown once): {token}")


def register_cli(app: Flask) -> None:
    from app.cli_open_data import export_cli

    for group in (seed_cli, users_cli, tokens_cli, export_cli):
        app.cli.add_command(group)
    from app.cli_moderation import moderation_cli

    app.cli.add_command(moderation_cli)
    from app.cli_walknet import walknet_cli

    app.cli.add_command(walknet_cli)
    from app.cli_notifications import notifications_cli

    app.cli.add_command(notifications_cli)
    from app.jobs import jobs_cli

    app.cli.add_command(jobs_cli)
