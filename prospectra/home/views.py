"""The landing page and the files browsers and crawlers ask for at the root."""

from flask import Blueprint
from flask import current_app
from flask import render_template
from flask import send_from_directory

from ..i18n import localized
from ..page_cache import public_page

bp = Blueprint("home", __name__)


@bp.get("/")
@public_page
def index():
    """Present Prospectra to a visitor; sets no cookie."""
    return render_template(localized("home/index.html"))


@bp.get("/favicon.ico")
def favicon():
    return send_from_directory(current_app.static_folder, "favicon.ico", max_age=86400)


@bp.get("/robots.txt")
def robots():
    return send_from_directory(current_app.static_folder, "robots.txt", max_age=86400)
