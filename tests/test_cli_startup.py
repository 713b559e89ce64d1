"""The CLI starts without the work only the server needs: no password hash is made by a command
that checks no password (the login's dummy hash is made on the first login, not at import).

Real `flask --app wsgi` processes, in which argon2's hashing is a tripwire: no timing involved.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from prospectra.paths import PROJECT_ROOT
from tests.helpers import PASSWORD
from tests.served import environment

# The `flask` command (flask.cli:main), with argon2's one way to make a hash made to stop the
# process: a command that exits 0 made none, at import, in create_app or in the command itself.
TRIPWIRE = """
import sys
import argon2

def refuse(*args, **kwargs):
    sys.exit("tripwire: an argon2 hash was made")

argon2.PasswordHasher.hash = refuse
from flask.cli import main
main()
"""


def flask_with_tripwire(tmp_path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", TRIPWIRE, "--app", "wsgi", *args],
        cwd=PROJECT_ROOT,
        env=environment({"app": {"instance_path": str(tmp_path / "instance")}}),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "command",
    [["sessions", "purge"], ["privacy", "purge-consents"], ["users", "--help"]],
    ids=" ".join,
)
def test_a_command_that_checks_no_password_makes_no_password_hash(tmp_path, command):
    result = flask_with_tripwire(tmp_path, *command)
    assert result.returncode == 0, result.stderr
    assert "tripwire" not in result.stderr


def test_the_tripwire_catches_a_command_that_hashes_a_password(tmp_path):
    # The control: creating an account hashes its password, and the tripwire says so.
    result = flask_with_tripwire(tmp_path, "users", "create", "ada@example.org", stdin=PASSWORD)
    assert result.returncode != 0
    assert "tripwire: an argon2 hash was made" in result.stderr


# The `flask` command with Alembic made impossible to import: a command that exits 0 never
# loaded it (Flask-Migrate imports it; it costs 0.3-0.6 s of every start here).
NO_ALEMBIC = """
import sys

class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name == "alembic" or name.startswith("alembic."):
            sys.exit("tripwire: alembic was imported")

sys.meta_path.insert(0, Refuse())
from flask.cli import main
main()
"""


def flask_without_alembic(tmp_path, *args: str, auto_upgrade: bool) -> subprocess.CompletedProcess:
    settings = {
        "app": {"instance_path": str(tmp_path / "instance")},
        "database": {"auto_upgrade": auto_upgrade},
    }
    return subprocess.run(
        [sys.executable, "-c", NO_ALEMBIC, "--app", "wsgi", *args],
        cwd=PROJECT_ROOT, env=environment(settings), capture_output=True, text=True, timeout=60,
    )  # fmt: skip


@pytest.fixture
def upgraded(tmp_path):
    settings = {"app": {"instance_path": str(tmp_path / "instance")}}
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
        cwd=PROJECT_ROOT, env=environment(settings), check=True, capture_output=True, timeout=60,
    )  # fmt: skip


@pytest.mark.parametrize(
    "command",
    [["sessions", "purge"], ["privacy", "purge-consents"], ["analytics", "purge"]],
    ids=" ".join,
)
def test_a_cron_command_does_not_load_the_migrations_when_the_upgrade_is_a_release_step(
    tmp_path, upgraded, command
):
    # auto_upgrade = false, as in production: the hourly and daily purges never migrate.
    result = flask_without_alembic(tmp_path, *command, auto_upgrade=False)
    assert result.returncode == 0, result.stderr
    assert "tripwire" not in result.stderr


def test_the_alembic_tripwire_catches_a_command_that_may_upgrade(tmp_path, upgraded):
    # The control: with auto_upgrade = true a command upgrades the schema at first contact.
    result = flask_without_alembic(tmp_path, "sessions", "purge", auto_upgrade=True)
    assert "tripwire: alembic was imported" in result.stderr
