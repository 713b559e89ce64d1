"""What the `flask` command was asked to do, read before click parses its command line.

Flask imports the app before click parses the command line, so the few start-up steps that differ
for a command (the instance folder, the secret key file, the database) read sys.argv here.
Low-level: the settings loader and the database ask it; the CLI's groups live in cli.py.
"""

from __future__ import annotations

import sys

import click

# The `flask` command's own options that take a value (the others are flags).
_ROOT_OPTIONS_WITH_VALUE = {"--app", "-A", "--env-file", "-e"}
# The groups cli.py adds, and Flask-Migrate's `db`: named alone, they only list their commands.
GROUPS = ("users", "sessions", "privacy", "analytics", "db")


def only_help() -> bool:
    """Whether the `flask` command loads the app only to list commands.

    That is --help anywhere, no command at all (`flask --app wsgi`), or a group named alone
    (`flask --app wsgi users`). Flask imports the app before click parses the command line, so
    it is read from sys.argv here. Only then does the app skip its start-up work (database,
    instance folder, secret key file).
    """
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return False  # gunicorn, tests: the app starts for real
    if any(arg in ctx.find_root().help_option_names for arg in sys.argv[1:]):
        return True
    words = command_words()
    return not words or (words[0] in GROUPS and len(words) == 1)


def command_words() -> list[str]:
    """The words of the command line that are not options: ``["db", "upgrade"]``, ``[]``."""
    words, remaining = [], iter(sys.argv[1:])
    for arg in remaining:
        if arg in _ROOT_OPTIONS_WITH_VALUE and not words:
            next(remaining, None)
        elif not arg.startswith("-"):
            words.append(arg)
    return words


def runs_app_command() -> bool:
    """Whether the `flask` command runs one of the app's own groups (users, sessions, privacy,
    analytics...): not `db`, not a listing, not gunicorn or a test."""
    if click.get_current_context(silent=True) is None:
        return False
    words = command_words()
    return len(words) > 1 and words[0] in GROUPS and words[0] != "db"


def manages_schema() -> bool:
    """Whether the `flask` command runs Flask-Migrate's `db` group, which changes the schema.

    The app then records no policy version before it: against a schema not yet upgraded it would
    fail, and the next page records it anyway.
    """
    if click.get_current_context(silent=True) is None:
        return False
    words = command_words()
    return bool(words) and words[0] == "db"
