"""The whole CSP, before and after "Accept all", for every measurement set-up: nothing more.

A mutation check of the suite (issue 13, item 8) found that an extra ``'unsafe-inline'`` added to
the policy once a visitor consents passed every test: they looked for the provider's origins, not
for what else came with them. Each header here is compared whole, as a string written out by hand.
"""

from __future__ import annotations

import pytest

from prospectra import create_app
from tests.helpers import BufferedClient
from tests.helpers import csrf_token
from tests.measurement import CONFIGS
from tests.measurement import SCRIPT

BASE = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")  # fmt: skip
MATOMO = (
    "default-src 'none'; script-src 'self' https://stats.example.org; style-src 'self'; "
    "img-src 'self' https://stats.example.org; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'; connect-src 'self' https://stats.example.org"
)
TAG = (
    "default-src 'none'; script-src 'self' https://tags.example.net https://collect.example.net; "
    "style-src 'self'; img-src 'self' https://tags.example.net https://collect.example.net; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'; "
    "connect-src 'self' https://tags.example.net https://collect.example.net"
)
SETUPS = {**CONFIGS, "script-everywhere": {"analytics": {"providers": ["script"],
                                                         "script": SCRIPT | {"pages": ["/*"]}}}}  # fmt: skip
# Set-up: (CSP of "/" before any choice, after "Accept all", of /help/ after "Accept all").
EXPECTED = {
    "none": (BASE, BASE, BASE),
    "builtin": (BASE, BASE, BASE),
    "matomo-exempt": (MATOMO, MATOMO, BASE),  # exempt: measured from the first visit
    "matomo-consent": (BASE, MATOMO, BASE),
    "script": (BASE, TAG, BASE),  # by default no tag on the /legal/ and /help/ pages
    "script-everywhere": (BASE, TAG, TAG),
}


def test_every_setup_of_the_tests_is_compared():
    assert set(CONFIGS) | {"script-everywhere"} == set(EXPECTED)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_the_whole_csp_before_and_after_accept_all(tmp_path, name):
    before, after, help_after = EXPECTED[name]
    app = create_app({"app": {"instance_path": str(tmp_path)}, **SETUPS[name]}, testing=True)
    app.test_client_class = BufferedClient
    client = app.test_client()
    client.environ_base["HTTP_REFERER"] = "https://localhost/"
    assert client.get("/").headers.getlist("Content-Security-Policy") == [before]
    token = csrf_token(client.get("/login"))  # any form's token: "none" has no consent form
    chosen = client.post(
        "/consent", data={"csrf_token": token, "action": "accept_all", "next": "/"}
    )
    assert chosen.status_code == (404 if name == "none" else 303)  # none: nothing to accept
    assert chosen.headers.getlist("Content-Security-Policy") == [BASE]
    assert client.get("/").headers.getlist("Content-Security-Policy") == [after]
    assert client.get("/help/").headers.getlist("Content-Security-Policy") == [help_after]
    assert client.get("/login").headers.getlist("Content-Security-Policy") == [BASE]
