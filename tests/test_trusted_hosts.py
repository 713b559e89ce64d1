"""Production answers only for its own domain: a forged Host is the 400 page, never echoed back.

Found by the security review (issue 13, item 7): ``Host: evil.test`` came back in the http -> https
redirect (``Location: https://evil.test/...``).
"""

from __future__ import annotations

import pytest

from prospectra.config import flask_config
from prospectra.config import load_settings
from tests.helpers import LEGAL_HOSTING
from tests.helpers import LEGAL_SERVICE
from tests.helpers import MAIL_KEY

DOMAIN = "app.prospectra.example"
SECURITY_HEADERS = ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options",
                    "Referrer-Policy", "Cross-Origin-Opener-Policy")  # fmt: skip


@pytest.fixture
def production(app_factory, settings):
    def make(x_host: int = 0):
        settings["app"] |= {"environment": "production", "secret_key": "p" * 40}
        settings["service"] = {"domain": DOMAIN, **LEGAL_SERVICE}
        settings["hosting"] = LEGAL_HOSTING
        settings["mail"] = {"encryption_key": MAIL_KEY}
        settings["proxy"] = {"x_for": x_host, "x_proto": x_host, "x_host": x_host}
        return app_factory(settings).test_client()

    return make


def assert_refused(response) -> None:
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert "evil" not in html and not any("evil" in v for _, v in response.headers)
    assert '<footer class="site-footer">' in html  # the app's own page, in its layout
    assert "Bad request" in html and "Traceback" not in html
    for name in SECURITY_HEADERS:
        assert name in response.headers
    assert response.headers.getlist("Set-Cookie") == []


@pytest.mark.parametrize("base_url", ["http://evil.test", "https://evil.test", "http://evil.test:80",
                                      f"http://{DOMAIN}.evil.test", "http://10.0.0.5:8000"])  # fmt: skip
@pytest.mark.parametrize("path", ["/legal/cookies", "/login", "/nowhere", "/healthz/x"])
def test_a_foreign_host_gets_the_400_page_and_no_redirect(production, base_url, path):
    assert_refused(production().get(path, base_url=base_url))


def test_a_foreign_host_cannot_post_either(production):
    client = production()
    response = client.post("/login", data={"email": "a@b.org"}, base_url="https://evil.test")
    assert_refused(response)


def test_the_redirect_to_https_names_the_configured_domain(production):
    response = production().get("/legal/cookies", base_url=f"http://{DOMAIN}")
    assert response.status_code == 301
    assert response.headers["Location"] == f"https://{DOMAIN}/legal/cookies"


def test_behind_the_proxy_the_forwarded_host_is_the_one_checked(production):
    client = production(x_host=1)
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    good = client.get("/login", base_url="http://127.0.0.1:8000",
                      headers=forwarded | {"X-Forwarded-Host": DOMAIN})  # fmt: skip
    assert good.status_code == 200
    bad = client.get("/login", base_url=f"http://{DOMAIN}",
                     headers=forwarded | {"X-Forwarded-Host": "evil.test"})  # fmt: skip
    assert_refused(bad)


@pytest.mark.parametrize("base_url", ["http://127.0.0.1:8000", "http://localhost:8000",
                                      f"http://{DOMAIN}", "http://10.0.0.5:8000",
                                      "http://evil.test"])  # fmt: skip
def test_health_checks_answer_any_host_a_probe_sends(production, base_url):
    # An orchestrator probes a worker by its address: the health checks, which build no link and
    # echo nothing, answer it (prospectra/health/probes.py); pages answer only the domain.
    response = production().get("/healthz", base_url=base_url)
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_only_production_restricts_hosts(tmp_path):
    development = load_settings({"app": {"instance_path": str(tmp_path)}})
    assert flask_config(development, tmp_path)["TRUSTED_HOSTS"] is None
    production = load_settings({
        "app": {"environment": "production", "secret_key": "p" * 40, "instance_path": str(tmp_path)},
        "service": {"domain": DOMAIN, **LEGAL_SERVICE}, "hosting": LEGAL_HOSTING, "mail": {"encryption_key": MAIL_KEY},
    })  # fmt: skip
    assert flask_config(production, tmp_path)["TRUSTED_HOSTS"] == [DOMAIN, "localhost", "127.0.0.1"]
