"""The account page's forms. Each asks for the current password (ASVS 3.7.1) and has a prefix,
so that several forms on one page keep distinct field ids."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField
from wtforms import PasswordField
from wtforms import RadioField
from wtforms.validators import DataRequired
from wtforms.validators import EqualTo
from wtforms.validators import Length

from ..accounts import MAX_PASSWORD
from ..accounts import MIN_PASSWORD

ALL_OTHERS = "others"


def _current_password():
    return PasswordField(
        _l("Current password"), validators=[DataRequired(), Length(max=MAX_PASSWORD)]
    )


class EndSessionsForm(FlaskForm):
    """End one listed session, or all but this one; the choices are set by the view."""

    which = RadioField(_l("Session to end"), validators=[DataRequired()])
    password = _current_password()


class ChangeEmailForm(FlaskForm):
    email = EmailField(_l("New e-mail address"), validators=[DataRequired(), Length(max=254)])
    password = _current_password()


class ChangePasswordForm(FlaskForm):
    password = _current_password()
    new_password = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(MIN_PASSWORD, MAX_PASSWORD)]
    )
    confirm = PasswordField(
        _l("New password, again"),
        validators=[DataRequired(), EqualTo("new_password", _l("The two passwords differ."))],
    )


class DeleteAccountForm(FlaskForm):
    password = _current_password()
