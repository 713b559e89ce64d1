"""Legal pages: the cookie policy (rendered from the registry), its JSON form, privacy, notice."""

from flask import Blueprint
from flask import current_app
from flask import jsonify
from flask import render_template

from ..i18n import localized
from ..page_cache import public_page
from ..privacy import policy

bp = Blueprint("legal", __name__, url_prefix="/legal")


@bp.get("/cookies")
@public_page
def cookies():
    """The cookie policy, its table generated from the registry."""
    return render_template(
        localized("legal/cookies.html"),
        policy=policy.current(),
        history=current_app.extensions["prospectra.policy_history"],
    )


@bp.get("/cookies.json")
def cookies_json():
    """The same declaration, machine-readable (for audits and the cookie scanner)."""
    return jsonify(policy.current())


@bp.get("/privacy")
@public_page
def privacy():
    """The privacy policy the cookie policy refers to."""
    return render_template(localized("legal/privacy.html"))


@bp.get("/notice")
@public_page
def notice():
    """The legal notice (publisher, publication director, host)."""
    return render_template(localized("legal/notice.html"))
