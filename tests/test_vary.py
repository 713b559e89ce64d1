"""Shared caches keep one copy per language and per session state: every page says what it varies with."""

from __future__ import annotations

import pytest
from werkzeug.wrappers import Response

from prospectra import vary


@pytest.mark.parametrize(
    ("before", "name", "after"),
    [
        (None, "Cookie", "Cookie"),
        ("Accept-Language", "Cookie", "Accept-Language, Cookie"),
        ("Accept-Language, Cookie", "Cookie", "Accept-Language, Cookie"),
        ("accept-language,cookie", "Cookie", "accept-language,cookie"),
        ("Origin", "Accept-Language", "Origin, Accept-Language"),
        ("*", "Cookie", "*"),
    ],
)
def test_a_name_is_added_to_vary_once_whatever_its_case(before, name, after):
    response = Response("page")
    if before is not None:
        response.headers["Vary"] = before
    vary.add(response, name)
    assert response.headers.getlist("Vary") == [after]


def test_a_logged_in_page_varies_with_its_language_and_its_session_cookie(auth, make_user):
    make_user()
    auth.login()
    response = auth.client.get("/dashboard")
    assert response.status_code == 200
    assert response.headers.getlist("Vary") == ["Accept-Language, Cookie"]


def test_an_anonymous_public_page_varies_with_its_language_and_the_session_cookie(client):
    # Its navigation depends on whether the visitor is logged in.
    response = client.get("/legal/cookies")
    assert response.headers.getlist("Vary") == ["Accept-Language, Cookie"]
