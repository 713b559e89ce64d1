"""Query arguments named like url_for's own keywords break no page; links carry only what they need.

Found by the security review (issue 13, item 6): the language switcher passed the whole query string
into ``url_for``, so ``/?endpoint=x`` or ``?_method=PUT`` was a 500 on every page, its error page
included.
"""

from __future__ import annotations

import re
from html import unescape

import pytest

from tests.helpers import FORM
from tests.helpers import PUBLIC
from tests.helpers import VISITOR
from tests.helpers import pages

KEYWORDS = ["endpoint", "_method", "_external", "_anchor", "_scheme", "values", "lang"]
LOGGED_IN_PAGES = ("/dashboard", "/account", "/mail/", "/mail/relay", "/mail/compose")
ANONYMOUS_PAGES = (*pages(PUBLIC, FORM, VISITOR), "/nowhere")  # /nowhere: the 404 page
HREF = re.compile(r'href="([^"]+)"')


def links(response) -> list[str]:
    return [unescape(h) for h in HREF.findall(response.get_data(as_text=True))]


@pytest.mark.parametrize("name", KEYWORDS)
@pytest.mark.parametrize("path", ANONYMOUS_PAGES)
def test_a_query_named_like_a_url_for_keyword_is_ignored_on_public_pages(client, path, name):
    response = client.get(path, query_string={name: "x"})
    assert response.status_code == (404 if path == "/nowhere" else 200)
    assert "Traceback" not in response.get_data(as_text=True)


@pytest.mark.parametrize("name", KEYWORDS)
def test_a_query_named_like_a_url_for_keyword_is_ignored_on_logged_in_pages(
    client, make_user, auth, name
):
    make_user()
    auth.login()
    for path in LOGGED_IN_PAGES:
        assert client.get(path, query_string={name: "x"}).status_code == 200, path


def test_the_language_switch_carries_lang_and_nothing_else_of_the_query(client):
    response = client.get("/legal/cookies?endpoint=x&_method=PUT&utm_source=mail&lang=fr")
    assert response.status_code == 200
    switch = [link for link in links(response) if "lang=en" in link]
    assert switch == ["/legal/cookies?lang=en"]


def test_the_language_switch_keeps_where_login_returns_to(client):
    response = client.get("/login", query_string={"next": "/mail/", "_anchor": "x", "z": "1"})
    switch = [link for link in links(response) if "lang=fr" in link]
    assert switch == ["/login?next=/mail/&lang=fr"]


def test_no_link_on_the_page_repeats_the_query_string(client):
    response = client.get("/help/?utm_campaign=spring&endpoint=x")
    hrefs = links(response)
    assert hrefs and not any("utm_campaign" in h or "endpoint" in h for h in hrefs)
    # The footer's Cookie settings link returns to this page, by its path alone.
    assert "/consent?next=/help/" in hrefs


def test_the_404_page_survives_a_keyword_query_in_french(client):
    response = client.get("/nowhere?endpoint=x&lang=fr")
    assert response.status_code == 404
    assert "Page introuvable" in response.get_data(as_text=True)
    assert not any("endpoint" in link for link in links(response))
