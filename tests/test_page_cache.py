"""Public pages rendered once for all anonymous visitors, never shared with anyone else.

The cache holds a page's HTML only; headers, CSP, counting and the cookie guard still run on every
request. These tests protect what a visitor sees: the right language, their own login state, their
own consent banner and tags, and no cookie a cached page would forget to set.
"""

from __future__ import annotations

import contextlib

import pytest
from flask import template_rendered

from tests.helpers import cookies_set
from tests.helpers import csrf_token
from tests.helpers import public_pages
from tests.test_consent import BANNER
from tests.test_consent import choose
from tests.test_consent import make_app
from tests.test_consent import new_client

FORM_LESS_PAGES = list(public_pages())


@contextlib.contextmanager
def renders(app):
    """The names of the templates rendered inside the block."""
    names: list[str] = []

    def record(sender, template, context, **extra):
        names.append(template.name)

    template_rendered.connect(record, app)
    try:
        yield names
    finally:
        template_rendered.disconnect(record, app)


@pytest.mark.parametrize("path", FORM_LESS_PAGES)
def test_anonymous_page_is_rendered_once_and_still_gets_every_header(client, app, path):
    first = client.get(path)
    with renders(app) as rendered:
        second = client.get(path)
    assert rendered == []  # served from memory
    assert second.status_code == 200 and second.data == first.data
    for header in ("Content-Security-Policy", "Strict-Transport-Security", "Cache-Control", "Vary"):
        assert second.headers.get(header) == first.headers.get(header), header
    assert cookies_set(second) == {}


def test_cached_pages_follow_the_visitors_language(client):
    english = client.get("/legal/cookies").get_data(as_text=True)
    french = client.get("/legal/cookies", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    explicit = client.get("/legal/cookies?lang=fr").get_data(as_text=True)
    assert '<html lang="en">' in english and '<html lang="fr">' in french
    assert "Politique" in french and "Politique" not in english
    # An explicit choice is carried by every link of the page; a negotiated one is not.
    assert "lang=fr" in explicit and 'href="/legal/privacy?lang=fr"' not in french


def test_a_logged_in_user_never_gets_the_anonymous_page_and_the_reverse(app, make_user):
    make_user()
    anonymous = app.test_client()
    assert "Log in" in anonymous.get("/").get_data(as_text=True)
    user = app.test_client()
    user.environ_base["HTTP_REFERER"] = "https://localhost/"  # as a browser sends on a form POST
    token = csrf_token(user.get("/login"))
    user.post("/login", data={"csrf_token": token, "email": "ada@example.org",
                              "password": "correct horse battery staple"})  # fmt: skip
    logged_in = user.get("/").get_data(as_text=True)
    assert "Go to your dashboard" in logged_in and 'action="/logout"' in logged_in
    again = anonymous.get("/").get_data(as_text=True)
    assert "Go to your dashboard" not in again and 'action="/logout"' not in again


def test_pages_with_a_query_string_are_not_cached_nor_served_from_the_cache(client, app):
    client.get("/help/")
    with renders(app) as rendered:
        tagged = client.get("/help/?ref=newsletter&next=/mail/").get_data(as_text=True)
    assert rendered  # rendered for this request: its language link keeps where to go next
    assert "next=/mail/" in tagged and "ref=newsletter" not in tagged  # links carry no other
    assert "next=/mail/" not in client.get("/help/").get_data(as_text=True)


def test_the_consent_banner_is_rendered_for_each_visitor_with_its_own_token(tmp_path):
    app = make_app(tmp_path, "script")
    first, second = new_client(app), new_client(app)
    one, two = first.get("/"), second.get("/")
    assert BANNER in one.get_data(as_text=True) and BANNER in two.get_data(as_text=True)
    assert csrf_token(one) != csrf_token(two)
    assert "__Host-csrf" in cookies_set(one) and "__Host-csrf" in cookies_set(two)


def test_each_visitor_gets_the_tags_of_their_own_choice(tmp_path):
    app = make_app(tmp_path, "script")
    refused, accepted, undecided = new_client(app), new_client(app), new_client(app)
    choose(refused, "refuse_all")
    choose(accepted, "accept_all")
    for _ in range(2):  # the second round is served from the cache
        assert "tags.example.net" not in refused.get("/").get_data(as_text=True)
        assert "tags.example.net" in accepted.get("/").get_data(as_text=True)
        html = undecided.get("/").get_data(as_text=True)
        assert BANNER in html and "tags.example.net" not in html


def test_builtin_measurement_counts_every_view_of_a_cached_page(tmp_path):
    from tests.test_analytics import counts

    app = make_app(tmp_path, "builtin")
    client = new_client(app)
    for _ in range(4):
        client.get("/help/cookies")
    assert counts(app)["/help/cookies"] == 4


def test_the_footer_of_every_page_reopens_the_cookie_settings_for_that_page(client):
    for path in ("/help/", "/legal/notice", "/help/", "/legal/notice"):  # twice: from memory
        html = client.get(path).get_data(as_text=True)
        assert f'href="/consent?next={path}"' in html, path


def test_the_menu_follows_the_users_language_and_login_state(app, client, auth, make_user):
    make_user()
    assert "Log in" in client.get("/help/").get_data(as_text=True)
    auth.login()
    for _ in range(2):  # the second time from memory
        english = client.get("/dashboard").get_data(as_text=True)
        french = client.get("/dashboard?lang=fr").get_data(as_text=True)
        assert '<a href="/dashboard">Dashboard</a>' in english and ">Log out<" in english
        assert '<a href="/dashboard?lang=fr">Tableau de bord</a>' in french
        assert ">Se déconnecter<" in french
        assert 'href="/login"' not in english and 'href="/login?lang=fr"' not in french
        assert 'href="/account?lang=fr"' in french and 'href="/account"' in english
    # Each page's logout form carries this session's own token.
    # (The secret, before Flask-WTF's timestamp and signature, which change with the second.)
    secret = csrf_token(client.get("/dashboard")).split(".")[0]
    assert secret == csrf_token(client.get("/help/")).split(".")[0]
