"""The instance folder and the SQLite files are the service user's alone: 0700 and 0600.

Found by the security review (issue 13, item 7): the database was created 0644, so any local user
could read the session store (and replay a live session id), the password hashes and the sealed
relay passwords.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

from prospectra.database import _sqlite_file
from tests.helpers import AuthActions


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask():
    """The umask most servers run with (022): files would be world-readable by default."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def log_in(app, make_user_in) -> None:
    make_user_in(app)
    client = app.test_client()
    client.environ_base["HTTP_REFERER"] = "https://localhost/"
    assert AuthActions(client).login().status_code == 303  # a session record is written


def test_a_new_instance_folder_and_every_file_in_it_are_private(
    app_factory, tmp_path, make_user_in
):
    instance = tmp_path / "instance"
    app = app_factory({"app": {"instance_path": str(instance)}})
    log_in(app, make_user_in)
    files = {p.name: mode(p) for p in instance.iterdir()}
    assert mode(instance) == 0o700
    assert {"prospectra.sqlite3", "prospectra.sqlite3-wal", "prospectra.sqlite3-shm",
            "secret_key", "migrate.lock"} <= set(files)  # fmt: skip
    assert files == dict.fromkeys(files, 0o600)


def test_files_left_readable_by_an_earlier_version_are_narrowed(
    app_factory, tmp_path, make_user_in, caplog
):
    instance = tmp_path / "instance"
    log_in(app_factory({"app": {"instance_path": str(instance)}}), make_user_in)
    loose = [p for p in instance.iterdir() if p.name != "secret_key"]  # always created 0600
    assert {p.name for p in loose} == {"prospectra.sqlite3", "prospectra.sqlite3-wal",
                                       "prospectra.sqlite3-shm", "migrate.lock"}  # fmt: skip
    for path in loose:
        path.chmod(0o644)
    instance.chmod(0o755)
    caplog.set_level(logging.WARNING)
    app = app_factory({"app": {"instance_path": str(instance)}})
    assert mode(instance) == 0o700
    assert [mode(p) for p in loose] == [0o600] * len(loose)
    assert "was mode 644, now 600" in caplog.text
    assert app.test_client().get("/legal/cookies").status_code == 200


def test_a_database_outside_the_instance_folder_is_private_too(app_factory, tmp_path, make_user_in):
    data = tmp_path / "var" / "prospectra"
    url = f"sqlite:///{data / 'data.sqlite3'}"
    app = app_factory({"app": {"instance_path": str(tmp_path / "i")}, "database": {"url": url}})
    log_in(app, make_user_in)
    assert mode(data) == 0o700
    assert {p.name: mode(p) for p in data.iterdir()} == {
        "data.sqlite3": 0o600, "data.sqlite3-wal": 0o600, "data.sqlite3-shm": 0o600,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:////srv/p/db.sqlite3", "/srv/p/db.sqlite3"),
        ("sqlite:///db.sqlite3", "/instance/db.sqlite3"),  # Flask-SQLAlchemy's rule
        ("sqlite://", None),
        ("sqlite:///:memory:", None),
        ("sqlite:///file:db?mode=memory&uri=true", None),
        ("postgresql+psycopg://prospectra@127.0.0.1/prospectra", None),
    ],
)
def test_which_url_names_a_database_file(url, expected):
    found = _sqlite_file(url, Path("/instance"))
    assert (str(found) if found else None) == expected
