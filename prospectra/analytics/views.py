"""The built-in statistics page, for administrators."""

from __future__ import annotations

from flask import Blueprint
from flask import abort
from flask import render_template
from flask import request
from flask_login import current_user
from flask_login import login_required

from .. import state
from ..i18n import localized
from . import builtin

bp = Blueprint("analytics", __name__, url_prefix="/admin")


@bp.get("/statistics")
@login_required
def statistics():
    """Page views per page over the last 30 days (or ?days=N, up to 800)."""
    if not any(p.key == "builtin" for p in state.current().providers):
        abort(404)
    if not current_user.is_admin:
        abort(403)
    days = request.args.get("days", 30, type=int)
    if not 1 <= days <= 800:
        abort(400)
    return render_template(
        localized("analytics/statistics.html"), rows=builtin.report(days), days=days
    )
