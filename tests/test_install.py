"""A non-editable install (a wheel) runs outside the checkout: pages, translations, migrations and
settings are package data, not files beside it."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from prospectra.paths import PROJECT_ROOT
from tests.faults import free_port
from tests.wire import Visitor

PACKAGE_DATA = [
    "prospectra/default.toml",
    "prospectra/gunicorn_conf.py",
    "prospectra/wsgi.py",
    "prospectra/templates/base.html",
    "prospectra/templates/legal/cookies.fr.html",
    "prospectra/translations/fr/LC_MESSAGES/messages.mo",
    "prospectra/migrations/env.py",
    "prospectra/migrations/alembic.ini",
    "prospectra/migrations/script.py.mako",
    "prospectra/static/style.css",
]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel `pip wheel .` builds, from a copy of the sources (the build writes beside them)."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"
    source.mkdir()
    shutil.copy(PROJECT_ROOT / "pyproject.toml", source)
    shutil.copytree(
        PROJECT_ROOT / "prospectra", source / "prospectra",
        ignore=shutil.ignore_patterns("__pycache__"),
    )  # fmt: skip
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp), str(source)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    return next(tmp.glob("prospectra-*.whl"))


@pytest.fixture(scope="module")
def site(wheel, tmp_path_factory) -> Path:
    """The wheel installed into a folder of its own (`pip install --target`), not the checkout."""
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(target),
         str(wheel)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    return target


def run(site: Path, cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """Run this virtualenv's python with only the installed package importable as prospectra."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("PROSPECTRA_", "FLASK_"))}
    environ |= {"PYTHONPATH": str(site), **env}
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=environ, capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def elsewhere(tmp_path) -> Path:
    """A current directory outside the checkout."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    return folder


def test_the_wheel_holds_pages_translations_migrations_and_settings(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert [name for name in PACKAGE_DATA if name not in names] == []
    assert any(n.startswith("prospectra/migrations/versions/") for n in names)


def test_the_installed_package_is_the_one_imported(site, elsewhere):
    result = run(site, elsewhere, "-c", "import prospectra; print(prospectra.__file__)")
    assert result.stdout.strip() == str(site / "prospectra" / "__init__.py")


def test_flask_help_runs_from_the_installed_package(site, elsewhere):
    result = run(site, elsewhere, "-m", "flask", "--app", "prospectra.wsgi", "--help")
    assert result.returncode == 0, result.stderr
    assert "users" in result.stdout and "privacy" in result.stdout


def test_a_command_without_the_environment_refuses_instead_of_writing_into_the_cwd(site, elsewhere):
    # A cron line missing its env file runs on development settings: outside a checkout they
    # have no instance folder of their own, so nothing is created beside whatever the cwd holds.
    result = run(site, elsewhere, "-m", "flask", "--app", "prospectra.wsgi", "sessions", "purge")
    assert result.returncode == 1
    assert result.stderr.startswith("prospectra: configuration error: app.environment: ")
    assert "set PROSPECTRA_CONFIG to the production settings" in result.stderr
    assert "Traceback" not in result.stderr
    assert list(elsewhere.iterdir()) == []


def test_db_upgrade_creates_the_schema_in_the_instance_folder(site, elsewhere, tmp_path):
    instance = tmp_path / "instance"
    result = run(
        site, elsewhere, "-m", "flask", "--app", "prospectra.wsgi", "db", "upgrade",
        PROSPECTRA_APP__INSTANCE_PATH=str(instance), PROSPECTRA_DATABASE__AUTO_UPGRADE="false",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(instance / "prospectra.sqlite3") as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"users", "alembic_version"} <= tables


def test_production_without_an_instance_path_names_the_setting(site, elsewhere):
    result = run(
        site, elsewhere, "-m", "flask", "--app", "prospectra.wsgi", "users", "--help",
        PROSPECTRA_APP__ENVIRONMENT="production",
    )  # fmt: skip
    assert result.returncode == 1
    assert "app.instance_path: required in production" in result.stderr
    assert not (elsewhere / "instance").exists()


@pytest.fixture
def served(site, elsewhere, tmp_path) -> Iterator[int]:
    """gunicorn with the package's own settings module, as the systemd unit runs it; its port."""
    port = free_port()
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("PROSPECTRA_", "FLASK_"))}
    environ |= {
        "PYTHONPATH": str(site),
        "PROSPECTRA_APP__INSTANCE_PATH": str(tmp_path / "instance"),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:prospectra.gunicorn_conf",
         "prospectra.wsgi:app"],
        cwd=elsewhere, env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited: {process.stderr.read()}")
            try:
                if Visitor(port, domain="localhost", timeout=2).get("/healthz").status == 200:
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield port
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)


def test_the_installed_app_serves_pages_in_french_and_static_files(served):
    visitor = Visitor(served, domain="localhost")
    assert visitor.get("/").status == 200
    policy = visitor.get("/legal/cookies?lang=fr")
    assert policy.status == 200
    assert '<html lang="fr"' in policy.body
    # The footer's label: in no template, only in the compiled catalog (messages.mo).
    assert 'aria-label="Informations légales et aide"' in policy.body
    assert visitor.get("/static/style.css").status == 200
