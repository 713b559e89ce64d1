"""The landing page's blueprint: the files browsers and crawlers ask for at the root."""

from __future__ import annotations

from tests.helpers import public_pages
from tests.test_security_headers import EXPECTED

ROBOTS = [
    "User-agent: *",
    "Allow: /",
    "Disallow: /account",
    "Disallow: /admin/",
    "Disallow: /consent",
    "Disallow: /dashboard",
    "Disallow: /mail/",
]


def disallowed(body: str) -> list[str]:
    return [line.removeprefix("Disallow: ") for line in body.splitlines() if "Disallow" in line]


def test_robots_txt_lets_crawlers_read_the_public_pages_only(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response.content_type == "text/plain; charset=utf-8"
    assert response.get_data(as_text=True).splitlines() == ROBOTS
    assert "http" not in response.get_data(as_text=True)  # no Sitemap, nothing external
    for path in public_pages(login=True):
        assert not any(path.startswith(prefix) for prefix in disallowed(response.text)), path


def test_robots_txt_disallows_only_paths_the_app_serves(app, client):
    rules = [rule.rule for rule in app.url_map.iter_rules()]
    for prefix in disallowed(client.get("/robots.txt").text):
        assert any(rule.startswith(prefix) for rule in rules), prefix


def test_robots_txt_sets_no_cookie_and_is_cacheable_with_the_security_headers(client):
    response = client.get("/robots.txt")
    assert "Set-Cookie" not in response.headers
    assert response.cache_control.public and response.cache_control.max_age == 86400
    for name, value in EXPECTED.items():
        assert response.headers.getlist(name) == [value], name
