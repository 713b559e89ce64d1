"""Help pages."""

from flask import Blueprint
from flask import render_template

bp = Blueprint("help", __name__, url_prefix="/help")


@bp.get("/")
def index():
    """Help topics."""
    return render_template("help/index.html")


@bp.get("/cookies")
def cookies():
    """How to view, delete and block cookies in the main browsers."""
    return render_template("help/cookies.html")
