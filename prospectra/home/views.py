"""The landing page and the files browsers and crawlers ask for at the root."""

from flask import Blueprint
from flask import current_app
from flask import render_template
from flask import send_from_directory

from ..caching import public_page
from ..i18n import localized

bp = Blueprint("home", __name__)


@bp.get("/")
@public_page
def index():
    """Present Prospectra to a visitor; sets no cookie."""
    return render_template(localized("home/index.html"))


@bp.get("/favicon.ico")
def favicon():
    return send_from_directory(current_app.static_folder, "favicon.ico", max_age=86400)


# Crawlers may read the public pages, not a signed-in user's pages nor the consent form. No Sitemap
# line: robots.txt names nothing outside this site.
ROBOTS = """\
User-agent: *
Allow: /
Disallow: /account
Disallow: /admin/
Disallow: /consent
Disallow: /dashboard
Disallow: /mail/
"""


@bp.get("/robots.txt")
def robots():
    """Tell crawlers to index the public pages and skip the account, mail and admin ones."""
    response = current_app.response_class(ROBOTS, mimetype="text/plain")
    response.cache_control.public = True
    response.cache_control.max_age = 86400  # as long as the favicon
    return response
