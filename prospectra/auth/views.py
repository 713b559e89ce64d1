"""Log in and log out. Throttled per client address and per account (Flask-Limiter, no cookie)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user

from .. import accounts
from .. import sessions
from ..extensions import db
from ..extensions import limiter
from ..extensions import login_manager
from ..i18n import localized
from ..models import User
from .forms import LoginForm
from .forms import LogoutForm

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message = None  # a flashed message would store a session for a visitor
login_manager.session_protection = "basic"


@limiter.request_filter
def _not_login() -> bool:
    # The only decorated rate limits are the login ones below: every other request skips
    # Flask-Limiter's per-request bookkeeping (~0.2 ms each). A limit added elsewhere must change
    # this filter (mail/views.py counts sends and generations itself, with limiter.limiter.hit).
    return request.endpoint != "auth.login"


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id)) if user_id.isdigit() else None


def local_path(target: str | None) -> str | None:
    """Return ``target`` if it is a path on this site, else None (no open redirect)."""
    if not target or any(c in target for c in "\\\r\n\t") or not target.startswith("/"):
        return None
    parts = urlsplit(target)
    if target.startswith("//") or parts.scheme or parts.netloc:
        return None
    return target


def _per_address() -> str:
    return current_app.config["PROSPECTRA"]["limits"]["login_per_address"]


def _per_account() -> str:
    return current_app.config["PROSPECTRA"]["limits"]["login_per_account"]


def _submitted_email() -> str:
    return "account:" + request.form.get("email", "").strip().lower()[:254]


@bp.route("/login", methods=("GET", "POST"))
@limiter.limit(_per_address, methods=["POST"], key_func=get_remote_address)
@limiter.limit(
    _per_account,
    methods=["POST"],
    key_func=_submitted_email,
    deduct_when=lambda response: g.get("login_failed", False),
)
def login():
    """Show the login form; on valid credentials start a fresh session and go to ``next``."""
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = LoginForm()
    failed = False
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is not None:
            sessions.start(user)
            target = local_path(request.args.get("next")) or url_for("dashboard.index")
            return redirect(target, code=303)
        g.login_failed = failed = True
    return render_template(localized("auth/login.html"), form=form, failed=failed)


@bp.post("/logout")
def logout():
    """Log the user out and delete the server-side session record."""
    if not LogoutForm().validate_on_submit():
        abort(400)
    sessions.end()
    return redirect(url_for("auth.logged_out"), code=303)


@bp.get("/logged-out")
def logged_out():
    """Confirm the logout (a page of its own: a flashed message would need a session)."""
    return render_template(localized("auth/logged_out.html"))
