"""Same-origin checks compare with the configured public origin, however the proxy spells the host.

Found deploying behind nginx on 8443 (issue 14, item 2): with ``X-Forwarded-Host $host`` (no port)
every login failed, Flask-WTF's strict Referer check and the app's Origin check both comparing with
the forwarded Host. Production now expects ``https://<domain>[:<public_port>]``.
"""

from __future__ import annotations

import pytest

from prospectra.accounts import create_user
from prospectra.config import ConfigError
from prospectra.config import load_settings
from tests.helpers import LEGAL_HOSTING
from tests.helpers import LEGAL_SERVICE
from tests.helpers import MAIL_KEY
from tests.helpers import PASSWORD
from tests.helpers import csrf_token

DOMAIN = "app.example.org"
PUBLIC = f"https://{DOMAIN}:8443"
BASE = "http://127.0.0.1:8000"  # gunicorn, as nginx reaches it


def proxy_headers(host: str) -> dict[str, str]:
    return {"X-Forwarded-Proto": "https", "X-Forwarded-Host": host,
            "X-Forwarded-For": "203.0.113.7"}  # fmt: skip


@pytest.fixture
def production(app_factory, settings):
    def make(public_port: int = 8443):
        settings["app"] |= {"environment": "production", "secret_key": "p" * 40}
        settings["service"] = {"domain": DOMAIN, "public_port": public_port, **LEGAL_SERVICE}
        settings["hosting"] = LEGAL_HOSTING
        settings["mail"] = {"encryption_key": MAIL_KEY}
        settings["proxy"] = {"x_for": 1, "x_proto": 1, "x_host": 1}
        app = app_factory(settings)
        with app.app_context():
            create_user("ada@example.org", PASSWORD)
        return app.test_client()

    return make


def login(client, host: str, browser: dict[str, str], base_url: str = BASE):
    headers = proxy_headers(host)
    token = csrf_token(client.get("/login", base_url=base_url, headers=headers))
    return client.post(
        "/login", base_url=base_url, headers=headers | browser,
        data={"csrf_token": token, "email": "ada@example.org", "password": PASSWORD},
    )  # fmt: skip


@pytest.mark.parametrize("host", [DOMAIN, f"{DOMAIN}:8443"], ids=["host", "host-and-port"])
@pytest.mark.parametrize(
    "browser",
    [{"Referer": f"{PUBLIC}/login"},
     {"Referer": f"{PUBLIC}/login", "Origin": PUBLIC},
     {"Referer": f"{PUBLIC}/login", "Origin": PUBLIC, "Sec-Fetch-Site": "same-origin"}],
    ids=["referer", "referer-origin", "fetch-metadata"],
)  # fmt: skip
def test_a_login_on_the_public_port_succeeds_however_the_proxy_spells_the_host(
    production, host, browser
):
    response = login(production(), host, browser)
    assert response.status_code == 303 and response.headers["Location"] == "/dashboard"


@pytest.mark.parametrize(
    "origin",
    ["https://evil.example", f"https://{DOMAIN}", f"https://{DOMAIN}:9443", f"http://{DOMAIN}:8443",
     f"https://{DOMAIN}.evil.example:8443"],
    ids=["other-host", "default-port", "other-port", "http", "suffix"],
)  # fmt: skip
@pytest.mark.parametrize("host", [DOMAIN, f"{DOMAIN}:8443"], ids=["host", "host-and-port"])
def test_another_origin_is_refused(production, origin, host):
    client = production()
    by_origin = login(client, host, {"Referer": f"{PUBLIC}/login", "Origin": origin})
    assert by_origin.status_code == 403
    by_referer = login(client, host, {"Referer": f"{origin}/login"})
    assert by_referer.status_code == 400 and "Location" not in by_referer.headers


def test_a_login_without_a_referer_is_refused(production):
    assert login(production(), DOMAIN, {}).status_code == 400


def test_the_default_port_is_the_domain_alone(production):
    client = production(public_port=0)
    refused = {"Referer": f"{PUBLIC}/login", "Origin": PUBLIC}
    assert login(client, DOMAIN, refused).status_code == 403
    browser = {"Referer": f"https://{DOMAIN}/login", "Origin": f"https://{DOMAIN}"}
    assert login(client, DOMAIN, browser).status_code == 303


def test_a_foreign_forwarded_host_is_still_the_400_page(production):
    client = production()
    response = client.get("/login", base_url=BASE, headers=proxy_headers("evil.example:8443"))
    assert response.status_code == 400


def test_development_compares_with_the_request_host(client, make_user):
    make_user()
    here = {"Referer": "https://localhost/login", "Origin": "https://localhost"}
    assert login(client, "ignored", here, base_url="https://localhost").status_code == 303
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/dashboard"))})
    other = {"Referer": f"{PUBLIC}/login", "Origin": PUBLIC}
    assert login(client, "ignored", other, base_url="https://localhost").status_code == 403
    no_origin = {"Referer": f"{PUBLIC}/login"}
    assert login(client, "ignored", no_origin, base_url="https://localhost").status_code == 400


@pytest.mark.parametrize("port", [-1, 65536])
def test_a_public_port_out_of_range_stops_start_up(port):
    with pytest.raises(ConfigError, match=r"^service.public_port: must be between 0 and 65535$"):
        load_settings({"service": {"public_port": port}})
