"""Health checks: liveness asks nothing of other services, readiness asks both; no cookie."""

from __future__ import annotations

import pytest

from tests.helpers import LEGAL_HOSTING
from tests.helpers import LEGAL_SERVICE
from tests.helpers import MAIL_KEY

pytestmark = pytest.mark.both_backends


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_health_checks_answer_ok_and_set_no_cookie(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.json["status"] == "ok"
    assert response.headers.getlist("Set-Cookie") == []
    assert response.headers["Cache-Control"] == "no-store"


def test_readiness_names_each_service_it_checked(client):
    assert client.get("/readyz").json == {"status": "ok", "database": "ok", "session_store": "ok"}


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_health_checks_answer_plain_http_in_production(app_factory, settings, path):
    # The orchestrator probes the worker directly, not through the TLS proxy: no https redirect.
    # Production answers only its domain (TRUSTED_HOSTS), but a probe may name the worker by its
    # address: the health checks answer it; pages refuse that Host.
    settings["app"] |= {"environment": "production", "secret_key": "k" * 40}
    settings["mail"] = {"encryption_key": MAIL_KEY}
    settings["service"] = {"domain": "app.prospectra.example", **LEGAL_SERVICE}
    settings["hosting"] = LEGAL_HOSTING
    client = app_factory(settings).test_client()
    for host in ("10.0.0.5:8000", "app.prospectra.example", "[fd00::5]:8000"):
        probe = {"base_url": "http://10.0.0.5:8000", "headers": {"Host": host}}
        response = client.get(path, **probe)
        assert response.status_code == 200, host
        assert host not in response.get_data(as_text=True)
    by_name = {"base_url": "http://10.0.0.5:8000", "headers": {"Host": "app.prospectra.example"}}
    assert client.get("/", **by_name).status_code == 301  # pages do redirect
    by_address = {"base_url": "http://10.0.0.5:8000", "headers": {"Host": "10.0.0.5:8000"}}
    assert client.get("/", **by_address).status_code == 400  # and answer only the domain
    forwarded = {"base_url": "http://10.0.0.5:8000",
                 "headers": {"Host": "10.0.0.5:8000", "X-Forwarded-Host": "evil.test"}}  # fmt: skip
    assert client.get(path, **forwarded).status_code == 200
