"""Command-line groups: `flask --app wsgi users ...` and `flask --app wsgi sessions ...`."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask import current_app
from flask.cli import AppGroup

from . import accounts
from . import sessions

users = AppGroup("users", help="Create and delete accounts.")
sessions_group = AppGroup("sessions", help="Maintain the server-side session store.")


@users.command("create")
@click.argument("email")
def create_user(email: str) -> None:
    """Create an account; the password is asked for, or read from standard input."""
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        user = accounts.create_user(email, password)
    except accounts.AccountError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"Created the account {user.email}.")


@users.command("delete")
@click.argument("email")
def delete_user(email: str) -> None:
    """Delete an account."""
    if not accounts.delete_user(email):
        raise click.ClickException(f"No account has the address {email}.")
    click.echo(f"Deleted the account {email}.")


@sessions_group.command("purge")
@click.option("--batch-size", default=sessions.PURGE_BATCH, show_default=True,
              type=click.IntRange(1, 100_000), help="Rows deleted per transaction.")  # fmt: skip
def purge_sessions(batch_size: int) -> None:
    """Delete expired session records (for cron; Redis expires them by itself)."""
    if current_app.config["SESSION_TYPE"] == "redis":
        click.echo("Sessions are kept in Redis, which deletes expired ones by itself.")
        return
    deleted = sessions.purge_expired(batch_size)
    click.echo(f"Deleted {deleted} expired session record(s).")


def init_app(app: Flask) -> None:
    """Add the command groups to the application's CLI."""
    app.cli.add_command(users)
    app.cli.add_command(sessions_group)
