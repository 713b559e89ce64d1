"""Static URLs name their content: kept a year by browsers and nginx, changed by a release."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from prospectra.static_files import StaticFiles

STATIC = Path(__file__).resolve().parent.parent / "prospectra" / "static"
LINKED = re.compile(r'(?:src|href)="(/static/[^"?]+)\?v=([^"&]+)"')
YEAR = "public, max-age=31536000, immutable"


def version_of(name: str) -> str:
    digest = hashlib.sha384((STATIC / name).read_bytes()).digest()
    return base64.urlsafe_b64encode(digest[:9]).decode()


def test_every_static_url_of_a_page_carries_the_digest_of_its_file(client):
    page = client.get("/").get_data(as_text=True)
    linked = LINKED.findall(page)
    assert {path for path, _ in linked} >= {"/static/style.css", "/static/app.js"}
    assert "/static/" not in LINKED.sub("", page)  # no static URL without its version
    for path, version in linked:
        assert version == version_of(path.removeprefix("/static/"))


def test_a_file_under_its_current_digest_may_be_kept_a_year(client):
    response = client.get(f"/static/style.css?v={version_of('style.css')}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == YEAR
    assert response.headers["X-Content-Type-Options"] == "nosniff"  # the usual headers stay


def test_without_the_digest_or_with_an_older_one_the_file_is_revalidated(client):
    for url in ("/static/style.css", "/static/style.css?v=AAAAAAAAAAAA"):
        response = client.get(url)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-cache", url


def test_a_logged_in_browser_gets_the_same_cacheable_static_file(client, auth, make_user):
    make_user()
    assert auth.login().status_code == 303
    page = client.get("/dashboard").get_data(as_text=True)
    path, version = LINKED.findall(page)[0]
    response = client.get(f"{path}?v={version}")
    assert response.headers["Cache-Control"] == YEAR  # not no-store: it holds nothing personal
    assert response.headers.getlist("Set-Cookie") == []


def test_a_changed_file_gets_a_new_url(tmp_path):
    (tmp_path / "app.js").write_text("console.log(1)")
    before = StaticFiles(tmp_path).version("app.js")
    (tmp_path / "app.js").write_text("console.log(2)")
    after = StaticFiles(tmp_path).version("app.js")  # a release: a new process reads it again
    assert before and after and before != after


def test_no_version_for_a_missing_file_or_one_outside_the_folder(tmp_path):
    (tmp_path / "static").mkdir()
    (tmp_path / "secret.toml").write_text("key = 1")
    files = StaticFiles(tmp_path / "static")
    assert files.version("missing.css") is None
    assert files.version("../secret.toml") is None
