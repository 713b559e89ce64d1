"""The extension objects, unbound: each is bound to the application in create_app()."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
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


login_manager = _SessionOnlyLoginManager()
csrf = CSRFProtect()
talisman = Talisman()
# Keyed on the client address (ProxyFix makes it the real one behind a proxy); no cookie involved.
limiter = Limiter(key_func=get_remote_address)
# No route is decorated: every limit is counted by hand through limiter.limiter (auth/throttle.py
# for password checks, mail/views.py for sends and generations), so every request skips
# Flask-Limiter's own per-request bookkeeping (~0.2 ms each).
limiter.request_filter(lambda: True)
