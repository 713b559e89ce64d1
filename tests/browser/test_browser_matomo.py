"""Exempt Matomo as a real Chromium runs it: the tracker options the app emits keep the exemption.

A stand-in Matomo server serves a ``matomo.js`` that only records the commands it was given
(``_paq``), so the test reads exactly what a real Matomo would have been told to do.
"""

from __future__ import annotations

import json
import time
from http.server import BaseHTTPRequestHandler

import pytest

from prospectra import create_app
from tests.browser.conftest import serve
from tests.peers import HttpPeer

SITE = 3
DAYS = 395
# What matomo.js does here: keep a copy of the commands, as the real one would execute them.
RECORDER = b"window.__matomoCommands = JSON.stringify(window._paq);"


class FakeMatomo(HttpPeer):
    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                body = RECORDER if self.path.startswith("/matomo.js") else b""
                self.send_response(200)
                self.send_header("Content-Type", "text/javascript")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        super().__init__(Handler)
        self.url = f"http://localhost:{self.port}/"


@pytest.fixture(scope="module")
def matomo_site(tmp_path_factory):
    with FakeMatomo() as matomo:
        settings = {
            "app": {"instance_path": str(tmp_path_factory.mktemp("instance"))},
            "analytics": {
                "providers": ["matomo"],
                "matomo": {"url": matomo.url, "site_id": SITE, "mode": "exempt",
                           "cookie_days": DAYS},
            },
        }  # fmt: skip
        with serve(create_app(settings, testing=True)) as url:
            yield url


def commands(page) -> dict[str, list]:
    page.wait_for_function("window.__matomoCommands !== undefined")
    return {c[0]: c[1:] for c in json.loads(page.evaluate("window.__matomoCommands"))}


def test_exempt_matomo_is_told_no_user_id_no_cross_domain_no_feature_detection(
    matomo_site, context
):
    page = context.new_page()
    page.goto(matomo_site + "/")
    given = commands(page)
    assert "disableBrowserFeatureDetection" in given
    assert not {"setUserId", "enableCrossDomainLinking", "setCookieDomain"} & set(given)
    assert given["setVisitorCookieTimeout"] == [DAYS * 86400]
    assert given["setSecureCookie"] == [True] and given["setCookieSameSite"] == ["Lax"]
    assert given["setCookiePath"] == ["/"] and given["setSiteId"] == [str(SITE)]


def test_exempt_matomo_cookie_is_not_extended_by_a_later_visit(matomo_site, context):
    """CNIL: the 13 months count from the first visit; a later visit may not push them back."""
    created = int(time.time()) - 100 * 86400
    context.add_cookies([{"name": f"_pk_id.{SITE}.abcd", "value": f"0123456789abcdef.{created}",
                          "url": matomo_site + "/"}])  # fmt: skip
    page = context.new_page()
    remaining_before = created + DAYS * 86400 - int(time.time())
    page.goto(matomo_site + "/")
    (timeout,) = commands(page)["setVisitorCookieTimeout"]
    remaining_after = created + DAYS * 86400 - int(time.time())
    # The script reads the clock between the two readings here (a second may turn in between).
    assert remaining_after <= timeout <= remaining_before
