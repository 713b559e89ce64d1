"""Internal pages, for logged-in users only."""

from __future__ import annotations

from flask import Blueprint
from flask import render_template
from flask_login import login_required

from ..i18n import localized

bp = Blueprint("dashboard", __name__)


@bp.before_request
@login_required
def _require_login() -> None:
    """Send anonymous visitors of any page of this blueprint to the login form."""


@bp.get("/dashboard")
def index():
    """The logged-in user's home page."""
    return render_template(localized("dashboard/index.html"))
