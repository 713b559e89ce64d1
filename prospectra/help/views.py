"""Help pages."""

from flask import Blueprint
from flask import render_template

from ..caching import public_page
from ..i18n import localized

bp = Blueprint("help", __name__, url_prefix="/help")


@bp.get("/")
@public_page
def index():
    """Help topics."""
    return render_template(localized("help/index.html"))


@bp.get("/cookies")
@public_page
def cookies():
    """How to view, delete and block cookies in the main browsers."""
    return render_template(localized("help/cookies.html"))
