"""Sending one message through the user's own SMTP relay, and saying clearly why it failed.

The standard library's smtplib rather than a third-party client: the exchange is one short,
synchronous conversation per click, smtplib speaks STARTTLS, implicit TLS and AUTH, and raises a
distinct exception for each refusal we report; a library would add a dependency without removing
any of this code.

Two things smtplib does not do are done here by hand. It resolves the host name itself when it
connects (and ``SMTP_SSL`` again for its TLS socket), so the address checked by
:mod:`.network` could differ from the one reached (DNS rebinding): the socket is connected here to
a checked address and handed to smtplib, which keeps the name for the TLS certificate check. And
its timeout bounds each socket operation, not the conversation: a relay sending a byte every few
seconds would hold the worker until gunicorn kills it, so one deadline covers it all
(:class:`_Deadline`). Every message shown to the user is one of ours: a server's own words (a
greeting, a reply text) never reach the page, or the relay settings would read any service's
banner for whoever asks.
"""

from __future__ import annotations

import ipaddress
import smtplib
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from email.message import EmailMessage
from typing import TypeVar

from flask import current_app
from flask_babel import gettext as _

from . import network

STARTTLS, TLS, NONE = "starttls", "tls", "none"
TLS_MODES = (STARTTLS, TLS, NONE)
T = TypeVar("T")


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
    timeout: float  # seconds for the whole conversation: resolution, connection, TLS, commands
    allowed_ports: tuple[int, ...] = ()  # empty: any


def plain_text_allowed(host: str) -> bool:
    """Whether security "none" may be used with ``host``: only a name of this machine.

    Plain SMTP sends the password and the message in clear. Decided here for both the relay
    form and sending, so that what is saved is what is sent (``LOCALHOST`` included; not
    ``localhost.``, which the resolver may send to DNS); sending also checks that the name
    resolves to loopback addresses only.
    """
    name = host.strip().lower()
    if name == "localhost":
        return True
    try:
        return _loopback(ipaddress.ip_address(name))
    except ValueError:
        return False


def _loopback(address: network.Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def send(relay: Relay, message: EmailMessage) -> dict[str, tuple[int, bytes]]:
    """Send ``message`` through ``relay``; return the recipients it refused (the others got it).

    The host is resolved once; every address must be public or in ``[mail]
    allowed_relay_networks``, and the connection goes to one of them. The whole conversation
    ends at ``relay.timeout`` seconds.

    :raises RelayError: nothing was sent, with the reason.
    """
    if relay.allowed_ports and relay.port not in relay.allowed_ports:
        raise RelayError(
            _("This service accepts relays on these ports only: %(ports)s.",
              ports=", ".join(map(str, relay.allowed_ports)))
        )  # fmt: skip
    if relay.tls_mode == NONE and not plain_text_allowed(relay.host):
        raise RelayError(_plain_text_refused())
    settings = current_app.config["PROSPECTRA"]
    allowed = network.parse_networks(settings["mail"]["allowed_relay_networks"])
    deadline = _Deadline(relay.timeout)
    try:
        try:
            found = deadline.run(network.resolve, relay.host, relay.port)
        except TimeoutError:
            raise RelayError(_timed_out(relay)) from None
        except (OSError, UnicodeError, ValueError):
            raise RelayError(
                _("The relay's host name %(host)s was not found.", host=relay.host)
            ) from None
        try:
            addresses = network.checked(found, allowed)
        except network.Refused:
            raise RelayError(_address_refused()) from None
        if relay.tls_mode == NONE and not all(map(_loopback, addresses)):
            raise RelayError(_plain_text_refused())
        return _converse(relay, message, addresses, deadline, settings["service"]["domain"])
    finally:
        deadline.close()


def _converse(
    relay: Relay,
    message: EmailMessage,
    addresses: list[network.Address],
    deadline: _Deadline,
    helo_name: str,
) -> dict[str, tuple[int, bytes]]:
    context = ssl.create_default_context()  # verifies the certificate and the host name
    sock = smtp = None
    try:
        sock = network.connect(addresses, relay.port, deadline.remaining)
        deadline.watch(sock)
        if relay.tls_mode == TLS:
            sock = context.wrap_socket(sock, server_hostname=relay.host)
        smtp = _Smtp(relay.host, sock, helo_name)
        code, _greeting = smtp.connect(relay.host, relay.port)
        if code != 220:
            raise smtplib.SMTPConnectError(code, b"")  # the greeting itself is not kept
        if relay.tls_mode == STARTTLS:
            smtp.ehlo()
            if not smtp.has_extn("starttls"):
                raise RelayError(_("The relay does not offer STARTTLS: choose another TLS mode."))
            smtp.starttls(context=context)
            smtp.ehlo()
        if relay.username:
            smtp.ehlo_or_helo_if_needed()
            if not smtp.has_extn("auth"):
                raise RelayError(
                    _("The relay does not offer authentication: leave the user name empty.")
                )
            smtp.login(relay.username, relay.password)
        refused = smtp.send_message(message)
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            pass  # the message is sent: a relay that fumbles "goodbye" changes nothing
        return refused
    except RelayError:
        raise
    except (smtplib.SMTPException, OSError) as e:
        # smtplib reports a read that timed out as a disconnection: the timeout is its context.
        timed_out = isinstance(e, TimeoutError) or isinstance(e.__context__, TimeoutError)
        if deadline.expired or timed_out:
            raise RelayError(_timed_out(relay)) from None
        raise RelayError(_explained(e, relay)) from None
    finally:
        if smtp is not None:
            smtp.close()
        elif sock is not None:
            sock.close()


class _Smtp(smtplib.SMTP):
    """smtplib's client on a socket connected beforehand, to an address checked beforehand.

    ``_get_socket`` is the hook smtplib's own ``SMTP_SSL`` overrides; ``_host`` is the name
    ``starttls()`` checks the certificate against (smtplib sets it only when it connects itself).
    """

    def __init__(self, host: str, sock: socket.socket, helo_name: str) -> None:
        self._connected = sock
        # local_hostname given: smtplib would otherwise look up this machine's name, a DNS query
        # outside the deadline.
        super().__init__(local_hostname=helo_name)
        self._host = host

    def _get_socket(self, host, port, timeout):
        return self._connected


class _Deadline:
    """The end of the whole conversation with the relay, from name resolution to the last reply.

    At the deadline a timer thread shuts the connection down, which wakes whatever read, write
    or TLS handshake is waiting: smtplib's per-operation timeout is passed by a relay that sends
    a byte every few seconds, and its reads cannot be given a deadline of their own. The shutdown
    goes through a duplicate of the TCP socket's descriptor: a shutdown acts on the connection,
    so it reaches it through whatever TLS layer ssl and smtplib later put on top.
    """

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds
        self.expired = False
        self._lock = threading.Lock()
        self._watched: socket.socket | None = None
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def remaining(self) -> float:
        """Seconds left; TimeoutError when none are."""
        left = self.end - time.monotonic()
        if left <= 0:
            self.expired = True
            raise TimeoutError("the relay's deadline passed")
        return left

    def run(self, function: Callable[..., T], *args) -> T:
        """``function(*args)`` in a thread, given up at the deadline (the resolver has no timeout:
        a slow name server would otherwise hold the worker; the thread ends when the lookup does).
        """
        outcome: dict[str, object] = {}

        def target() -> None:
            try:
                outcome["value"] = function(*args)
            except BaseException as e:  # handed over to the caller below
                outcome["error"] = e

        thread = threading.Thread(target=target, daemon=True)
        thread.start()
        thread.join(self.remaining())
        if thread.is_alive():
            self.expired = True
            raise TimeoutError("the relay's name was not resolved in time")
        if "error" in outcome:
            raise outcome["error"]  # type: ignore[misc]
        return outcome["value"]  # type: ignore[return-value]

    def watch(self, sock: socket.socket) -> None:
        """Shut ``sock``'s connection down at the deadline (at once if it has passed)."""
        with self._lock:
            self._watched = sock.dup()
            if self.expired:
                self._shutdown()

    def close(self) -> None:
        self._timer.cancel()
        with self._lock:
            if self._watched is not None:
                self._watched.close()
                self._watched = None

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            if self._watched is not None:
                self._shutdown()

    def _shutdown(self) -> None:
        try:
            self._watched.shutdown(socket.SHUT_RDWR)  # type: ignore[union-attr]
        except OSError:
            pass  # already closed by the other side


def _explained(error: Exception, relay: Relay) -> str:
    """What went wrong, in our words: the server's reply text never reaches the page."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        # The addresses are the user's own input, not the server's words.
        refused = ", ".join(sorted(error.recipients))
        return _("The relay refused every recipient: %(refused)s.", refused=refused)
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return _("The relay does not accept international (non-ASCII) addresses.")
    if isinstance(error, smtplib.SMTPResponseException):
        code = error.smtp_code
        if not 200 <= code <= 599 or isinstance(error, smtplib.SMTPHeloError):
            return _not_smtp(relay)
        if isinstance(error, smtplib.SMTPAuthenticationError):
            return _("The relay refused the user name or password (%(code)s).", code=code)
        if isinstance(error, smtplib.SMTPSenderRefused):
            return _("The relay refused the sender address (%(code)s).", code=code)
        if isinstance(error, smtplib.SMTPDataError):
            return _("The relay refused the message (%(code)s).", code=code)
        if isinstance(error, smtplib.SMTPConnectError):
            return _("The relay did not accept the connection (%(code)s).", code=code)
        return _("The relay answered with an error (%(code)s).", code=code)
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return _("The relay closed the connection before the message was sent.")
    if isinstance(error, smtplib.SMTPException):
        return _not_smtp(relay)
    if isinstance(error, ssl.SSLCertVerificationError) and error.verify_message:
        # OpenSSL's verdict on the certificate (e.g. "unable to get local issuer certificate").
        return _("The secure connection (TLS) to the relay failed: %(reason)s.",
                 reason=error.verify_message)  # fmt: skip
    if isinstance(error, ssl.SSLError):
        return _("The secure connection (TLS) to the relay failed.")
    if isinstance(error, ConnectionRefusedError):
        return _("The relay refused the connection (%(host)s, port %(port)s).",
                 host=relay.host, port=relay.port)  # fmt: skip
    return _("The relay could not be reached (%(host)s, port %(port)s).",
             host=relay.host, port=relay.port)  # fmt: skip


def _not_smtp(relay: Relay) -> str:
    return _("The server at %(host)s, port %(port)s, did not answer as an SMTP relay.",
             host=relay.host, port=relay.port)  # fmt: skip


def _address_refused() -> str:
    return _(
        "This service does not connect to relays on private, local or reserved networks: give your relay's public host name."
    )


def _plain_text_refused() -> str:
    return _("Without TLS, only a relay on this machine (localhost) is accepted.")


def _timed_out(relay: Relay) -> str:
    seconds = f"{relay.timeout:g}"  # outside _(): the extractor reports an f-string argument
    return _("The relay did not answer within %(seconds)s seconds.", seconds=seconds)
