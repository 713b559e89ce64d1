"""`flask --app wsgi privacy audit BASE_URL` and `flask --app wsgi privacy evidence DIR`."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from .. import state
from . import findings as findings_module
from . import report
from .chromium import INSTALL
from .chromium import BrowserUnavailable
from .chromium import chromium
from .crawl import AuditFailed
from .crawl import Options
from .crawl import audit as run_audit
from .crawl import fetch_declaration

# The name of the variable, not a password. Not PROSPECTRA_*: the settings loader owns that prefix.
PASSWORD_VARIABLE = "AUDIT_PASSWORD"  # nosec B105


class AuditError(click.ClickException):
    """The audit could not run: exit status 2, kept apart from 1 (findings)."""

    exit_code = 2


@click.command("audit")
@with_appcontext
@click.argument("base_url")
@click.option("--user", metavar="EMAIL", help="Log in as this user and walk the internal pages.")
@click.option(
    "--json",
    "json_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write everything seen and the findings to this JSON file.",
)
@click.option(
    "--html",
    "html_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write a self-contained HTML report (findings, cookies, screenshots).",
)
@click.option(
    "--screenshots",
    type=click.Path(file_okay=False, path_type=Path),
    help="Save a PNG of every page visited in this folder.",
)
@click.option(
    "--max-pages",
    default=50,
    show_default=True,
    type=click.IntRange(1, 1000),
    help="Pages visited per journey at most.",
)
@click.option(
    "--settle",
    default=0.5,
    show_default=True,
    type=click.FloatRange(0, 10),
    help="Seconds without network activity after which a page counts as loaded.",
)
@click.option(
    "--chromium",
    "executable",
    metavar="PATH",
    help="Chromium to drive (default: the audit.chromium setting).",
)
@click.option("--login-path", default="/login", show_default=True, help="Where the login form is.")
def audit(base_url, user, json_file, html_file, screenshots, max_pages, settle, executable,
          login_path) -> None:  # fmt: skip
    """Audit a deployment in Chromium against its /legal/cookies.json; exit 1 on findings.

    The password of --user is read from $AUDIT_PASSWORD, or from standard input.
    """
    if not base_url.startswith(("http://", "https://")):
        raise AuditError("BASE_URL must start with http:// or https://")
    options = Options(
        base_url=base_url.rstrip("/") + "/",
        user=user,
        password=_password() if user else None,
        max_pages=max_pages,
        settle_seconds=settle,
        screenshots="all" if screenshots else "key" if html_file else None,
        login_path=login_path,
    )
    executable = executable or current_app.config["PROSPECTRA"]["audit"]["chromium"]
    record, found = audit_site(options, executable)
    if screenshots:
        _write_screenshots(record, screenshots)
    click.echo(report.text(record, found))
    if json_file:
        json_file.write_text(report.to_json(record, found), encoding="utf-8")
        click.echo(f"JSON report: {json_file}")
    if html_file:
        from .html import render

        html_file.write_text(render(record, found), encoding="utf-8")
        click.echo(f"HTML report: {html_file}")
    if found:
        sys.exit(1)


@click.command("evidence")
@with_appcontext
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--chromium",
    "executable",
    metavar="PATH",
    help="Chromium for the banner's screenshot (default: the audit.chromium setting).",
)
def evidence(folder: Path, executable: str | None) -> None:
    """Write a dated, hashed proof bundle of the current policy version into FOLDER."""
    from .evidence import write_bundle

    executable = executable or current_app.config["PROSPECTRA"]["audit"]["chromium"]
    try:
        bundle = write_bundle(current_app._get_current_object(), folder, executable)
    except BrowserUnavailable as e:
        raise AuditError(f"the banner is on and its screenshot needs Chromium: {e}") from None
    click.echo(f"Evidence for policy {state.current().policy_version}: {bundle}")
    for line in sorted(p.relative_to(bundle) for p in bundle.rglob("*") if p.is_file()):
        click.echo(f"  {line}")


def audit_site(options: Options, executable: str):
    """Run the audit with a progress display on standard error; return (record, findings)."""
    try:
        from playwright.sync_api import Error as PlaywrightError
    except ImportError:
        raise AuditError(f"Playwright is not installed: {INSTALL}") from None
    try:
        with chromium(executable) as (playwright, browser), _Progress() as progress:
            declaration = fetch_declaration(playwright, options.base_url)
            record = run_audit(browser, options, declaration, progress)
    except (BrowserUnavailable, AuditFailed) as e:
        raise AuditError(str(e)) from None
    except PlaywrightError as e:
        raise AuditError(str(e).strip().splitlines()[0]) from None
    return record, findings_module.findings(record)


def _password() -> str:
    if os.environ.get(PASSWORD_VARIABLE):
        return os.environ[PASSWORD_VARIABLE]
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, err=True)
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise AuditError(f"--user needs a password: set ${PASSWORD_VARIABLE} or pipe it in")
    return password


class _Progress:
    """Pages done / found per journey: a live bar on a terminal, one line per journey else."""

    def __enter__(self):
        from rich.console import Console
        from rich.progress import BarColumn
        from rich.progress import MofNCompleteColumn
        from rich.progress import Progress
        from rich.progress import TextColumn

        self.console = Console(stderr=True)
        self.live = self.console.is_terminal
        self.bar = Progress(
            TextColumn("{task.description:<12}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("pages"), console=self.console, transient=False,
        )  # fmt: skip
        self.tasks: dict[str, int] = {}
        if self.live:
            self.bar.start()
        return self.update

    def update(self, journey: str, done: int, found: int) -> None:
        if journey not in self.tasks:
            if not self.live and self.tasks:
                self._line(*self.last)
            self.tasks[journey] = self.bar.add_task(journey, total=found)
        self.bar.update(self.tasks[journey], completed=done, total=found)
        self.last = (journey, done, found)

    def _line(self, journey: str, done: int, found: int) -> None:
        click.echo(f"{journey}: {done}/{found} pages", err=True)

    def __exit__(self, *exc) -> None:
        if self.live:
            self.bar.stop()
        elif self.tasks:
            self._line(*self.last)


def _write_screenshots(record, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for j, journey in enumerate(record.journeys, 1):
        for p, page in enumerate(journey.pages, 1):
            if page.png:
                name = f"{j:02d}-{journey.name.replace(' ', '-')}-{p:03d}.png"
                (folder / name).write_bytes(page.png)
                page.screenshot = name
