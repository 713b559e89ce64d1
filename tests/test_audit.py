"""`privacy audit` against the app served by gunicorn: clean configs pass, a broken one is caught."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from prospectra import create_app
from prospectra.accounts import create_user
from prospectra.audit import findings as kinds
from prospectra.audit.records import WITHDRAW_JOURNEY
from prospectra.extensions import db
from tests.browser.fake_third_party import FakeThirdParty
from tests.helpers import PASSWORD
from tests.served import Gunicorn

pytestmark = pytest.mark.browser
USER = "ada@example.org"
# Four audits must fit the suite's time budget: few pages per journey (eight reach every kind of
# public page: home, login, legal, help, consent, French) and a short quiet time per page.
FAST = ["--settle", "0.1"]
FEW = ["--max-pages", "5"]


def _flat(settings: dict, prefix: str = "") -> dict:
    """Nested settings as the TABLE__KEY names tests.served turns into PROSPECTRA_* variables."""
    flat = {}
    for key, value in settings.items():
        if isinstance(value, dict):
            flat.update(_flat(value, f"{prefix}{key}__"))
        else:
            flat[prefix + key] = json.dumps(value) if isinstance(value, list) else value
    return flat


@contextlib.contextmanager
def deployment(tmp_path: Path, settings: dict, app: str = "prospectra.wsgi:app") -> Iterator[str]:
    """The app under gunicorn on 127.0.0.1 with one account; yields its base URL."""
    settings = {"app": {"instance_path": str(tmp_path / "instance")}} | settings
    local = create_app(settings, testing=True)
    with local.app_context():
        create_user(USER, PASSWORD)
        db.engine.dispose()
    tables = {table: _flat(values) for table, values in settings.items()}
    server = Gunicorn(tables, tmp_path / "access.log", workers=1, app=app)
    server.start()
    try:
        yield f"http://127.0.0.1:{server.port}/"
    finally:
        server.stop()


def audit(tmp_path: Path, url: str, *extra: str, user: str | None = USER):
    """Run the command as ops do, the password on standard input; return (result, JSON report)."""
    report = tmp_path / "audit.json"
    runner = create_app({"app": {"instance_path": str(tmp_path / "cli")}}).test_cli_runner()
    args = ["privacy", "audit", url, "--json", str(report), *FAST, *extra]
    args += ["--user", user] if user else []
    result = runner.invoke(args=args, input=PASSWORD + "\n")
    data = json.loads(report.read_text()) if report.exists() else None
    return result, data


def journey(data: dict, name: str) -> dict:
    return next(j for j in data["summary"]["journeys"] if j["name"] == name)


@pytest.fixture(scope="module")
def tag_server():
    with FakeThirdParty() as fake:
        yield fake


def script_provider(origin: str, retention_days: int = 395) -> dict:
    return {
        "providers": ["script"],
        "script": {
            "name": "Example Analytics",
            "controller": "Example Analytics Ltd",
            "category": "audience_measurement",
            "policy_url": "https://example.net/privacy",
            "src": origin + "/tag.js",
            "origins": [origin],
            "purpose": "Audience statistics by Example Analytics.",
            "cookies": [
                {"name": "_ex", "retention_days": retention_days, "purpose": "Visitor id."}
            ],
        },
    }


def test_audit_without_provider_walks_public_and_internal_pages_and_finds_nothing(tmp_path):
    with deployment(tmp_path, {}) as url:
        result, data = audit(
            tmp_path, url, "--max-pages", "8", "--screenshots", str(tmp_path / "shots")
        )
    assert result.exit_code == 0, result.output
    assert "No finding" in result.output
    assert "first visit: 8/" in result.output and "logged in: " in result.output  # progress
    assert [j["name"] for j in data["summary"]["journeys"]] == ["first visit", "logged in"]
    first, logged_in = journey(data, "first visit"), journey(data, "logged in")
    assert first["pages"] == 8 and first["cookies"] == ["__Host-csrf"]
    assert list(first["origins"]) == [url.rstrip("/")]
    assert logged_in["cookies"] == ["__Host-csrf", "__Host-session"]
    pages = [p["url"] for j in data["audit"]["journeys"] for p in j["pages"]]
    for path in ("/", "/login", "/legal/cookies", "/help/", "/dashboard", "/account"):
        assert url.rstrip("/") + path in pages
    assert not any("logout" in p for p in pages)  # the logout is a POST, made once at the end
    assert data["audit"]["journeys"][1]["pages"][-1]["via"] == "logout"
    shots = sorted((tmp_path / "shots").iterdir())
    assert len(shots) == sum(j["pages"] for j in data["summary"]["journeys"])
    assert all(s.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") for s in shots)
    named = {p["screenshot"] for j in data["audit"]["journeys"] for p in j["pages"]}
    assert named == {s.name for s in shots}


def test_audit_with_builtin_statistics_and_no_user_finds_nothing_and_no_banner(tmp_path):
    with deployment(tmp_path, {"analytics": {"providers": ["builtin"]}}) as url:
        result, data = audit(tmp_path, url, *FEW, user=None)
    assert result.exit_code == 0, result.output
    assert data["summary"]["consent_banner"] is False
    assert [j["name"] for j in data["summary"]["journeys"]] == ["first visit"]
    assert journey(data, "first visit")["cookies"] == ["__Host-csrf"]
    assert data["findings"] == []


def test_audit_answers_a_consent_script_banner_both_ways_and_finds_nothing(
    tmp_path, tag_server, monkeypatch
):
    monkeypatch.setenv("AUDIT_PASSWORD", PASSWORD)  # instead of standard input
    with deployment(tmp_path, {"analytics": script_provider(tag_server.origin)}) as url:
        report = tmp_path / "audit.json"
        runner = create_app({"app": {"instance_path": str(tmp_path / "cli")}}).test_cli_runner()
        args = ["privacy", "audit", url, "--user", USER, "--json", str(report), *FAST, *FEW]
        result = runner.invoke(args=args)
    data = json.loads(report.read_text())
    assert result.exit_code == 0, result.output
    # The only forms it submitted: the banner twice, accept then withdraw, the login, the logout.
    served = [line.split(" ") for line in (tmp_path / "access.log").read_text().splitlines()]
    posted = sorted(path for _, method, path, _ in served if method != "GET")
    assert posted == ["/consent"] * 4 + ["/login", "/logout"]
    names = [j["name"] for j in data["summary"]["journeys"]]
    assert names == ["first visit", "refuse all", "accept all", WITHDRAW_JOURNEY, "logged in"]
    withdrawn = next(j for j in data["audit"]["journeys"] if j["name"] == WITHDRAW_JOURNEY)
    steps = [p["via"] for p in withdrawn["pages"]]
    assert steps[:2] == ["start", "Accept all"] and steps.count("Refuse all") == 1
    assert steps[withdrawn["withdrawn_at"] - 1 : withdrawn["withdrawn_at"] + 1] == [
        "Cookie settings",
        "Refuse all",
    ]
    for name in ("first visit", "refuse all", "logged in"):
        assert tag_server.origin not in journey(data, name)["origins"]
        assert "_ex" not in journey(data, name)["cookies"]
    accepted = journey(data, "accept all")
    assert accepted["origins"][tag_server.origin] >= 2  # the tag, and its call home
    assert set(accepted["cookies"]) == {"__Host-csrf", "__Host-consent", "_ex"}
    assert "__Host-consent" in journey(data, "refuse all")["cookies"]
    pages = {j["name"]: j["pages"] for j in data["audit"]["journeys"]}
    assert pages["first visit"][0]["banner"] is True
    for answered in ("refuse all", "accept all"):
        assert pages[answered][0]["banner"] is True
        assert not any(p["banner"] for p in pages[answered][1:])  # asked once, answered


@pytest.fixture(scope="module")
def broken(tmp_path_factory, tag_server):
    """One audit of a deployment whose pages load the tag before consent (tests.audit_broken_wsgi).

    The tag is declared for 30 days but keeps its cookie 395, and writes localStorage.
    """
    tmp_path = tmp_path_factory.mktemp("broken")
    settings = {"analytics": script_provider(tag_server.origin, retention_days=30)}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AUDIT_TEST_TAG_ORIGIN", tag_server.origin)
        with deployment(tmp_path, settings, app="tests.audit_broken_wsgi:app") as url:
            result, data = audit(tmp_path, url, *FEW, "--html", str(tmp_path / "audit.html"))
    return url.rstrip("/"), result, data, (tmp_path / "audit.html").read_text()


def found(data: dict, journey: str, kind: str) -> dict[str, dict]:
    return {
        f["subject"]: f for f in data["findings"] if f["journey"] == journey and f["kind"] == kind
    }


def test_audit_of_a_broken_deployment_exits_1_and_names_each_finding_with_its_page(
    broken, tag_server
):
    url, result, data, _ = broken
    assert result.exit_code == 1
    undeclared = found(data, "first visit", kinds.UNDECLARED_COOKIE)
    assert list(undeclared) == ["promo"]
    assert undeclared["promo"]["page"] == url + "/"  # where it first appeared
    assert found(data, "first visit", kinds.COOKIE_ATTRIBUTE)["__Host-csrf"]["detail"] == (
        "lacks HttpOnly"
    )
    # The banner is a form: the home page sets the CSRF cookie, without HttpOnly here.
    assert found(data, "first visit", kinds.COOKIE_ATTRIBUTE)["__Host-csrf"]["page"] == url + "/"
    before_consent = found(data, "first visit", kinds.BEFORE_CONSENT)
    assert before_consent["_ex"]["page"] == url + "/"
    assert "_ex" in found(data, "refuse all", kinds.BEFORE_CONSENT)
    assert "_ex" in found(data, "logged in", kinds.BEFORE_CONSENT)
    assert "_ex" not in found(data, "accept all", kinds.BEFORE_CONSENT)
    expiry = found(data, "accept all", kinds.COOKIE_EXPIRY)["_ex"]
    assert expiry["detail"] == "kept 395 days, declared 30 days"
    third_party = found(data, "first visit", kinds.THIRD_PARTY)[tag_server.origin]
    assert third_party["page"] == url + "/"
    assert third_party["detail"].endswith(tag_server.origin + "/tracker.js")
    internal = found(data, "logged in", kinds.THIRD_PARTY)[tag_server.origin]
    assert internal["detail"].startswith("on load of an internal page")
    assert url + "/dashboard" in internal["pages"]
    assert "localStorage: _ex_seen" in found(data, "first visit", kinds.STORAGE)
    assert not found(data, "accept all", kinds.THIRD_PARTY)  # consented: the tag may load
    # The tag pasted into every page goes on after "Refuse all": called, and its cookie kept.
    assert tag_server.origin in found(data, WITHDRAW_JOURNEY, kinds.AFTER_WITHDRAWAL)
    assert "_ex" in found(data, WITHDRAW_JOURNEY, kinds.SURVIVES_WITHDRAWAL)
    assert f"[first visit] {kinds.UNDECLARED_COOKIE}: promo" in result.output
    # The download cannot be audited as a page: said so, and the crawl went on.
    first = data["audit"]["journeys"][0]["pages"]
    (export,) = [p for p in first if p["url"] == url + "/export.csv"]
    assert "Download is starting" in export["error"] and export is not first[-1]
    assert f"page not audited: {url}/export.csv" in result.output


def test_audit_json_report_records_cookie_attributes_requests_storage_and_console(broken):
    url, _, data, _ = broken
    first = data["audit"]["journeys"][0]
    home = first["pages"][0]
    promo = next(c for c in home["cookies"] if c["name"] == "promo")
    assert promo["domain"] == "127.0.0.1" and promo["path"] == "/"
    assert promo["http_only"] is False and promo["secure"] is False
    assert promo["size"] == len("promo") + len("spring")
    assert promo["expires"] - home["observed_at"] == pytest.approx(365 * 86400, abs=120)
    assert home["requests"][0] == {
        "url": url + "/",
        "method": "GET",
        "resource_type": "document",
        "origin": url,
    }
    assert home["storage"]["localStorage"] == ["_ex_seen"]
    assert {"type": "log", "text": "<b>tracker</b> loaded"} in home["console"]
    assert data["summary"]["findings"] == len(data["findings"])
    assert data["audit"]["declaration"]["policy_version"] == data["summary"]["policy_version"]


def test_audit_html_report_is_one_escaped_file_with_findings_cookies_and_screenshots(broken):
    _, _, data, html = broken
    assert html.startswith("<!doctype html>")
    assert f"{len(data['findings'])} finding(s)" in html
    assert "&lt;b&gt;tracker&lt;/b&gt; loaded" in html and "<b>tracker</b>" not in html
    assert "<td><code>promo</code></td>" in html  # in a cookie table
    assert len(re.findall(r'<img src="data:image/png;base64,', html)) >= 4
    assert not re.search(r'(src|href)="(https?:)?//', html)  # loads nothing from anywhere
    assert "<script" not in html.replace("&lt;script", "")


GA_HOST = "www.app.localhost"  # Chromium resolves *.localhost to loopback (see below)


def ga_like(origin: str, written_under: str = "/legal") -> dict:
    """A GA-like tag declared with `_ga` on the parent domain and `_ga_*` under /legal.

    The fake tag writes `_ga_X` under ``written_under``: elsewhere than declared, withdrawal
    cannot reach it. Served as www.app.localhost: in Chromium, Domain=app.localhost is then a
    real domain cookie (on 127.0.0.1 or localhost a Domain is kept host-only).
    """
    analytics = script_provider(origin)
    analytics["script"] |= {
        "src": f"{origin}/ga.js?domain=app.localhost&path={written_under}",
        "cookies": [
            {"name": "_ga", "retention_days": 395, "purpose": "Visitor id.",
             "domain": "app.localhost"},
            {"name": "_ga_*", "retention_days": 395, "purpose": "Session.", "path": "/legal"},
        ],
    }  # fmt: skip
    return analytics


def ga_audit(tmp_path, tag_server, written_under: str):
    settings = {"service": {"domain": GA_HOST}, "analytics": ga_like(tag_server.origin,
                                                                     written_under)}  # fmt: skip
    with deployment(tmp_path, settings) as url:
        return audit(tmp_path, url.replace("127.0.0.1", GA_HOST), *FEW, user=None)


def test_audit_withdraws_a_tag_with_domain_and_path_scoped_cookies_and_finds_nothing(
    tmp_path, tag_server
):
    result, data = ga_audit(tmp_path, tag_server, written_under="/legal")
    assert result.exit_code == 0, result.output
    withdrawn = next(j for j in data["audit"]["journeys"] if j["name"] == WITHDRAW_JOURNEY)
    before = withdrawn["pages"][withdrawn["withdrawn_at"] - 1]["cookies"]
    scopes = {(c["name"], c["domain"], c["path"]) for c in before}
    assert {("_ga", ".app.localhost", "/"), ("_ga_X", GA_HOST, "/legal")} <= scopes
    after = [p["url"] for p in withdrawn["pages"][withdrawn["withdrawn_at"] + 1 :]]
    assert any("/legal/" in url for url in after)  # where the /legal cookie is swept
    last = withdrawn["pages"][-1]["cookies"]
    assert not [c for c in last if c["name"].startswith("_ga")]


def test_audit_fails_when_a_tag_writes_a_cookie_where_withdrawal_cannot_reach_it(
    tmp_path, tag_server
):
    result, data = ga_audit(tmp_path, tag_server, written_under="/help")
    assert result.exit_code == 1
    survivor = found(data, WITHDRAW_JOURNEY, kinds.SURVIVES_WITHDRAWAL)["_ga_X"]
    assert "path /help); declared host-only, path /legal" in survivor["detail"]
    assert found(data, "accept all", kinds.COOKIE_ATTRIBUTE)["_ga_X"]["detail"] == (
        "Path is /help, declared /legal"
    )
    assert f"[{WITHDRAW_JOURNEY}] {kinds.SURVIVES_WITHDRAWAL}: _ga_X" in result.output


def test_audit_objects_to_exempt_matomo_through_its_settings_box_and_finds_nothing(
    tmp_path, tag_server
):
    matomo = {"url": tag_server.origin + "/", "site_id": 3, "mode": "exempt"}
    settings = {"analytics": {"providers": ["matomo"], "matomo": matomo}}
    with deployment(tmp_path, settings) as url:
        result, data = audit(tmp_path, url, *FEW, user=None)
    assert result.exit_code == 0, result.output
    assert data["summary"]["consent_banner"] is False
    first = journey(data, "first visit")
    assert {"_pk_id.3.a1b2", "_pk_ses.3.a1b2"} <= set(first["cookies"])
    assert "_pk_testcookie_domain" not in first["cookies"]  # deleted at once: never judged
    withdrawn = next(j for j in data["audit"]["journeys"] if j["name"] == WITHDRAW_JOURNEY)
    steps = [p["via"] for p in withdrawn["pages"]]
    assert "Save my choices (all unticked)" in steps  # no Refuse all: nothing needs consent
    assert withdrawn["withdrawn_at"] == steps.index("Save my choices (all unticked)")
    assert not [c for c in withdrawn["pages"][-1]["cookies"] if c["name"].startswith("_pk")]


def test_audit_of_exempt_matomo_beside_a_consent_tag_on_another_origin_finds_nothing(
    tmp_path, tag_server
):
    with FakeThirdParty() as stats:  # another port: another origin
        matomo = {"url": stats.origin + "/", "site_id": 3, "mode": "exempt"}
        analytics = script_provider(tag_server.origin)
        analytics["providers"] = ["matomo", "script"]
        analytics["matomo"] = matomo
        with deployment(tmp_path, {"analytics": analytics}) as url:
            result, data = audit(tmp_path, url, *FEW, user=None)
    assert result.exit_code == 0, result.output
    assert data["summary"]["consent_banner"] is True
    first = journey(data, "first visit")
    assert {"_pk_id.3.a1b2", "_pk_ses.3.a1b2"} <= set(first["cookies"])  # exempt: no banner needed
    assert "_ex" not in first["cookies"] and tag_server.origin not in first["origins"]
    withdrawn = next(j for j in data["audit"]["journeys"] if j["name"] == WITHDRAW_JOURNEY)
    last = {c["name"] for c in withdrawn["pages"][-1]["cookies"]}
    assert "_ex" not in last and not [n for n in last if n.startswith("_pk")]


def test_audit_of_matomo_needing_consent_finds_nothing(tmp_path, tag_server):
    matomo = {"url": tag_server.origin + "/", "site_id": 3, "mode": "consent"}
    with deployment(tmp_path, {"analytics": {"providers": ["matomo"], "matomo": matomo}}) as url:
        result, data = audit(tmp_path, url, *FEW, user=None)
    assert result.exit_code == 0, result.output
    assert data["summary"]["consent_banner"] is True
    assert not [c for c in journey(data, "first visit")["cookies"] if c.startswith("_pk")]
    assert "_pk_id.3.a1b2" in journey(data, "accept all")["cookies"]
    withdrawn = next(j for j in data["audit"]["journeys"] if j["name"] == WITHDRAW_JOURNEY)
    assert not [c for c in withdrawn["pages"][-1]["cookies"] if c["name"].startswith("_pk")]
