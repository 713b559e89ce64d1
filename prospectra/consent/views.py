"""Cookie settings: the page that gives, changes or withdraws a choice, and the banner's target."""

from __future__ import annotations

from flask import Blueprint
from flask import abort
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for

from .. import state as app_state
from ..i18n import localized
from ..redirects import local_path
from . import decision
from . import proof
from . import withdrawal
from .forms import ConsentForm

bp = Blueprint("consent", __name__)
ACTIONS = ("accept_all", "refuse_all", "customise")


@bp.get("/consent")
def settings():
    """Show every cookie and each measurement tool with its current setting."""
    state = decision.current()
    # Built only when there is a choice to make: building it makes a CSRF token, hence the CSRF
    # cookie, which the policy says only pages with a form set.
    form = ConsentForm(next=local_path(request.args.get("next")) or "") if state.providers else None
    cookies = app_state.current().declaration["cookies"]
    return render_template(
        localized("consent/settings.html"), form=form, state=state, cookies=cookies
    )


@bp.post("/consent")
def choose():
    """Record the visitor's choice (proof kept server-side) and apply it at once."""
    state = decision.current()
    form = ConsentForm()
    action = request.form.get("action")
    if not state.providers:
        abort(404)  # nothing to choose: no measurement tool is configured
    if not form.validate_on_submit() or action not in ACTIONS:
        abort(400)
    if action == "customise":
        # One switch per purpose for the tools that need consent (CNIL: consent is given per
        # purpose), one per exempt tool (an objection); kept per provider in the cookie.
        switches = {
            p.key: f"allow-{p.key}" if p.exempt else f"allow-purpose-{p.purpose_key}"
            for p in state.providers
        }
        choices = {key: request.form.get(name) == "yes" for key, name in switches.items()}
    else:
        choices = {p.key: action == "accept_all" for p in state.providers}
    choice = decision.new_choice(choices, state.choice)
    proof.record(choice, action)
    response = redirect(local_path(form.next.data) or url_for("consent.settings"), code=303)
    decision.store_choice(response, choice)
    withdrawal.withdraw(response, state, choices)
    return response
