"""Withdrawal: a provider the visitor does not allow leaves none of its cookies, in any scope.

A GA-like tag on app.example.org sets `_ga` on the parent domain, `_gat_*` there too, and
`_ga_*` and `_gcl` under /legal only (where the browser sends them to /legal/ pages alone).
"""

from __future__ import annotations

import pytest

from prospectra import create_app
from prospectra.caching.responses import SHAREABLE
from prospectra.caching.responses import ResponseCache
from prospectra.consent import withdrawal
from prospectra.privacy.guard import UndeclaredCookieError
from prospectra.privacy.guard import problems
from prospectra.testing import cookie_problems
from prospectra.testing import declared_cookies
from prospectra.testing import parse_set_cookie
from tests.helpers import BufferedClient
from tests.helpers import csrf_token
from tests.measurement import SCRIPT
from tests.test_page_cache import renders

SITE = "https://app.example.org"
GONE = "Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0"
GA_COOKIES = [
    {"name": "_ga", "retention_days": 395, "purpose": "Visitor id.", "domain": "example.org"},
    {"name": "_gat_*", "retention_days": 1, "purpose": "Throttle.", "domain": "example.org"},
    {"name": "_ga_*", "retention_days": 395, "purpose": "Session state.", "path": "/legal"},
    {"name": "_gcl", "retention_days": 90, "purpose": "Ad click.", "path": "/legal",
     "secure": False, "same_site": "Strict"},
]  # fmt: skip


def make_app(tmp_path, **analytics):
    analytics = analytics or {
        "providers": ["script"],
        "script": dict(SCRIPT, cookies=GA_COOKIES),
    }
    settings = {
        "app": {"instance_path": str(tmp_path)},
        "service": {"domain": "app.example.org"},
        "analytics": analytics,
    }
    app = create_app(settings, testing=True)
    app.test_client_class = BufferedClient
    return app


def visitor(app):
    client = app.test_client()
    client.environ_base["HTTP_REFERER"] = SITE + "/"
    return client


def get(client, path, **headers):
    return client.get(path, base_url=SITE, headers=headers)


def choose(client, action):
    token = csrf_token(get(client, "/consent"))
    return client.post(
        "/consent",
        base_url=SITE,
        data={"csrf_token": token, "action": action, "next": "/"},
    )


def give(client, name, path="/", domain="app.example.org"):
    """A cookie the tag deposited, as the browser keeps it (sent only to its path)."""
    host_only = domain == "app.example.org"
    client.set_cookie(
        name, "GA1.1.42", domain=domain, origin_only=host_only, path=path, secure=True
    )


def provider_deletions(response) -> list[str]:
    own = ("__Host-", "csrf", "session", "consent")
    return [h for h in response.headers.getlist("Set-Cookie") if not h.startswith(own)]


def test_refusal_deletes_every_exact_name_in_every_declared_scope_sent_or_not(tmp_path):
    client = visitor(make_app(tmp_path))
    response = choose(client, "refuse_all")  # the browser sent none of them
    assert sorted(provider_deletions(response)) == sorted([
        f"_ga=; {GONE}; Secure; Path=/; SameSite=Lax",
        f"_ga=; Domain=example.org; {GONE}; Secure; Path=/; SameSite=Lax",
        f"_gcl=; {GONE}; Path=/legal; SameSite=Strict",
    ])  # fmt: skip


def test_refusal_deletes_each_pattern_name_sent_in_every_declared_scope(tmp_path):
    client = visitor(make_app(tmp_path))
    choose(client, "accept_all")
    give(client, "_gat_UA1", domain="example.org")
    give(client, "_ga_ABC123", path="/legal")  # not sent to /consent: swept later
    response = choose(client, "refuse_all")
    deleted = provider_deletions(response)
    assert f"_gat_UA1=; {GONE}; Secure; Path=/; SameSite=Lax" in deleted
    assert f"_gat_UA1=; Domain=example.org; {GONE}; Secure; Path=/; SameSite=Lax" in deleted
    assert not [h for h in deleted if h.startswith("_ga_")]
    assert len(deleted) == 5  # _ga twice, _gcl once, _gat_UA1 twice


def test_a_later_page_under_the_cookie_path_sweeps_what_the_choice_could_not_see(tmp_path):
    client = visitor(make_app(tmp_path))
    choose(client, "accept_all")
    give(client, "_ga_ABC123", path="/legal")
    choose(client, "refuse_all")
    assert provider_deletions(get(client, "/")) == []  # not sent here
    swept = get(client, "/legal/cookies")
    assert provider_deletions(swept) == [f"_ga_ABC123=; {GONE}; Secure; Path=/legal; SameSite=Lax"]
    assert provider_deletions(get(client, "/legal/cookies")) == []  # gone from the browser


def test_a_provider_the_visitor_allows_keeps_its_cookies(tmp_path):
    client = visitor(make_app(tmp_path))
    choose(client, "accept_all")
    give(client, "_ga_ABC123", path="/legal")
    give(client, "_ga", domain="example.org")
    assert provider_deletions(get(client, "/legal/privacy")) == []


def test_without_consent_a_provider_cookie_is_swept_from_any_response(tmp_path):
    client = visitor(make_app(tmp_path))
    give(client, "_ga", domain="example.org")  # left by an earlier configuration, say
    response = get(client, "/static/app.css")
    assert sorted(provider_deletions(response)) == sorted([
        f"_ga=; {GONE}; Secure; Path=/; SameSite=Lax",
        f"_ga=; Domain=example.org; {GONE}; Secure; Path=/; SameSite=Lax",
    ])  # fmt: skip


def test_an_exempt_provider_objected_to_by_sec_gpc_is_swept_too(tmp_path):
    matomo = {"url": "https://stats.example.org/", "site_id": 3, "mode": "exempt"}
    client = visitor(make_app(tmp_path, providers=["matomo"], matomo=matomo))
    give(client, "_pk_id.3.a1b2")
    assert provider_deletions(get(client, "/help/")) == []  # measured: kept
    objected = get(client, "/help/", **{"Sec-GPC": "1"})
    assert provider_deletions(objected) == [f"_pk_id.3.a1b2=; {GONE}; Secure; Path=/; SameSite=Lax"]


def test_without_a_provider_there_is_no_sweep_at_all(tmp_path):
    app = make_app(tmp_path, providers=[])
    assert withdrawal._sweep not in app.after_request_funcs.get(None, [])
    client = visitor(app)
    give(client, "_ga")
    assert provider_deletions(get(client, "/")) == []


def test_a_page_served_from_the_page_cache_still_sweeps_a_stale_cookie(tmp_path):
    app = make_app(tmp_path)
    first, stale = visitor(app), visitor(app)
    choose(first, "refuse_all")
    choose(stale, "refuse_all")
    give(stale, "_ga_ABC123", path="/legal")
    cached = get(first, "/legal/cookies")
    with renders(app) as rendered:
        swept = get(stale, "/legal/cookies")
    assert rendered == []  # the page came from the cache, the deletion did not
    assert swept.data == cached.data
    assert provider_deletions(swept) == [f"_ga_ABC123=; {GONE}; Secure; Path=/legal; SameSite=Lax"]


def test_the_response_cache_never_keeps_a_response_that_deletes_a_cookie():
    runs = []

    def app(environ, start_response):
        runs.append(1)
        environ[SHAREABLE] = True  # a public page, as the page cache marks it
        start_response("200 OK", [("Set-Cookie", f"_ga=; {GONE}; Secure; Path=/; SameSite=Lax")])
        return [b"page"]

    cache = ResponseCache(app, enabled=True)
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "QUERY_STRING": "", "HTTP_HOST": "x"}
    for _ in range(2):
        assert b"".join(cache(dict(environ), lambda *a: None)) == b"page"
    assert len(runs) == 2  # not replayed: a replay would repeat a deletion meant for one browser


def declared(app) -> dict:
    return {c["name"]: c["attributes"] for c in declared_cookies(app)}


@pytest.mark.parametrize(
    ("header", "complaint"),
    [
        (f"_ga=; Domain=example.org; {GONE}; Secure; Path=/; SameSite=Lax", None),
        (f"_ga=; Domain=.example.org; {GONE}; Secure; Path=/; SameSite=Lax", None),
        (f"_ga=; {GONE}; Secure; Path=/; SameSite=Lax", None),
        (f"_ga_X=; {GONE}; Secure; Path=/legal; SameSite=Lax", None),
        (f"_ga=; Domain=app.example.org; {GONE}; Secure; Path=/; SameSite=Lax", "Domain"),
        (f"_ga=; Domain=other.example; {GONE}; Secure; Path=/; SameSite=Lax", "Domain"),
        (f"_ga_X=; Domain=example.org; {GONE}; Secure; Path=/legal; SameSite=Lax", "Domain"),
        (f"_ga=; Domain=example.org; {GONE}; Secure; Path=/legal; SameSite=Lax", "Path"),
        (f"_ga_X=; {GONE}; Secure; Path=/; SameSite=Lax", "Path"),
        (f"_gid=; {GONE}; Secure; Path=/; SameSite=Lax", "not declared"),
        (f"__Host-csrf=; Domain=example.org; {GONE}; Secure; HttpOnly; Path=/; SameSite=Lax",
         "Domain"),
    ],
)  # fmt: skip
def test_the_guard_and_the_test_check_accept_deletions_only_in_declared_scopes(
    tmp_path, header, complaint
):
    app = make_app(tmp_path)
    for found in (problems(header, declared(app)), cookie_problems(header, declared_cookies(app))):
        if complaint is None:
            assert found == []
        else:
            assert found and complaint in found[0], found


@pytest.mark.undeclared_cookies  # what the guard is tested on
def test_the_strict_guard_stops_a_deletion_in_an_undeclared_scope(tmp_path):
    app = make_app(tmp_path)

    @app.get("/stray")
    def stray():
        response = app.make_response("x")
        response.delete_cookie("_ga", domain="app.example.org", secure=True, samesite="Lax")
        return response

    with pytest.raises(UndeclaredCookieError, match="Domain=app.example.org"):
        get(app.test_client(), "/stray")


def test_every_deletion_the_withdrawal_makes_reads_back_as_its_declared_scope(tmp_path):
    app = make_app(tmp_path)
    client = visitor(app)
    choose(client, "accept_all")
    give(client, "_gat_UA1", domain="example.org")
    scopes = {
        (m.key, m["domain"], m["path"], bool(m["secure"]), m["samesite"])
        for m in map(parse_set_cookie, provider_deletions(choose(client, "refuse_all")))
    }
    assert scopes == {
        ("_ga", "", "/", True, "Lax"),
        ("_ga", "example.org", "/", True, "Lax"),
        ("_gat_UA1", "", "/", True, "Lax"),
        ("_gat_UA1", "example.org", "/", True, "Lax"),
        ("_gcl", "", "/legal", False, "Strict"),
    }
