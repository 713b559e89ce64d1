"""The account page: the user's sessions, and the changes that ask for the password again."""

from __future__ import annotations

import datetime

from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import session
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import accounts
from .. import sessions
from ..auth.throttle import MESSAGE
from ..auth.throttle import TooManyAttempts
from ..auth.throttle import check_password
from ..i18n import localized
from ..sessions import index as session_index
from ..sessions.split import LOGIN_AT
from .forms import ALL_OTHERS
from .forms import ChangeEmailForm
from .forms import ChangePasswordForm
from .forms import DeleteAccountForm
from .forms import EndSessionsForm
from .views import bp


@bp.get("/account")
def account():
    """Show the account, its live sessions, and the forms to end them or change the account."""
    return _page()


@bp.post("/account/sessions/end")
def end_sessions():
    """End one of the user's other sessions, or all of them, once the password is confirmed."""
    rows = session_index.list_for(current_user.id, session.sid)
    form = _end_form(rows)
    if status := _refusal(form):
        return _page(rows, end=form), status
    if form.which.data == ALL_OTHERS:
        session_index.end_all(current_user.id, keep_sid=session.sid)
    else:
        session_index.end(current_user.id, int(form.which.data))
    return redirect(url_for("dashboard.account"), code=303)


@bp.post("/account/email")
def change_email():
    """Give the account a new e-mail address, once the password is confirmed.

    An address another account has is not given, and the answer is the same as for a free one:
    the form does not tell who has an account.
    """
    form = ChangeEmailForm(prefix="email")
    if status := _refusal(form):
        return _page(email=form), status
    try:
        accounts.change_email(current_user.row, form.email.data)
    except accounts.AccountError as e:
        form.email.errors.append(str(e))
        return _page(email=form)
    flash(
        _(
            "Unless another account uses it already, %(address)s is now the address of your "
            "account (shown above).",
            address=accounts.normalise_email(form.email.data),
        ),
        "email",
    )
    return redirect(url_for("dashboard.account"), code=303)


@bp.post("/account/password")
def change_password():
    """Set a new password, end every other session, and give this one a fresh id."""
    form = ChangePasswordForm(prefix="password")
    if status := _refusal(form):
        return _page(password=form), status
    accounts.change_password(current_user.row, form.new_password.data, keep_sid=session.sid)
    sessions.renew()
    return redirect(url_for("dashboard.account"), code=303)


@bp.post("/account/delete")
def delete_account():
    """Delete the account and every session of it, and log the user out."""
    form = DeleteAccountForm(prefix="delete")
    if status := _refusal(form):
        return _page(delete=form), status
    accounts.delete_user(current_user.email)
    sessions.end()
    return redirect(url_for("auth.logged_out"), code=303)


def _refusal(form) -> int | None:
    """Validate the form and check the current password it carries (re-authentication).

    None when both pass; else the status of the page that shows the form again with its error:
    200, or 429 past a limit of wrong passwords (the same counters as the login's).
    """
    if not form.validate_on_submit():
        return 200
    try:
        if check_password(current_user.row, form.password.data):
            return None
    except TooManyAttempts:
        form.password.errors.append(MESSAGE)
        return 429
    form.password.errors.append(_("The password is not right."))
    return 200


def _end_form(rows) -> EndSessionsForm:
    form = EndSessionsForm(prefix="end")
    form.which.choices = _end_choices(rows)
    return form


def _end_choices(rows) -> list[tuple[str, str]]:
    """What "end sessions" offers: all the others, or one of them."""
    others = [row for row in rows if not session_index.is_current(row, session.sid)]
    return [(ALL_OTHERS, _("All other sessions"))] + [
        (str(row.id), f"{row.device}, {row.created_at:%Y-%m-%d %H:%M} UTC") for row in others
    ]


class _Forms(dict):
    """The page's forms by name; a blank one is made only if the template renders it (a form
    without errors usually comes from the fragment cache, see dashboard/_account_forms.html)."""

    _BLANK = {
        "end": EndSessionsForm,  # its password field only: the choices are written by the template
        "email": ChangeEmailForm,
        "password": ChangePasswordForm,
        "delete": DeleteAccountForm,
    }

    def __missing__(self, name: str):
        form = self[name] = self._BLANK[name](prefix=name, formdata=None)
        return form


def _page(rows=None, **submitted):
    """Render the account page; a form that failed comes back with its errors."""
    config = current_app.config
    rows = session_index.list_for(current_user.id, session.sid) if rows is None else rows
    forms = _Forms(submitted)
    login_at = datetime.datetime.fromtimestamp(session[LOGIN_AT], datetime.UTC)
    return render_template(
        localized("dashboard/account.html"),
        user=current_user,
        login_at=login_at,
        ends_at=login_at + config["SESSION_ABSOLUTE_LIFETIME"],
        idle_minutes=int(config["PERMANENT_SESSION_LIFETIME"].total_seconds() // 60),
        login_sessions=[(row, session_index.is_current(row, session.sid)) for row in rows],
        forms=forms,
        end_choices=_end_choices(rows),
        failed=set(submitted),  # forms shown again with their errors: not from the fragment cache
        min_password=accounts.MIN_PASSWORD,
        max_password=accounts.MAX_PASSWORD,
    )
