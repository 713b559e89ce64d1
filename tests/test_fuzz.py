"""Hostile input on every route: never a 5xx, a stack trace, or a cookie outside the registry.

Property-based (Hypothesis). CI runs a bounded number of cases; FUZZ_EXAMPLES=N runs more. The
guard is strict under test, so an undeclared cookie fails the case by raising.
"""

from __future__ import annotations

import os
import re
from urllib.parse import quote_from_bytes

import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from prospectra import create_app
from prospectra import registry
from tests.helpers import PASSWORD
from tests.helpers import STATIC_FILES
from tests.helpers import AuthActions
from tests.helpers import BufferedClient
from tests.helpers import cookies_set
from tests.helpers import csrf_token
from tests.helpers import routes
from tests.measurement import CONFIGS

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "1500"))
CASES = {"count": 0}

# Every route of the app (its variable parts filled in), and each of its own static files.
PATHS = list(dict.fromkeys([*(route.path for route in routes()), *STATIC_FILES]))
TRAVERSALS = [
    "/static/../default.toml",
    "/static/%2e%2e/wsgi.py",
    "/static/..%2fwsgi.py",
    "/static/....//....//etc/passwd",
    "/static/%00",
    "//evil.example",
    "/\\evil.example",
    "/%ff%fe",
    "/legal/%c0%ae%c0%ae/",
    "/" + "a" * 5000,
]
NEXTS = [
    "//evil.example",
    "/\\evil.example",
    "https:evil.example",
    "https://evil.example",
    "%2F%2Fevil.example",
    "/%2Fevil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "/%0d%0aSet-Cookie:x=1",
    "///evil",
    "/\t/evil",
]
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "PROPFIND", "FOO"]
CONTENT_TYPES = [
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/json",
    "text/plain",
    "application/x-www-form-urlencoded; charset=utf-16",
    "",
    "*/*;;;",
]
UNSAFE_IN_COOKIE = re.compile(r"[;\r\n]")  # would split the header itself
OVERSIZED = b"<70 kB>"  # expanded in the test: a large example would make Hypothesis' report huge
COOKIE_NAMES = ["__Host-session", "__Host-csrf", "__Host-consent", "session", "remember_token", "_ex"]  # fmt: skip

text = st.text(max_size=300)
junk = st.one_of(
    text, st.binary(max_size=300).map(lambda b: b.decode("latin-1")), st.just("A" * 6000)
)
token_like = st.one_of(junk, st.from_regex(r"[A-Za-z0-9_\-\.]{1,120}", fullmatch=True))


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    settings_ = {
        "app": {"instance_path": str(tmp_path_factory.mktemp("fuzz"))},
        **CONFIGS["script"],
    }
    app = create_app(settings_, testing=True)
    app.test_client_class = BufferedClient
    return app


def pytest_terminal_summary_line() -> str:
    return f"fuzz: {CASES['count']} hostile requests sent"


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    path=st.one_of(st.sampled_from(PATHS + TRAVERSALS), st.text(min_size=1, max_size=200).map(lambda t: "/" + t)),
    method=st.sampled_from(METHODS),
    query=st.one_of(st.just(b""), st.binary(max_size=200), st.sampled_from(NEXTS).map(lambda n: b"next=" + n.encode())),
    cookies=st.dictionaries(st.sampled_from(COOKIE_NAMES), token_like, max_size=4),
    headers=st.dictionaries(
        st.sampled_from(["Sec-Fetch-Site", "Origin", "Referer", "Accept-Language", "Sec-GPC", "DNT", "X-Forwarded-For", "X-CSRFToken"]),
        junk.map(lambda v: v.replace("\r", "").replace("\n", "")), max_size=4,
    ),
    content_type=st.sampled_from(CONTENT_TYPES),
    body=st.one_of(st.binary(max_size=2000), st.just(OVERSIZED), st.just(b"email=%ff%fe&password=%c3%28&csrf_token=\x00")),
)  # fmt: skip
def test_no_input_breaks_the_app(
    fuzz_app, path, method, query, cookies, headers, content_type, body
):
    client = fuzz_app.test_client(use_cookies=False)
    body = b"x" * 70_000 if body == OVERSIZED else body
    if cookies:  # sent raw, as a hostile client would: no size or character checks
        headers["Cookie"] = "; ".join(
            k + "=" + UNSAFE_IN_COOKIE.sub("", v) for k, v in cookies.items()
        )
    try:
        response = client.open(path, method=method, query_string=quote_from_bytes(query, safe="=&"),
                               headers=headers, data=body if method not in ("GET", "HEAD") else None,
                               content_type=content_type)  # fmt: skip
    except ValueError:
        return  # the test client itself refuses to build this request (e.g. a header with \0)
    CASES["count"] += 1
    assert response.status_code < 500, (path, method, response.status_code)
    assert b"Traceback" not in response.get_data()
    declared = {c["name"] for c in registry.declared(fuzz_app.config["PROSPECTRA"])}
    assert set(cookies_set(response)) <= declared | {n for n in cookies if n in declared}


# Query argument *names* (issue 13, item 6): url_for's own keywords, Flask's and Werkzeug's
# conventions, brackets, a very long name, and percent-encodings that are not UTF-8.
KEYWORD_NAMES = ["endpoint", "_method", "_external", "_anchor", "_scheme", "values", "lang",
                 "next", "days", "self", "__class__", "_id", "csrf_token", "endpoint[]",
                 "a[b]", "a[b][c]", "[]", "[", "]", "next[]", "lang[0]", "x" * 5000]  # fmt: skip
PERCENT_NAMES = ["%ff", "%c0%ae", "%ed%a0%80", "%00", "%fe%ff", "%e2%82", "%25", "%", "%zz"]
query_name = st.one_of(
    st.sampled_from(KEYWORD_NAMES).map(lambda n: quote_from_bytes(n.encode(), safe="[]")),
    st.sampled_from(PERCENT_NAMES),
    st.binary(min_size=1, max_size=60).map(lambda b: quote_from_bytes(b, safe="")),
    st.text(min_size=1, max_size=60).map(lambda t: quote_from_bytes(t.encode(), safe="[]")),
)
query_value = st.one_of(
    st.sampled_from(["", "x", "fr", "PUT", "1", "/mail/", "javascript:alert(1)", "%ff"]),
    st.binary(max_size=60).map(lambda b: quote_from_bytes(b, safe="")),
)


@settings(
    max_examples=max(EXAMPLES // 3, 50),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    path=st.sampled_from(PATHS),
    method=st.sampled_from(["GET", "GET", "HEAD", "POST"]),
    arguments=st.lists(st.tuples(query_name, query_value), min_size=1, max_size=4),
    lang=st.sampled_from(["", "lang=fr&", "lang=en&"]),
)
def test_no_query_argument_name_breaks_a_page(fuzz_app, path, method, arguments, lang):
    query = lang + "&".join(name + "=" + value for name, value in arguments)
    response = fuzz_app.test_client(use_cookies=False).open(
        path, method=method, query_string=query, base_url="https://localhost"
    )
    CASES["count"] += 1
    assert response.status_code < 500, (path, query, response.status_code)
    assert b"Traceback" not in response.get_data()


# The relay form's host field (issue 13, items 1 and 6): loopback, private and metadata addresses
# in other spellings, a trailing dot, a name too long for DNS, and Unicode that IDNA maps to dots
# or to ASCII. Whatever the app decides about them, it never answers a 500 or a stack trace.
HOSTILE_HOSTS = [
    "0", "0.0.0.0", "2130706433", "0x7f000001", "0x7f.1", "017700000001", "127.1", "127.0.0.1.",
    "[::1]", "::1", "[::ffff:127.0.0.1]", "::ffff:7f00:1", "fd00::1", "[fd00::1]", "fe80::1%lo",
    "169.254.169.254", "[fd00:ec2::254]", "10.0.0.1", "192.168.0.1", "100.64.0.1", "224.0.0.1",
    "localhost", "localhost.", "LOCALHOST", "localhost.localdomain", "127.0.0.1.nip.io",
    "a" * 300, ("a" * 63 + ".") * 4 + "a", "a" * 64 + ".example", "-x-.example", "x..example",
    "ｌｏｃａｌｈｏｓｔ", "127。0。0。1", "exämple.org", "xn--", "xn--zz.example", "☃.example",
    "\u200blocalhost", "localhost\x00.example", "local host", "host:25", "user@host", "",
]  # fmt: skip
relay_host = st.one_of(
    st.sampled_from(HOSTILE_HOSTS),
    st.text(max_size=300),
    st.from_regex(r"[0-9a-fx:.\[\]%]{1,60}", fullmatch=True),
)


@pytest.fixture(scope="module")
def relay_client(tmp_path_factory):
    """A logged-in client of an app with default relay rules and a one-second relay timeout."""
    from prospectra.accounts import create_user

    settings_ = {
        "app": {"instance_path": str(tmp_path_factory.mktemp("fuzz-relay"))},
        "mail": {"timeout_seconds": 1.0},
        "limits": {"sends_per_user": "100000 per minute"},
    }
    app = create_app(settings_, testing=True)
    app.test_client_class = BufferedClient
    with app.app_context():
        create_user("ada@example.org", PASSWORD)
    client = app.test_client()
    client.environ_base["HTTP_REFERER"] = "https://localhost/"
    assert AuthActions(client).login().status_code == 303
    return client


def _post_relay(client, host: str):
    token = csrf_token(client.get("/mail/relay"))
    fields = {"host": host, "port": "2525", "tls_mode": "none", "username": "", "password": "",
              "sender": "ada@example.org"}  # fmt: skip
    return client.post(
        "/mail/relay",
        data={"relay-csrf_token": token} | {f"relay-{k}": v for k, v in fields.items()},
    )


def _assert_no_crash(response, host: str) -> None:
    CASES["count"] += 1
    assert response.status_code < 500, (host, response.status_code)
    assert b"Traceback" not in response.get_data()


@pytest.mark.parametrize("host", HOSTILE_HOSTS)
def test_no_relay_host_spelling_breaks_saving_or_the_test_message(relay_client, host):
    _assert_no_crash(_post_relay(relay_client, host), host)
    token = csrf_token(relay_client.get("/mail/relay"))
    response = relay_client.post(
        "/mail/relay/test", data={"test-csrf_token": token, "test-send_test": "1"}
    )
    _assert_no_crash(response, host)


@settings(
    max_examples=max(EXAMPLES // 10, 30),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(host=relay_host)
def test_no_relay_host_breaks_the_relay_form(relay_client, host):
    _assert_no_crash(_post_relay(relay_client, host), host)
