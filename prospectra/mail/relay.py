"""Sending one message through the user's own SMTP relay, and saying clearly why it failed.

The standard library's smtplib rather than a third-party client: the exchange is one short,
synchronous conversation per click, smtplib speaks STARTTLS, implicit TLS and AUTH, takes a
timeout that bounds every socket operation, and raises a distinct exception for each refusal
we report; a library would add a dependency without removing any of this code.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from dataclasses import dataclass
from dataclasses import field
from email.message import EmailMessage

from flask_babel import gettext as _

STARTTLS, TLS, NONE = "starttls", "tls", "none"
TLS_MODES = (STARTTLS, TLS, NONE)
# Plain SMTP (no TLS) would send the password and the message in clear: only to this machine.
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


class RelayError(Exception):
    """The relay did not take the message; the text is meant for the user (translated)."""


@dataclass(frozen=True)
class Relay:
    """Where and as whom to send; ``password`` in clear, only in memory for this request."""

    host: str
    port: int
    tls_mode: str
    username: str
    password: str = field(repr=False)  # never in a log line or a traceback's locals summary
    timeout: float
    allowed_ports: tuple[int, ...] = ()  # empty: any


def send(relay: Relay, message: EmailMessage) -> dict[str, tuple[int, bytes]]:
    """Send ``message`` through ``relay``; return the recipients it refused (the others got it).

    :raises RelayError: nothing was sent, with the reason.
    """
    if relay.allowed_ports and relay.port not in relay.allowed_ports:
        raise RelayError(
            _("This service accepts relays on these ports only: %(ports)s.",
              ports=", ".join(map(str, relay.allowed_ports)))
        )  # fmt: skip
    if relay.tls_mode == NONE and relay.host not in LOOPBACK_HOSTS:
        raise RelayError(_("Without TLS, only a relay on this machine (localhost) is accepted."))
    context = ssl.create_default_context()  # verifies the certificate and the host name
    try:
        if relay.tls_mode == TLS:
            smtp = smtplib.SMTP_SSL(relay.host, relay.port, timeout=relay.timeout, context=context)
        else:
            smtp = smtplib.SMTP(relay.host, relay.port, timeout=relay.timeout)
        with smtp:
            if relay.tls_mode == STARTTLS:
                smtp.ehlo()
                if not smtp.has_extn("starttls"):
                    raise RelayError(
                        _("The relay does not offer STARTTLS: choose another TLS mode.")
                    )
                smtp.starttls(context=context)
                smtp.ehlo()
            if relay.username:
                smtp.ehlo_or_helo_if_needed()
                if not smtp.has_extn("auth"):
                    raise RelayError(
                        _("The relay does not offer authentication: leave the user name empty.")
                    )
                smtp.login(relay.username, relay.password)
            return smtp.send_message(message)
    except RelayError:
        raise
    except smtplib.SMTPServerDisconnected as e:
        # smtplib reports a read that timed out as a disconnection; the timeout is its context.
        if isinstance(e.__context__, TimeoutError):
            raise RelayError(_timed_out(relay)) from None
        raise RelayError(_("The relay could not be used: %(reason)s.", reason=_reason(e))) from None
    except smtplib.SMTPAuthenticationError as e:
        raise RelayError(
            _("The relay refused the user name or password (%(reply)s).", reply=_reply(e))
        ) from None
    except smtplib.SMTPRecipientsRefused as e:
        refused = ", ".join(sorted(e.recipients))
        raise RelayError(
            _("The relay refused every recipient: %(refused)s.", refused=refused)
        ) from None
    except smtplib.SMTPSenderRefused as e:
        raise RelayError(
            _("The relay refused the sender address (%(reply)s).", reply=_reply(e))
        ) from None
    except smtplib.SMTPDataError as e:
        raise RelayError(_("The relay refused the message (%(reply)s).", reply=_reply(e))) from None
    except smtplib.SMTPNotSupportedError:
        raise RelayError(
            _("The relay does not accept international (non-ASCII) addresses.")
        ) from None  # fmt: skip
    except TimeoutError:
        raise RelayError(_timed_out(relay)) from None
    except ConnectionRefusedError:
        raise RelayError(
            _("The relay refused the connection (%(host)s, port %(port)s).",
              host=relay.host, port=relay.port)
        ) from None  # fmt: skip
    except socket.gaierror:
        raise RelayError(
            _("The relay's host name %(host)s was not found.", host=relay.host)
        ) from None
    except ssl.SSLError as e:
        raise RelayError(
            _("The secure connection (TLS) to the relay failed: %(reason)s.",
              reason=getattr(e, "verify_message", None) or e.reason or str(e))
        ) from None  # fmt: skip
    except (smtplib.SMTPException, OSError) as e:
        raise RelayError(_("The relay could not be used: %(reason)s.", reason=_reason(e))) from None


def _timed_out(relay: Relay) -> str:
    return _("The relay did not answer within %(seconds)s seconds.", seconds=f"{relay.timeout:g}")


def _reply(error: smtplib.SMTPResponseException) -> str:
    text = (
        error.smtp_error.decode("utf-8", "replace")
        if isinstance(error.smtp_error, bytes)
        else str(error.smtp_error)
    )
    return f"{error.smtp_code} {' '.join(text.split())}"[:300]


def _reason(error: Exception) -> str:
    return (" ".join(str(error).split()) or type(error).__name__)[:300]
