"""Real protocol peers for the mail and assistant features, on loopback ports.

- :class:`SmtpRelay`: an aiosmtpd server that keeps every message and counts connections, with
  optional AUTH (one user name and password), STARTTLS or implicit TLS.
- :class:`FakeProvider`: an OpenAI-compatible ``/chat/completions`` endpoint (stdlib http.server)
  whose answer a test chooses: a text, a delay, an HTTP error or a malformed body.
- :func:`make_certificates`: a private CA and a certificate for localhost/127.0.0.1, for TLS.
- :class:`HttpPeer`: the thread and free port behind the HTTP fakes (here and in tests/browser/).
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import ssl
import threading
import time
from email import message_from_bytes
from email import policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from aiosmtpd.smtp import LoginPassword

from tests.faults import free_port

RELAY_USER, RELAY_PASSWORD = "ada", "relay secret 42"


class _Recorder:
    def __init__(self) -> None:
        self.envelopes: list = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd hook)
        self.envelopes.append(envelope)
        return "250 Message accepted"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:  # noqa: N802
        if address.startswith("refused@"):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def _authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (
        auth_data.login == RELAY_USER.encode() and auth_data.password == RELAY_PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)  # False: aiosmtpd answers 535


class SmtpRelay:
    """aiosmtpd on 127.0.0.1: ``messages`` it accepted, ``connections`` it was opened."""

    def __init__(
        self, *, auth: bool = False, starttls: ssl.SSLContext | None = None,
        implicit_tls: ssl.SSLContext | None = None,
    ) -> None:  # fmt: skip
        self.recorder = _Recorder()
        self.port = free_port()
        kwargs: dict = {}
        if auth:
            kwargs |= {"authenticator": _authenticator, "auth_require_tls": False}
        if starttls:
            kwargs |= {"tls_context": starttls, "require_starttls": True}
        relay = self

        class Counting(Controller):
            def factory(self):
                relay.connections += 1
                return super().factory()

        self.connections = 0
        self.controller = Counting(
            self.recorder, hostname="127.0.0.1", port=self.port, ssl_context=implicit_tls, **kwargs
        )

    @property
    def messages(self) -> list[EmailMessage]:
        return [
            message_from_bytes(e.original_content.replace(b"\r\n", b"\n"), policy=policy.default)
            for e in self.recorder.envelopes
        ]

    @property
    def envelopes(self) -> list:
        return self.recorder.envelopes

    def __enter__(self) -> SmtpRelay:
        self.controller.start()
        self.connections = 0  # the controller's own start-up probe is not a client
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()


class HttpPeer:
    """An http.server on a free 127.0.0.1 port, served by a thread for a ``with`` block."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


class FakeProvider(HttpPeer):
    """An OpenAI-compatible chat-completions endpoint; ``requests`` holds what it received.

    Set ``answer`` to ``("text", str)``, ``("status", int)``, ``("raw", bytes)``,
    ``("slow", seconds)`` (nothing, then an empty reply), ``("drip", seconds)`` (a reply one
    byte every 0.2 s for that long: every read is quick, the whole is not) or
    ``("drip-headers", seconds)`` (the same with the headers).
    """

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.answer: tuple = ("text", "Hello from the assistant.")
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                provider.requests.append(
                    {"path": self.path, "authorization": self.headers.get("Authorization"),
                     "json": json.loads(raw or b"null")}
                )  # fmt: skip
                kind, value = provider.answer
                status, body = 200, b""
                if kind == "text":
                    body = json.dumps(
                        {
                            "choices": [
                                {"index": 0, "message": {"role": "assistant", "content": value}}
                            ]
                        }
                    ).encode()
                elif kind == "status":
                    status, body = value, b'{"error": {"message": "rate limited"}}'
                elif kind == "raw":
                    body = value
                elif kind == "slow":
                    time.sleep(value)
                    body = b"{}"
                if kind == "drip":
                    return self._drip(value)
                if kind == "drip-headers":
                    return self._drip_headers(value)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the client gave up (timeout test)

            def _drip(self, seconds: float) -> None:
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", "100000")
                    self.end_headers()
                    deadline = time.monotonic() + seconds
                    while time.monotonic() < deadline:
                        self.wfile.write(b" ")
                        self.wfile.flush()
                        time.sleep(0.2)
                except OSError:
                    pass  # the client gave up

            def _drip_headers(self, seconds: float) -> None:
                # The status line, then header bytes one at a time: every read is quick.
                try:
                    self.wfile.write(b"HTTP/1.1 200 OK\r\n")
                    deadline = time.monotonic() + seconds
                    while time.monotonic() < deadline:
                        self.wfile.write(b"X")
                        self.wfile.flush()
                        time.sleep(0.2)
                except OSError:
                    pass  # the client gave up

            def log_message(self, *args) -> None:
                pass

        super().__init__(Handler)
        self.base_url = f"http://127.0.0.1:{self.port}/v1"


def make_certificates(folder: Path) -> tuple[Path, ssl.SSLContext]:
    """A CA (its PEM path is returned) and a server context for localhost and 127.0.0.1."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Prospectra test CA")])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(
            [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    pem = serialization.Encoding.PEM
    ca_path, cert_path, key_path = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    ca_path.write_bytes(ca.public_bytes(pem))
    cert_path.write_bytes(leaf.public_bytes(pem))
    key_path.write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    return ca_path, context
