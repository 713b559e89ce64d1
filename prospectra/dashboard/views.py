"""Internal pages, for logged-in users only."""

from __future__ import annotations

import datetime

from flask import Blueprint
from flask import current_app
from flask import render_template
from flask import session
from flask_login import current_user
from flask_login import login_required

from ..i18n import localized
from ..privacy.session_interface import LOGIN_AT

bp = Blueprint("dashboard", __name__)


@bp.before_request
@login_required
def _require_login() -> None:
    """Send anonymous visitors of any page of this blueprint to the login form."""


@bp.get("/dashboard")
def index():
    """The logged-in user's home page."""
    return render_template(localized("dashboard/index.html"))


@bp.get("/account")
def account():
    """Show the account and when the current session will end."""
    config = current_app.config
    login_at = datetime.datetime.fromtimestamp(session[LOGIN_AT], datetime.UTC)
    return render_template(
        localized("dashboard/account.html"),
        user=current_user,
        login_at=login_at,
        ends_at=login_at + config["SESSION_ABSOLUTE_LIFETIME"],
        idle_minutes=int(config["PERMANENT_SESSION_LIFETIME"].total_seconds() // 60),
    )
