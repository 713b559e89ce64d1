"""Several logged-in browsers of one user, each with its own client, User-Agent and cookies."""

from __future__ import annotations

import datetime
import hashlib

from sqlalchemy import select

from prospectra.extensions import db
from prospectra.models import LoginSession
from tests.helpers import PASSWORD
from tests.helpers import AuthActions
from tests.helpers import csrf_token
from tests.helpers import set_cookie_headers

SESSION = "__Host-session"
DECLARED = {"__Host-session", "__Host-csrf"}
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)
NEW_PASSWORD = "a brand new passphrase"
MORNING = datetime.datetime(2026, 11, 29, 9, 0, tzinfo=datetime.UTC)


class Browser:
    """One logged-in browser: its own client, User-Agent and cookies; records every cookie set."""

    def __init__(self, app, user_agent: str = FIREFOX) -> None:
        self.client = app.test_client()
        self.client.environ_base["HTTP_REFERER"] = "https://localhost/"
        self.client.environ_base["HTTP_USER_AGENT"] = user_agent
        self.cookie_names: set[str] = set()

    def login(self, password: str = PASSWORD):
        return self._seen(AuthActions(self.client).login(password=password))

    def get(self, path: str):
        return self._seen(self.client.get(path))

    def post(self, path: str, prefix: str, **fields):
        token = csrf_token(self.client.get("/dashboard"))
        data = {f"{prefix}-csrf_token": token} | {f"{prefix}-{k}": v for k, v in fields.items()}
        return self._seen(self.client.post(path, data=data))

    def sid(self) -> str:
        return self.client.get_cookie(SESSION).value

    def logged_in(self) -> bool:
        return self.get("/dashboard").status_code == 200

    def _seen(self, response):
        self.cookie_names |= {h.split("=", 1)[0] for h in set_cookie_headers(response)}
        return response


def rows(app) -> list[LoginSession]:
    """The entries of the user -> sessions index, oldest first."""
    with app.app_context():
        return list(db.session.scalars(select(LoginSession).order_by(LoginSession.id)))


def row_id_of(app, browser: Browser) -> int:
    """The index entry of this browser's session (found by the hash of its cookie)."""
    digest = hashlib.sha256(browser.sid().encode()).hexdigest()
    return next(row.id for row in rows(app) if row.sid_hash == digest)
