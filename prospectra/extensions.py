"""The extension objects, unbound: each is bound to the application in create_app()."""

from flask import current_app
from flask_babel import Babel
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_talisman import Talisman
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
babel = Babel()


class _SessionOnlyLoginManager(LoginManager):
    """Flask-Login without its remember-me cookie, which would be a third, undeclared cookie.

    Prospectra never sets it; one sent by a client is ignored rather than decoded (Flask-Login
    0.6.3 crashes with a TypeError on a non-ASCII value, found by tests/test_fuzz.py).
    """

    def _load_user_from_remember_cookie(self, cookie):
        return None

    def _session_protection_failed(self) -> bool:
        # Session protection is off (prospectra.auth): Flask-Login 0.6.3 would still hash the
        # client's address and User-Agent (SHA-512) on every request before finding that out.
        mode = current_app.config.get("SESSION_PROTECTION", self.session_protection)
        if mode not in ("basic", "strong"):
            return False
        return super()._session_protection_failed()


login_manager = _SessionOnlyLoginManager()
csrf = CSRFProtect()
talisman = Talisman()
