"""Helpers shared by the tests: read a form's CSRF token, log in and out through the forms."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from werkzeug.test import TestResponse

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
# The public HTML pages a visitor reads (the login form included).
PUBLIC_PAGES = (
    "/",
    "/login",
    "/legal/cookies",
    "/legal/privacy",
    "/legal/notice",
    "/legal/terms",
    "/help/",
    "/help/cookies",
)
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
