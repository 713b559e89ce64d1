"""Public pages replayed whole to visitors who send no cookie, and to no one else.

The promise: a visitor gets exactly the response the app would have made for them. The cache
only skips running the app when that response cannot differ: no cookie sent (no session, no
consent choice), a public page, no audience measurement configured. And no copy of a logged-in
page is kept, in this cache or in the page cache, once its response is sent.
"""

from __future__ import annotations

import contextlib

import pytest
from cachelib import BaseCache
from flask import request_started

from prospectra.caching.pages import cache as page_cache
from prospectra.caching.responses import ResponseCache
from tests.helpers import LEGAL_HOSTING
from tests.helpers import LEGAL_SERVICE
from tests.helpers import MAIL_KEY
from tests.helpers import cookies_set
from tests.helpers import csrf_token
from tests.helpers import set_cookie_headers
from tests.test_consent import make_app
from tests.test_consent import new_client


@contextlib.contextmanager
def app_runs(app):
    """How many requests reached the Flask app inside the block."""
    count = [0]

    def started(sender, **extra):
        count[0] += 1

    request_started.connect(started, app)
    try:
        yield count
    finally:
        request_started.disconnect(started, app)


def cookieless(app):
    return app.test_client(use_cookies=False)


FRAGMENT = "_template_fragment_cache_"  # Flask-Caching's prefix for {% cache %} blocks


def response_cache_of(app) -> ResponseCache:
    """The response cache among the WSGI middlewares wrapped around the app."""
    layer = app.wsgi_app
    while not isinstance(layer, ResponseCache):
        layer = getattr(layer, "wsgi_app", None) or layer.app  # ProxyFix calls it .app
    return layer


def kept_entries(app) -> list[tuple[str, str]]:
    """Every (key, value) held in memory by the response cache and the page cache, values as text.

    Read from the real cache objects: every cachelib cache the response cache holds, whatever its
    attribute, and the app's Flask-Caching store (pages and layout fragments).
    """
    stores = [v for v in vars(response_cache_of(app)).values() if isinstance(v, BaseCache)]
    with app.app_context():
        stores.append(page_cache.cache)
    entries = []
    for store in stores:
        for key, (_expires, raw) in list(store._cache.items()):  # every entry, not a lookup
            value = store.serializer.loads(raw)
            if isinstance(value, tuple):  # a response: status, headers, body
                value = repr(value[:2]) + bytes(value[2]).decode()
            entries.append((key, str(value)))
    return entries


def test_a_public_page_is_replayed_to_cookieless_visitors_without_running_the_app(app):
    first = cookieless(app).get("/legal/cookies")
    with app_runs(app) as runs:
        second = cookieless(app).get("/legal/cookies")
    assert runs[0] == 0
    assert second.status_code == 200 and second.data == first.data
    assert second.headers.to_wsgi_list() == first.headers.to_wsgi_list()
    assert "Content-Security-Policy" in second.headers and cookies_set(second) == {}


def test_a_visitor_sending_any_cookie_always_reaches_the_app(app):
    cookieless(app).get("/")
    visitor = app.test_client()
    visitor.set_cookie("__Host-session", "left-over-from-yesterday", secure=True)
    with app_runs(app) as runs:
        response = visitor.get("/")
    assert runs[0] == 1
    # The app answered for this visitor: the unknown session cookie is removed.
    assert any(h.startswith("__Host-session=;") for h in set_cookie_headers(response))


def test_each_language_gets_its_own_response(app):
    for _ in range(2):  # the second round is replayed
        english = cookieless(app).get("/help/").get_data(as_text=True)
        negotiated = cookieless(app).get("/help/", headers={"Accept-Language": "fr"})
        explicit = cookieless(app).get("/help/?lang=fr").get_data(as_text=True)
        assert '<html lang="en">' in english
        assert '<html lang="fr">' in negotiated.get_data(as_text=True)
        assert '<html lang="fr">' in explicit and 'href="/legal/cookies?lang=fr"' in explicit


def test_forms_other_queries_and_methods_always_reach_the_app(app):
    for path in ("/login", "/help/?ref=newsletter"):
        cookieless(app).get(path)
        with app_runs(app) as runs:
            cookieless(app).get(path)
        assert runs[0] == 1, path
    with app_runs(app) as runs:
        cookieless(app).head("/help/")
    assert runs[0] == 1
    # Each visitor of the login form gets a token and a CSRF cookie of their own.
    one, two = cookieless(app).get("/login"), cookieless(app).get("/login")
    assert csrf_token(one) != csrf_token(two)
    assert "__Host-csrf" in cookies_set(one) and "__Host-csrf" in cookies_set(two)


def test_redirects_are_not_kept(app_factory, settings):
    settings["app"] |= {"environment": "production", "secret_key": "r" * 40}
    settings["service"] = {"domain": "app.prospectra.example", **LEGAL_SERVICE}
    settings["hosting"] = LEGAL_HOSTING
    settings["mail"] = {"encryption_key": MAIL_KEY}
    app = app_factory(settings)
    plain_http = {"base_url": "http://app.prospectra.example"}
    assert cookieless(app).get("/", **plain_http).status_code in (301, 302)
    with app_runs(app) as runs:
        cookieless(app).get("/", **plain_http)
    assert runs[0] == 1


@pytest.mark.parametrize("name", ["builtin", "matomo-exempt", "script"])
def test_with_audience_measurement_every_view_reaches_the_app(tmp_path, name):
    app = make_app(tmp_path, name)
    new_client(app).get("/help/cookies")
    with app_runs(app) as runs:
        for _ in range(3):
            app.test_client(use_cookies=False).get("/help/cookies", headers={"Sec-GPC": "1"})
    assert runs[0] == 3


@pytest.mark.both_backends
def test_no_copy_of_a_logged_in_page_is_kept_after_it_is_sent(app, client, auth, make_user):
    email = "ada@example.org"
    cookieless(app).get("/")  # a public page, kept for anonymous visitors in both caches
    kept_before = kept_entries(app)
    assert any("\n/\n" in key for key, _ in kept_before)  # the response cache's copy
    assert any(key.endswith("page:/:en::") for key, _ in kept_before)  # the page cache's copy
    make_user(email)
    auth.login()
    # What is this user's own in the pages: the session id, the e-mail address (dashboard and
    # account), the token of the logout form (every logged-in page).
    personal = {client.get_cookie("__Host-session").value}
    with app_runs(app) as runs:
        for _ in range(2):
            for path in ("/dashboard", "/account", "/mail/", "/"):
                response = client.get(path)
                assert response.status_code == 200, path
                personal.add(csrf_token(response))
                if path in ("/dashboard", "/account"):
                    assert email in response.get_data(as_text=True), path
                    personal.add(email)
    assert runs[0] == 8  # each one made by the app, none replayed
    assert email in personal
    for key, value in kept_entries(app):
        if FRAGMENT in key:  # the layout's parts and the account page's blank form fields, the
            # same for everyone (below: nothing of Ada's)
            shared = ("assets_", "nav_", "footer_", "account-")
            assert key.split(FRAGMENT)[1].startswith(shared), key
        else:  # a page or a response
            for path in ("/dashboard", "/account", "/mail"):
                assert path not in key, key
        for mine in personal:
            assert mine not in key and mine not in value, key
        assert "csrf_token" not in value, key  # no page with a form of anyone's
    assert {key for key, _ in kept_entries(app)} >= {key for key, _ in kept_before}


def test_a_logged_in_browser_repeating_the_same_request_always_reaches_the_app(
    app, client, auth, make_user
):
    make_user()
    auth.login()
    client.get("/dashboard")  # the browser now holds every cookie it will send
    with app_runs(app) as runs:
        for _ in range(3):
            assert client.get("/dashboard").status_code == 200
    assert runs[0] == 3
