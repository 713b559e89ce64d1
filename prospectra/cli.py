"""Command-line groups: `flask --app wsgi users ...` and `flask --app wsgi sessions ...`."""

from __future__ import annotations

import json
import sys

import click
from flask import Flask
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import make_url

from . import accounts
from . import sessions
from .analytics import builtin
from .audit import cli as audit_cli
from .consent import proof
from .invocation import only_help
from .privacy import report as privacy_report

users = AppGroup("users", help="Create, change and delete accounts.")
sessions_group = AppGroup("sessions", help="Maintain the server-side session store.")
privacy_group = AppGroup("privacy", help="Inspect the cookie and consent set-up.")
analytics_group = AppGroup("analytics", help="Built-in audience statistics.")


@users.command("create")
@click.argument("email")
@click.option("--admin", is_flag=True, help="May read the built-in audience statistics.")
def create_user(email: str, admin: bool) -> None:
    """Create an account; the password is asked for, or read from standard input."""
    try:
        user = accounts.create_user(email, _read_password(), admin=admin)
    except accounts.AccountError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"Created the account {user.email}.")


@users.command("set-password")
@click.argument("email")
def set_password(email: str) -> None:
    """Give an account a new password and end all its sessions; asked for, or read from stdin."""
    user = accounts.find_user(email)
    if user is None:
        raise click.ClickException(f"No account has the address {email}.")
    try:
        ended = accounts.change_password(user, _read_password())
    except accounts.AccountError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"Changed the password of {user.email}; ended {ended} session(s).")


@users.command("delete")
@click.argument("email")
def delete_user(email: str) -> None:
    """Delete an account."""
    if not accounts.delete_user(email):
        raise click.ClickException(f"No account has the address {email}.")
    click.echo(f"Deleted the account {email}.")


def _read_password() -> str:
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")


@sessions_group.command("purge")
@click.option("--batch-size", default=sessions.PURGE_BATCH, show_default=True,
              type=click.IntRange(1, 100_000), help="Rows deleted per transaction.")  # fmt: skip
def purge_sessions(batch_size: int) -> None:
    """Delete expired session records (for cron; Redis expires them by itself)."""
    listed, deleted = sessions.purge_expired(batch_size)
    if current_app.config["SESSION_TYPE"] == "redis":
        click.echo("Sessions are kept in Redis, which deletes expired ones by itself.")
        click.echo(f"Deleted {listed} expired entry(ies) of the session list.")
        return
    click.echo(f"Deleted {deleted} expired session record(s).")


@privacy_group.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print the same as one JSON object.")
def privacy_status(as_json: bool) -> None:
    """Print the policy version, the providers as they run, the banner and why, the cookies."""
    report = privacy_report.status(current_app._get_current_object())
    if as_json:
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        click.echo(privacy_report.text(report))


@privacy_group.command("purge-consents")
def purge_consents() -> None:
    """Delete proof-of-consent records older than consent.record_retention_days (for cron)."""
    days = current_app.config["PROSPECTRA"]["consent"]["record_retention_days"]
    click.echo(f"Deleted {proof.purge(days)} consent record(s) older than {days} days.")


@analytics_group.command("report")
@click.option("--days", default=30, show_default=True, type=click.IntRange(1, 800))
def analytics_report(days: int) -> None:
    """Print page views per page over the last DAYS days (built-in measurement)."""
    rows = builtin.report(days)
    width = max((len(page) for page, _ in rows), default=4)
    click.echo(f"{'page':<{width}}  views")
    for page, views in rows:
        click.echo(f"{page:<{width}}  {views}")
    click.echo(f"{'total':<{width}}  {sum(v for _, v in rows)}  (last {days} days)")


@analytics_group.command("purge")
def analytics_purge() -> None:
    """Delete page-view counts older than analytics.builtin.retention_months (for cron)."""
    months = current_app.config["PROSPECTRA"]["analytics"]["builtin"]["retention_months"]
    click.echo(f"Deleted {builtin.purge(months)} daily count(s) older than {months} months.")


privacy_group.add_command(audit_cli.audit)
privacy_group.add_command(audit_cli.evidence)


def init_app(app: Flask) -> None:
    """Add the command groups to the application's CLI; under `flask`, say where it writes."""
    for group in (users, sessions_group, privacy_group, analytics_group):
        app.cli.add_command(group)
    # Printed when the `flask` command loads the app to run a command (once per invocation,
    # `flask run` included), not for --help, which reaches no database; never by gunicorn, which
    # loads it outside click in every worker. On stderr: a command's output (--json) stays clean.
    if click.get_current_context(silent=True) is not None and not only_help():
        click.echo(where(app), err=True)


def where(app: Flask) -> str:
    """One line: the environment, the database (password hidden) and the instance folder."""
    database = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).render_as_string(hide_password=True)
    environment = app.config["PROSPECTRA"]["app"]["environment"]
    return f"prospectra: {environment}, database {database} (instance {app.instance_path})"
