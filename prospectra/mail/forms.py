"""The relay settings form and the compose form. Every field is bounded; none takes a line break
where a mail header will be built from it (header injection)."""

from __future__ import annotations

import re

from email_validator import EmailNotValidError
from email_validator import validate_email
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms import IntegerField
from wtforms import PasswordField
from wtforms import SelectField
from wtforms import StringField
from wtforms import SubmitField
from wtforms import TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired
from wtforms.validators import Length
from wtforms.validators import NumberRange
from wtforms.validators import Optional
from wtforms.validators import ValidationError

from . import network
from .relay import NONE
from .relay import STARTTLS
from .relay import TLS
from .relay import plain_text_allowed

MAX_SUBJECT = 200
MAX_BODY = 50_000  # characters; the request itself is bounded by [security] max_request_kb
MAX_PROMPT = 4_000
MAX_RECIPIENTS_FIELD = 4_000
# Control characters: CR/LF would split a header; NUL cannot be stored by PostgreSQL.
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# An RFC 2047 encoded word (=?charset?q?text?=), as Python's e-mail parser finds one: it decodes it
# in a header value, and before Python 3.11.10/3.12.5 (CVE-2024-6923) wrote a decoded CR/LF out as
# a line break, i.e. a new header or the start of the body. A person types the characters instead.
ENCODED_WORD = re.compile(r"=\?[^?]*\?[bq]\?[^?]*\?=", re.IGNORECASE)


def _no_encoded_word(form, field) -> None:
    if field.data and ENCODED_WORD.search(field.data):
        raise ValidationError(_l(
            "Encoded text such as =?utf-8?q?...?= is not accepted here: type the characters themselves."
        ))  # fmt: skip


def _ascii(form, field) -> None:
    """smtplib sends the user name and password at login (AUTH) as ASCII only."""
    if field.data and not field.data.isascii():
        raise ValidationError(
            _l("Only unaccented letters, digits and common symbols (ASCII) can be sent at login.")
        )


def _single_line(form, field) -> None:
    if field.data and CONTROL.search(field.data):
        raise ValidationError(_l("Line breaks and control characters are not accepted here."))


def _host(form, field) -> None:
    """A host name (RFC 1123 labels) or an IP address in its usual spelling: nothing else reaches
    the resolver. An address, or localhost, is checked as sending checks it; other names are
    resolved and checked only when sending (saving asks no name server)."""
    host = (field.data or "").strip()
    problem = network.host_problem(host)
    if problem == network.ADDRESS_AS_NAME:
        raise ValidationError(
            _l("Write an IP address in its usual form (e.g. 192.0.2.1), or a host name.")
        )
    if problem:
        raise ValidationError(_l("Not a host name or IP address."))
    known = network.known_addresses(host, form.port.data or 0)
    allowed = network.parse_networks(
        current_app.config["PROSPECTRA"]["mail"]["allowed_relay_networks"]
    )
    try:
        if known:
            network.checked(known, allowed)
    except network.Refused:
        raise ValidationError(
            _l("This service does not connect to relays on private, local or reserved networks.")
        ) from None


def _text(form, field) -> None:
    if field.data and CONTROL_BUT_LINES.search(field.data):
        raise ValidationError(_l("Control characters are not accepted here."))


def address(value: str) -> str:
    """Return the normalised address, or raise ValueError with the reason."""
    if CONTROL.search(value):
        raise ValueError(_("Line breaks and control characters are not accepted here."))
    if ENCODED_WORD.search(value):
        raise ValueError(_(
            "Encoded text such as =?utf-8?q?...?= is not accepted here: type the characters themselves."
        ))  # fmt: skip
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized
    except EmailNotValidError as e:
        raise ValueError(_("Not a valid e-mail address: %(reason)s", reason=e)) from None


def split_recipients(value: str) -> list[str]:
    """The addresses of a comma- or semicolon-separated list, empty items left out."""
    return [item.strip() for item in re.split(r"[,;]", value or "") if item.strip()]


class RelayForm(FlaskForm):
    """The user's SMTP relay. An empty password keeps the saved one, unless where it goes changed."""

    host = StringField(
        _l("Relay host name"),
        validators=[
            DataRequired(),
            Length(max=253),
            _single_line,
            _host,
        ],
    )
    port = IntegerField(_l("Port"), default=587, validators=[DataRequired(), NumberRange(1, 65535)])
    tls_mode = SelectField(
        _l("Security"),
        choices=[
            SelectChoice(STARTTLS, _l("STARTTLS (usually port 587)")),
            SelectChoice(TLS, _l("TLS from the start (usually port 465)")),
            SelectChoice(NONE, _l("None: only for a relay on this machine (localhost)")),
        ],
        default=STARTTLS,
    )
    username = StringField(
        _l("User name"), validators=[Optional(), Length(max=254), _single_line, _ascii]
    )
    password = PasswordField(
        _l("Password"), validators=[Optional(), Length(max=256), _single_line, _ascii]
    )
    forget_password = BooleanField(_l("Forget the saved password"))
    sender = StringField(
        _l("Sender address (From)"), validators=[DataRequired(), Length(max=254), _single_line]
    )
    save = SubmitField(_l("Save the relay settings"))

    def validate_tls_mode(self, field) -> None:
        if field.data == NONE and not plain_text_allowed(self.host.data or ""):
            raise ValidationError(
                _l("Without TLS, only a relay on this machine (localhost, 127.0.0.1, ::1).")
            )

    def validate_port(self, field) -> None:
        allowed = current_app.config["PROSPECTRA"]["mail"]["allowed_ports"]
        if allowed and field.data not in allowed:
            raise ValidationError(
                _("This service accepts relays on these ports only: %(ports)s.",
                  ports=", ".join(map(str, allowed)))
            )  # fmt: skip

    def validate_sender(self, field) -> None:
        try:
            field.data = address(field.data)
        except ValueError as e:
            raise ValidationError(str(e)) from None


class TestRelayForm(FlaskForm):
    """Send a short message to the sender address through the saved relay."""

    send_test = SubmitField(_l("Send a test message"))


class ComposeForm(FlaskForm):
    """A message: saved as a draft by every button, then sent or completed by the assistant."""

    recipients = StringField(
        _l("To"),
        description=_l("Addresses separated by commas."),
        validators=[Length(max=MAX_RECIPIENTS_FIELD), _single_line, _no_encoded_word],
    )
    subject = StringField(
        _l("Subject"), validators=[Length(max=MAX_SUBJECT), _single_line, _no_encoded_word]
    )
    body = TextAreaField(
        _l("Message"), validators=[Length(max=MAX_BODY), _text], render_kw={"rows": 14}
    )
    prompt = TextAreaField(
        _l("Instructions for the assistant"),
        description=_l("Only these instructions are sent to the assistant's provider."),
        validators=[Length(max=MAX_PROMPT), _text],
        render_kw={"rows": 4},
    )
    save = SubmitField(_l("Save the draft"))
    send = SubmitField(_l("Send"))
    generate = SubmitField(_l("Generate"))


class DeleteDraftForm(FlaskForm):
    delete = SubmitField(_l("Delete the draft"))
