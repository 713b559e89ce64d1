"""Helpers shared by the tests: the app's pages by category, a form's CSRF token, log in and out."""

from __future__ import annotations

import functools
import re
import tempfile
from dataclasses import dataclass

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from werkzeug.test import TestResponse

from prospectra.public import is_public

PASSWORD = "correct horse battery staple"
# Production refuses to start without a key for the saved SMTP passwords ([mail] encryption_key).
MAIL_KEY = "cHJvc3BlY3RyYSB0ZXN0czogbm90IGEgcmVhbCBrZXk="
# The legal mentions production refuses to start without (LCEN art. 6-III, GDPR art. 13): a test of
# production adds them, ``"service": {"domain": ..., **LEGAL_SERVICE}, "hosting": LEGAL_HOSTING``.
LEGAL_SERVICE = {
    "publisher": "Prospectra SAS",
    "publisher_legal_form": "SAS",
    "publisher_address": "10 rue de l'Exemple, 75001 Paris, France",
    "publisher_registration": "RCS Paris 912 345 678",
    "publisher_share_capital": "10 000 €",
    "publisher_vat": "FR74912345678",
    "publisher_phone": "+33 1 23 45 67 89",
    "publication_director": "Jeanne Martin",
    "contact_email": "privacy@prospectra.example",
    "dpo": "none",
}
LEGAL_HOSTING = {
    "name": "Hébergeur SAS",
    "address": "2 rue du Serveur, 59100 Roubaix, France",
    "phone": "+33 3 20 00 00 00",
    "country": "FR",
}
# The writing assistant on OpenAI's API, with everything the privacy policy states about it.
OPENAI_ASSISTANT = {
    "provider": "openai",
    "base_url": "https://api.openai.com/v1",
    "model": "gpt-4o-mini",
    "legal_name": "OpenAI, L.L.C.",
    "role": "processor",
    "country": "US",
    "transfer_safeguard": "dpf",
    "privacy_policy_url": "https://openai.com/policies/privacy-policy/",
    "retention_days": 30,
}
# Every route of the app is in one category, so that adding a route forces a decision (the test
# tests/test_routes.py fails on a route in none). A public page is one its view marks public
# (prospectra.public.public, applied by @public_page): it needs no line here. A route that
# answers POST only is an action. Every other route is named below by its endpoint.
PUBLIC = "public page"  # the same for every visitor; no password field; a consented tag may run
FORM = "form page"  # an anonymous page with a form: the login form, Cookie settings
VISITOR = "visitor page"  # an anonymous page about the visit itself: "you are logged out"
LOGGED_IN = "logged-in page"  # an anonymous visitor is sent to the login form
ACTION = "POST-only action"  # a form's target; a GET answers 405
JSON = "JSON"  # a machine-readable document
HEALTH = "health probe"  # for the load balancer and the orchestrator
ASSET = "static asset"  # a file the pages load, or a crawler reads
ROUTE_CATEGORIES = {
    "auth.login": FORM,
    "consent.settings": FORM,
    "auth.logged_out": VISITOR,
    "dashboard.index": LOGGED_IN,
    "dashboard.account": LOGGED_IN,
    "mail.index": LOGGED_IN,
    "mail.compose": LOGGED_IN,
    "mail.draft": LOGGED_IN,
    "mail.relay_settings": LOGGED_IN,
    "analytics.statistics": LOGGED_IN,
    "legal.cookies_json": JSON,
    "health.healthz": HEALTH,
    "health.readyz": HEALTH,
    "home.favicon": ASSET,
    "home.robots": ASSET,
    "static": ASSET,
}
# What a route's variable parts take when a test visits it.
ROUTE_ARGUMENTS = {"draft_id": 1, "filename": "style.css"}
# The app's own CSS and JS, which every page loads.
STATIC_FILES = ("/static/style.css", "/static/app.js")


@dataclass(frozen=True)
class Route:
    """One rule of the app's URL map, in the terms the tests use."""

    rule: str
    endpoint: str
    methods: frozenset[str]
    public: bool

    @property
    def path(self) -> str:
        """The rule with its variable parts filled in (``/mail/drafts/1``)."""
        return re.sub(r"<(?:[^>:]+:)?(\w+)>", lambda m: str(ROUTE_ARGUMENTS[m.group(1)]), self.rule)

    @property
    def category(self) -> str | None:
        """The route's category; None for a route nobody has decided about yet."""
        if self.public:
            return PUBLIC
        if self.methods == {"POST"}:
            return ACTION
        return ROUTE_CATEGORIES.get(self.endpoint)


def routes_of(app: Flask) -> tuple[Route, ...]:
    """Every rule of ``app``'s URL map, in the order of their paths."""
    rules = sorted(app.url_map.iter_rules(), key=lambda rule: (rule.rule, rule.endpoint))
    return tuple(
        Route(
            rule=rule.rule,
            endpoint=rule.endpoint,
            methods=frozenset(rule.methods or ()) - {"HEAD", "OPTIONS"},
            public=is_public(app.view_functions.get(rule.endpoint)),
        )
        for rule in rules
    )


@functools.cache
def routes() -> tuple[Route, ...]:
    """The routes of an app built with the default settings (no setting adds or removes one).

    Computed once per test process, for the lists that ``parametrize`` needs at collection.
    """
    from prospectra import create_app
    from prospectra.extensions import db

    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"app": {"instance_path": folder}}, testing=True)
        with app.app_context():
            db.engine.dispose()
        return routes_of(app)


def pages(*categories: str) -> tuple[str, ...]:
    """The GET pages of these categories, as a visitor requests them, in the order of their paths."""
    return tuple(
        route.path for route in routes() if route.category in categories and "GET" in route.methods
    )


def section_4_pages() -> tuple[str, ...]:
    """The public pages the cookie policy's section 4 names (/legal/, /help/): no tag by default."""
    return tuple(path for path in public_pages() if path.startswith(("/legal/", "/help/")))


def public_pages(*, login: bool = False) -> tuple[str, ...]:
    """The public pages, as their views mark them; with ``login``, the login form too.

    The login form is never public in the tag's sense (it has a password field), but a visitor
    reads it before anything else: the tests of what every page a visitor reads shows include it.
    """
    return pages(PUBLIC) + (("/login",) if login else ())


CSRF_FIELD = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')


class BufferedClient(FlaskClient):
    """A test client that reads and closes every response, as a browser would (no open files)."""

    def open(self, *args, **kwargs) -> TestResponse:
        response = super().open(*args, **kwargs)
        response.get_data()
        response.close()
        return response


def csrf_token(response: TestResponse) -> str:
    """Return the CSRF token a rendered form carries."""
    match = CSRF_FIELD.search(response.get_data(as_text=True))
    assert match, "the page has no CSRF field"
    return match.group(1)


class AuthActions:
    """Log in and out through the real forms, as a browser would."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(
        self, email: str = "ada@example.org", password: str = PASSWORD, next: str | None = None
    ) -> TestResponse:
        url = "/login" + (f"?next={next}" if next else "")
        token = csrf_token(self.client.get(url))
        return self.client.post(
            url, data={"csrf_token": token, "email": email, "password": password}
        )

    def logout(self) -> TestResponse:
        token = csrf_token(self.client.get("/dashboard"))
        return self.client.post("/logout", data={"csrf_token": token})


def set_cookie_headers(response: TestResponse) -> list[str]:
    """Every Set-Cookie header of a response, raw."""
    return response.headers.getlist("Set-Cookie")


def parse_cookie(header: str) -> dict[str, str | bool]:
    """Read one Set-Cookie header into {"name", "value", lower-cased attributes...}.

    Written out here, independent of the application's own guard, so a test cannot pass merely
    because the guard and the test share a parsing mistake.
    """
    first, *attributes = [part.strip() for part in header.split(";")]
    name, _, value = first.partition("=")
    cookie: dict[str, str | bool] = {"name": name, "value": value}
    for attribute in attributes:
        key, sep, val = attribute.partition("=")
        cookie[key.lower()] = val if sep else True
    return cookie


def cookies_set(response: TestResponse) -> dict[str, dict[str, str | bool]]:
    """The cookies a response sets, by name."""
    return {c["name"]: c for c in map(parse_cookie, set_cookie_headers(response))}


def stored_sessions(app: Flask) -> int:
    """How many session records the app's store holds (SQL rows, or Redis keys of its prefix)."""
    if app.config["SESSION_TYPE"] == "redis":
        prefix = app.config["SESSION_KEY_PREFIX"]
        return sum(1 for _ in app.config["SESSION_REDIS"].scan_iter(match=prefix + "*"))
    from prospectra.extensions import db

    with app.app_context():
        return db.session.execute(text("SELECT count(*) FROM sessions")).scalar_one()
