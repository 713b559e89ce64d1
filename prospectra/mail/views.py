"""Mail pages: the relay settings, the drafts, and compose. Loading any of them contacts no one;
only the POSTs of "Send", "Send a test message" and "Generate" reach the relay or the assistant."""

from __future__ import annotations

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_login import login_required
from limits import RateLimitItemPerSecond
from limits import parse_many

from .. import state
from ..assist import client as assist
from . import relay
from . import store
from .forms import MAX_BODY
from .forms import ComposeForm
from .forms import DeleteDraftForm
from .forms import RelayForm
from .forms import TestRelayForm
from .forms import address
from .forms import split_recipients

bp = Blueprint("mail", __name__, url_prefix="/mail")


@bp.before_request
@login_required
def _require_login() -> None:
    """Send anonymous visitors of any mail page to the login form."""


@bp.app_context_processor
def _assist_flag() -> dict:
    return {"assist_enabled": assist.enabled()}


@bp.get("/")
def index():
    """List the user's drafts, and say whether a relay is set up."""
    return render_template(
        "mail/index.html",
        drafts=store.drafts_of(current_user.id),
        max_drafts=current_app.config["PROSPECTRA"]["mail"]["max_drafts"],
        relay=store.relay_of(current_user.id),
        delete_form=DeleteDraftForm(),
    )


@bp.get("/relay")
def relay_settings():
    """Show the relay settings; the saved password is never sent back, only whether there is one."""
    return _relay_page()


@bp.post("/relay")
def save_relay():
    """Save the relay settings; an empty password field keeps the saved password for the same
    host, port, security and user name, and a change of any of these drops it."""
    form = RelayForm(prefix="relay")
    if not form.validate_on_submit():
        return _relay_page(form)
    if store.save_relay(current_user.id, form):
        flash(_password_dropped(), "success")
    else:
        flash(_("The relay settings are saved."), "success")
    return redirect(url_for("mail.relay_settings"), code=303)


@bp.post("/relay/test")
def test_relay():
    """Send a short message to the sender address through the saved relay, and say how it went."""
    form = TestRelayForm(prefix="test")
    row = store.relay_of(current_user.id)
    if not form.validate_on_submit() or row is None:
        return _relay_page(
            test_form=form, error=None if row else _("Save the relay settings first.")
        )
    connection = store.connection(row)
    if connection is None:
        return _relay_page(test_form=form, error=store.unusable(row))
    if not _within_limit("sends"):
        return _relay_page(
            test_form=form,
            error=_("Too many attempts in a short time: wait a little, then try again."),
        )
    message = store.build_message(
        row.sender,
        [row.sender],
        _("Prospectra: test message"),
        _("This message was sent by Prospectra to check your relay settings."),
    )
    try:
        _send_alone(connection, message)
    except relay.RelayError as e:
        return _relay_page(test_form=form, error=str(e))
    flash(_("A test message was sent to %(address)s.", address=row.sender), "success")
    return redirect(url_for("mail.relay_settings"), code=303)


@bp.get("/compose")
def compose():
    """A blank message."""
    return _compose_page(ComposeForm(formdata=None), None)


# No id beyond 32 bits exists; bounding the converter spares SQLite an OverflowError (a 500).
@bp.get("/drafts/<int(max=2147483647):draft_id>")
def draft(draft_id: int):
    """A saved draft, to go on writing it."""
    found = _own_draft(draft_id)
    return _compose_page(ComposeForm(formdata=None, obj=found), found)


@bp.post("/compose")
def create_draft():
    """Save a new draft, then send it or have the assistant write it, as the button asked."""
    return _act(None)


@bp.post("/drafts/<int(max=2147483647):draft_id>")
def update_draft(draft_id: int):
    """Save the draft, then send it or have the assistant write it, as the button asked."""
    return _act(_own_draft(draft_id))


@bp.post("/drafts/<int(max=2147483647):draft_id>/delete")
def delete_draft(draft_id: int):
    """Delete a draft."""
    found = _own_draft(draft_id)
    if DeleteDraftForm().validate_on_submit():
        store.delete_draft(found)
        flash(_("The draft is deleted."), "success")
    return redirect(url_for("mail.index"), code=303)


def _act(found):
    form = ComposeForm()
    if not form.validate_on_submit():
        return _compose_page(form, found)
    if found is None and not store.may_add_draft(current_user.id):
        return _compose_page(form, None, error=_drafts_full())
    # The draft is saved before anything is attempted: a failure never loses the text.
    found = store.save_draft(current_user.id, found, form)
    if form.send.data:
        return _send(form, found)
    if form.generate.data and assist.enabled():
        return _generate(form, found)
    flash(_("The draft is saved."), "success")
    return redirect(url_for("mail.draft", draft_id=found.id), code=303)


def _within_limit(kind: str) -> bool:
    """Count one more send or generation for this user; False past ``[limits] <kind>_per_user``."""
    limits = parse_many(current_app.config["PROSPECTRA"]["limits"][f"{kind}_per_user"])
    counters = state.current().counters
    return all(counters.hit(limit, kind, str(current_user.id)) for limit in limits)


def _send_alone(connection, message):
    """``relay.send``, unless another message of this user is being sent."""
    busy = _("A message is already being sent: try again in a moment.")
    return _alone("sending", relay.RelayError(busy), relay.send, connection, message)


def _generate_alone(prompt: str) -> str:
    """``assist.generate``, unless the assistant is already writing for this user."""
    busy = _("The assistant is already writing for you: try again in a moment.")
    return _alone("generating", assist.AssistError(busy), assist.generate, prompt)


def _alone(kind: str, busy: Exception, call, *args):
    """Make ``call`` unless this user already has one of this ``kind`` under way (by any worker,
    when the counters' storage is shared): with slow relays or a slow assistant, one user could
    otherwise hold every worker.

    The slot is a counter (:mod:`prospectra.counters`), cleared when the call ends; it expires by
    itself after gunicorn's worker timeout, the longest a killed worker could have held it.
    """
    seconds = current_app.config["PROSPECTRA"]["server"]["worker_timeout_seconds"]
    slot, who = RateLimitItemPerSecond(1, seconds), str(current_user.id)
    counters = state.current().counters
    if not counters.hit(slot, kind, who):
        raise busy
    try:
        return call(*args)
    finally:
        counters.clear(slot, kind, who)


def _drafts_full() -> str:
    return _(
        "You keep %(limit)s drafts, the most an account may keep: delete one to save, send or complete a new message. What you wrote is still below.",
        limit=current_app.config["PROSPECTRA"]["mail"]["max_drafts"],
    )


def _too_many() -> str:
    return _(
        "Too many attempts in a short time: wait a little, then try again. Your draft is saved."
    )


def _send(form, found):
    recipients = _recipients(form)
    row = store.relay_of(current_user.id)
    if recipients is None:
        return _compose_page(form, found)
    if row is None:
        return _compose_page(form, found, error=_("Set up your relay before sending."))
    connection = store.connection(row)
    if connection is None:
        return _compose_page(form, found, error=store.unusable(row))
    if not _within_limit("sends"):
        return _compose_page(form, found, error=_too_many())
    message = store.build_message(row.sender, recipients, form.subject.data, form.body.data)
    try:
        refused = _send_alone(connection, message)
    except relay.RelayError as e:
        return _compose_page(form, found, error=str(e))
    store.delete_draft(found)
    flash(
        _("The message was sent to %(count)s recipient(s).", count=len(recipients) - len(refused)),
        "success",
    )
    if refused:
        flash(_("The relay refused: %(refused)s.", refused=", ".join(sorted(refused))), "error")
    return redirect(url_for("mail.index"), code=303)


def _recipients(form) -> list[str] | None:
    """The validated recipients, or None with the reason added to the field's errors."""
    items = split_recipients(form.recipients.data)
    limit = current_app.config["PROSPECTRA"]["mail"]["max_recipients"]
    if not items:
        form.recipients.errors.append(_("Give at least one recipient."))
        return None
    if len(items) > limit:
        form.recipients.errors.append(_("At most %(limit)s recipients per message.", limit=limit))
        return None
    addresses = []
    for item in items:
        try:
            addresses.append(address(item))
        except ValueError as e:
            form.recipients.errors.append(f"{item[:100]}: {e}")
    return addresses if not form.recipients.errors else None


def _generate(form, found):
    if not (form.prompt.data or "").strip():
        form.prompt.errors.append(_("Tell the assistant what to write."))
        return _compose_page(form, found)
    if not _within_limit("generations"):
        return _compose_page(form, found, error=_too_many())
    try:
        text = _generate_alone(form.prompt.data)
    except assist.AssistError as e:
        return _compose_page(form, found, error=str(e))
    store.set_body(found, text[:MAX_BODY])
    flash(_("The assistant wrote the message below; read it before sending."), "success")
    return redirect(url_for("mail.draft", draft_id=found.id), code=303)


def _own_draft(draft_id: int):
    found = store.draft_of(current_user.id, draft_id)
    if found is None:
        abort(404)
    return found


def _password_dropped() -> str:
    return _(
        "The relay settings are saved. The saved password was removed because the host, port, security or user name changed: type it again."
    )


def _relay_page(form=None, test_form=None, error=None):
    row = store.relay_of(current_user.id)
    if form is None:
        form = RelayForm(prefix="relay", formdata=None, obj=row)
        form.password.data = ""
    return render_template(
        "mail/relay.html",
        form=form,
        test_form=test_form or TestRelayForm(prefix="test", formdata=None),
        relay=row,
        password_saved=bool(row and row.password_sealed),
        error=error,
    )


def _compose_page(form, found, error=None):
    return render_template(
        "mail/compose.html",
        form=form,
        draft=found,
        relay=store.relay_of(current_user.id),
        error=error,
    )
