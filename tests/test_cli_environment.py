"""The CLI says where it writes, refuses development settings over production data, and its --help
reaches no database. Real `flask --app wsgi` processes with the settings in their environment."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from prospectra.paths import PROJECT_ROOT
from tests import backends
from tests.helpers import LEGAL_HOSTING
from tests.helpers import LEGAL_SERVICE
from tests.helpers import MAIL_KEY
from tests.served import GUNICORN
from tests.served import environment

FLASK = GUNICORN.parent / "flask"
PRODUCTION = {
    "app": {"environment": "production", "secret_key": "p" * 40},
    "service": {"domain": "app.prospectra.example", **LEGAL_SERVICE},
    "hosting": LEGAL_HOSTING,
    "mail": {"encryption_key": MAIL_KEY},
}


def flask(settings: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(FLASK), "--app", "wsgi", *args],
        cwd=PROJECT_ROOT,
        env=environment(settings),
        capture_output=True,
        text=True,
        timeout=60,
    )


def files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_a_command_names_the_environment_and_sqlite_file_on_stderr(tmp_path):
    instance = tmp_path / "instance"
    result = flask({"app": {"instance_path": str(instance)}}, "privacy", "status", "--json")
    assert result.returncode == 0, result.stderr
    database = f"sqlite:///{instance / 'prospectra.sqlite3'}"
    assert result.stderr.splitlines() == [
        f"prospectra: development, database {database} (instance {instance})"
    ]
    assert result.stdout.startswith("{")  # the JSON is alone on stdout


def test_a_postgresql_password_is_hidden_in_the_line(tmp_path):
    backends.require_services()
    with backends.postgres_schema() as url:
        with_password = url.replace(
            "postgresql+psycopg://postgres@", "postgresql+psycopg://postgres:s3cret-pw@"
        )
        assert with_password != url
        settings = {"app": {"instance_path": str(tmp_path)}, "database": {"url": with_password}}
        result = flask(settings, "privacy", "status")
    assert result.returncode == 0, result.stderr
    assert "s3cret-pw" not in result.stderr + result.stdout
    line = result.stderr.splitlines()[0]
    assert line.startswith("prospectra: development, database postgresql+psycopg://postgres:***@")


def test_development_refuses_an_instance_folder_production_has_used(tmp_path):
    instance = tmp_path / "instance"
    production = PRODUCTION | {"app": PRODUCTION["app"] | {"instance_path": str(instance)}}
    assert flask(production, "privacy", "status").returncode == 0
    assert (instance / "ENVIRONMENT").read_text().startswith("production\n")
    before = files(instance)
    assert "secret_key" not in before

    result = flask({"app": {"instance_path": str(instance)}}, "users", "delete", "a@example.org")
    assert result.returncode != 0
    assert result.stderr.splitlines() == [
        f"prospectra: configuration error: app.environment: {instance} holds production data; "
        "set PROSPECTRA_CONFIG (the production settings file) / the production environment "
        "(see README)"
    ]
    assert files(instance) == before  # no development database, no development secret
    assert flask(production, "privacy", "status").returncode == 0  # production still runs


@pytest.mark.parametrize(
    "args",
    [["--help"], ["users", "--help"], ["privacy", "audit", "--help"], ["db", "--help"], [],
     ["users"], ["sessions"], ["db"]],
)  # fmt: skip
def test_listing_commands_writes_nothing_and_reaches_no_database(tmp_path, args):
    # A group named alone, or no command at all, only prints the list of commands too.
    instance = tmp_path / "instance"
    result = flask({"app": {"instance_path": str(instance)}}, *args)
    assert result.returncode in (0, 2), result.stderr  # click exits 2 for a group without command
    assert "Usage:" in result.stdout + result.stderr
    assert "prospectra:" not in result.stderr  # no "where it writes" line: it writes nothing
    assert not instance.exists()  # no folder, no secret_key, no database, no lock


def test_a_command_of_a_group_still_starts_the_app(tmp_path):
    instance = tmp_path / "instance"
    result = flask({"app": {"instance_path": str(instance)}}, "sessions", "purge")
    assert result.returncode == 0, result.stderr
    assert "prospectra: development, database sqlite:///" in result.stderr
    assert {"prospectra.sqlite3", "secret_key"} <= set(files(instance))


def test_the_refusal_names_the_settings_file_production_used(tmp_path):
    instance, settings_file = tmp_path / "instance", tmp_path / "production.toml"
    settings_file.write_text("# production settings come from the environment in this test\n")
    production = PRODUCTION | {"app": PRODUCTION["app"] | {"instance_path": str(instance)}}
    marked = subprocess.run(
        [str(FLASK), "--app", "wsgi", "privacy", "status"],
        cwd=PROJECT_ROOT,
        env=environment(production) | {"PROSPECTRA_CONFIG": str(settings_file)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert marked.returncode == 0, marked.stderr
    result = flask({"app": {"instance_path": str(instance)}}, "sessions", "purge")
    assert result.returncode != 0
    assert f"set PROSPECTRA_CONFIG ({settings_file})" in result.stderr


def test_the_groups_the_start_up_knows_are_the_commands_the_app_has(app):
    # invocation.GROUPS decides, before the app exists, what a listing or a cron command skips
    # (no database for `flask users`, no Alembic for `sessions purge`): a group added to cli.py
    # and not there would start as a server does.
    from prospectra.invocation import GROUPS

    assert set(GROUPS) == set(app.cli.commands)
