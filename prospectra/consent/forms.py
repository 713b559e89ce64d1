"""The consent form: one form for the banner and the Cookie settings page."""

from flask_wtf import FlaskForm
from wtforms import HiddenField


class ConsentForm(FlaskForm):
    """Carries the CSRF token and where to go back to; the choices are read per provider."""

    next = HiddenField()
