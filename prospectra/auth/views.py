"""Log in and log out. Wrong passwords are throttled per client address and per account."""

from __future__ import annotations

from flask import Blueprint
from flask import abort
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_login import current_user

from .. import accounts
from .. import sessions
from ..i18n import localized
from ..redirects import local_path
from ..sessions import snapshot
from ..sessions.snapshot import SessionUser
from .forms import LoginForm
from .forms import LogoutForm
from .throttle import MESSAGE
from .throttle import TooManyAttempts
from .throttle import check_password

bp = Blueprint("auth", __name__)


def load_user(user_id: str) -> SessionUser | None:
    """The logged-in user of this request, from the id the session holds (Flask-Login's loader):
    what pages show comes from the session record's snapshot, not from a query per page."""
    return snapshot.load_user(user_id)


@bp.route("/login", methods=("GET", "POST"))
def login():
    """Show the login form; on valid credentials start a fresh session and go to ``next``.

    Past a limit of wrong passwords the form comes back with status 429 and the address typed.
    """
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = LoginForm()
    failed = False
    if form.validate_on_submit():
        user = accounts.find_user(form.email.data)
        try:
            right = check_password(user, form.password.data, email=form.email.data)
        except TooManyAttempts:
            page = render_template(localized("auth/login.html"), form=form, throttled=MESSAGE)
            return page, 429
        if right:
            sessions.start(user)
            target = local_path(request.args.get("next")) or url_for("dashboard.index")
            return redirect(target, code=303)
        failed = True
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
