"""The relay settings cannot turn the server against its own network (SSRF, port scans, banners).

The relay's host is resolved once per message (a fake resolver stands in for DNS), every address
it has must be public or in ``[mail] allowed_relay_networks``, the connection goes to that checked
address, and the page shows the app's own words, never what the server at the other end said.
"""

from __future__ import annotations

import html
import socket

import pytest
from sqlalchemy import select
from sqlalchemy import update

from prospectra.config import ConfigError
from prospectra.config import load_settings
from prospectra.extensions import db
from prospectra.mail import network
from prospectra.models import MailRelay
from tests.helpers import LEGAL_HOSTING
from tests.helpers import LEGAL_SERVICE
from tests.helpers import AuthActions
from tests.mail_forms import LOOPBACK_RELAYS
from tests.mail_forms import save_relay
from tests.mail_forms import send_test_message
from tests.mail_forms import submit
from tests.peers import RELAY_PASSWORD
from tests.peers import RELAY_USER
from tests.peers import SmtpRelay
from tests.peers import make_certificates
from tests.relay_peers import FakeResolver
from tests.relay_peers import ScriptedPeer
from tests.relay_peers import says

REFUSED = "This service does not connect to relays on private, local or reserved networks"
SPELLED = "Write an IP address in its usual form (e.g. 192.0.2.1), or a host name."
PUBLIC_NAME = "relay.example.com"

# Every class of address the server must not be pointed at, IPv4 and IPv6.
NOT_PUBLIC = [
    "127.0.0.1",  # loopback
    "127.8.9.10",
    "10.0.0.1",  # private
    "172.16.0.1",
    "192.168.1.1",
    "100.64.0.1",  # carrier-grade NAT
    "169.254.169.254",  # link-local: the cloud metadata service
    "0.0.0.0",  # unspecified: this host on Linux
    "224.0.0.1",  # multicast
    "240.0.0.1",  # reserved
    "255.255.255.255",
    "198.18.0.1",  # benchmarking
    "::1",
    "::",
    "fe80::1",  # link-local
    "fd00::1",  # unique-local
    "fec0::1",  # site-local (deprecated, still routed by some)
    "ff02::1",  # multicast
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "::127.0.0.1",  # IPv4-compatible (deprecated)
    "64:ff9b::a00:1",  # NAT64 to 10.0.0.1
    "2002:a00:1::1",  # 6to4 from 10.0.0.1
    "2001:db8::1",  # documentation
]


def text(response) -> str:
    return " ".join(html.unescape(response.get_data(as_text=True)).split())


def relay_app(app_factory, settings, **mail):
    """An app with the ``[mail]`` settings given and no others (the defaults: SMTP ports only, no
    network allowed beyond public addresses)."""
    return app_factory(settings | {"mail": mail})


def logged_in(app, make_user_in):
    make_user_in(app)
    client = app.test_client()
    client.environ_base["HTTP_REFERER"] = "https://localhost/"
    AuthActions(client).login()
    return client


def set_relay(app, **values) -> None:
    """Write the saved relay directly, as settings saved before a check existed would be."""
    with app.app_context():
        db.session.execute(update(MailRelay).values(**values))
        db.session.commit()


@pytest.fixture
def no_connection(monkeypatch):
    """Fail the test if the server opens any connection for the relay."""
    attempts: list = []

    def connect(addresses, port, remaining):
        attempts.append((addresses, port))
        raise AssertionError(f"connected to {addresses} port {port}")

    monkeypatch.setattr(network, "connect", connect)
    return attempts


def use_resolver(monkeypatch, table, **kwargs) -> FakeResolver:
    resolver = FakeResolver(table, **kwargs)
    monkeypatch.setattr(network, "resolve", resolver)
    return resolver


@pytest.mark.parametrize("address", NOT_PUBLIC)
def test_a_relay_name_resolving_to_a_non_public_address_is_refused_at_send(
    app_factory, settings, make_user_in, monkeypatch, no_connection, address
):
    client = logged_in(relay_app(app_factory, settings), make_user_in)
    assert save_relay(client, 587, host=PUBLIC_NAME, tls_mode="starttls").status_code == 303
    resolver = use_resolver(monkeypatch, {PUBLIC_NAME: [address]})
    response = submit(client, "send", body="Kept.")
    assert REFUSED in text(response) and "Kept." in text(response)
    assert address not in text(response)  # what the name resolves to is not told either
    assert REFUSED in text(send_test_message(client)) and no_connection == []
    assert resolver.calls == [(PUBLIC_NAME, 587)] * 2


def test_a_name_with_one_public_and_one_private_address_is_refused(
    app_factory, settings, make_user_in, monkeypatch, no_connection
):
    client = logged_in(relay_app(app_factory, settings), make_user_in)
    save_relay(client, 587, host=PUBLIC_NAME, tls_mode="starttls")
    use_resolver(monkeypatch, {PUBLIC_NAME: ["93.184.215.14", "10.0.0.1"]})
    assert REFUSED in text(submit(client, "send"))
    use_resolver(monkeypatch, {PUBLIC_NAME: ["2606:2800:21f:cb07:6820:80da:af6b:8b2c", "fd00::1"]})
    assert REFUSED in text(submit(client, "send"))
    assert no_connection == []


@pytest.mark.parametrize(
    ("host", "error"),
    [
        ("0", SPELLED),
        ("2130706433", SPELLED),
        ("0x7f000001", SPELLED),
        ("0x7f.1", SPELLED),
        ("127.1", SPELLED),
        ("0177.0.0.1", SPELLED),
        ("10.1", SPELLED),
        ("[::ffff:127.0.0.1]", "Not a host name or IP address."),
        ("127.0.0.1:25", "Not a host name or IP address."),
        ("127.0.0.1", REFUSED),
        ("169.254.169.254", REFUSED),
        ("10.0.0.1", REFUSED),
        ("0.0.0.0", REFUSED),
        ("::1", REFUSED),
        ("::", REFUSED),
        ("fd00::1", REFUSED),
        ("fe80::1%eth0", REFUSED),
        ("::ffff:127.0.0.1", REFUSED),
        ("::ffff:7f00:1", REFUSED),
        ("localhost", REFUSED),
        ("LocalHost", REFUSED),
    ],
)
def test_hostile_spellings_and_non_public_addresses_are_refused_at_save(
    app_factory, settings, make_user_in, host, error
):
    app = relay_app(app_factory, settings)
    response = save_relay(logged_in(app, make_user_in), 587, host=host, tls_mode="starttls")
    assert response.status_code == 200 and error in text(response)
    with app.app_context():
        assert db.session.scalar(select(MailRelay)) is None


@pytest.mark.parametrize(
    "host", ["0", "2130706433", "0x7f000001", "127.1", "::ffff:127.0.0.1", "localhost", "::1"]
)
def test_spellings_saved_before_the_checks_are_refused_at_send_by_the_real_resolver(
    app_factory, settings, make_user_in, no_connection, host
):
    app = relay_app(app_factory, settings)
    client = logged_in(app, make_user_in)
    save_relay(client, 587, host=PUBLIC_NAME, tls_mode="starttls")
    set_relay(app, host=host)
    assert REFUSED in text(submit(client, "send"))
    assert no_connection == []


@pytest.mark.parametrize(
    ("spelling", "address"),
    [("0", "0.0.0.0"), ("2130706433", "127.0.0.1"), ("0x7f000001", "127.0.0.1"),
     ("127.1", "127.0.0.1"), ("0177.0.0.1", "127.0.0.1"), ("::ffff:127.0.0.1", "::ffff:127.0.0.1")],
)  # fmt: skip
def test_the_resolver_turns_every_spelling_into_the_address_that_is_checked(spelling, address):
    assert network.resolve(spelling, 25) == [address]
    with pytest.raises(network.Refused):
        network.checked(network.resolve(spelling, 25), ())


def test_an_allowed_network_admits_its_addresses_and_their_mapped_spelling_only():
    allowed = network.parse_networks(["127.0.0.0/8", "10.1.2.0/24"])
    assert network.checked(["127.0.0.1", "::ffff:127.0.0.5", "10.1.2.3"], allowed)
    for outside in ("10.1.3.1", "::1", "169.254.169.254", "::ffff:10.1.3.1"):
        with pytest.raises(network.Refused):
            network.checked([outside], allowed)
    assert network.checked(["93.184.215.14", "2606:4700:4700::1111"], ())


def test_a_legitimate_relay_gets_the_message_at_the_one_address_resolved(
    app_factory, settings, make_user_in, monkeypatch, smtp_relay
):
    app = relay_app(app_factory, settings, allowed_ports=[smtp_relay.port],
                    allowed_relay_networks=LOOPBACK_RELAYS["allowed_relay_networks"])  # fmt: skip
    client = logged_in(app, make_user_in)
    assert save_relay(client, smtp_relay.port).status_code == 303
    # A rebinding name server: the checked answer first, the metadata service afterwards.
    resolver = use_resolver(monkeypatch, {"localhost": [["127.0.0.1"], ["169.254.169.254"]]})

    def second_resolution(*args, **kwargs):
        raise AssertionError(f"resolved again: {args}")

    monkeypatch.setattr(socket, "getaddrinfo", second_resolution)
    response = submit(client, "send")
    assert response.status_code == 303, text(response)
    assert len(smtp_relay.messages) == 1 and smtp_relay.connections == 1
    assert resolver.calls == [("localhost", smtp_relay.port)]


def test_implicit_tls_checks_the_certificate_against_the_name_not_the_address(
    app_factory, settings, make_user_in, monkeypatch, tmp_path
):
    ca, context = make_certificates(tmp_path)  # for localhost and 127.0.0.1
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    app = relay_app(app_factory, settings, allowed_ports=[], allowed_relay_networks=["127.0.0.0/8"])
    client = logged_in(app, make_user_in)
    with SmtpRelay(auth=True, implicit_tls=context) as relay:
        fields = {"tls_mode": "tls", "username": RELAY_USER, "password": RELAY_PASSWORD}
        assert save_relay(client, relay.port, host="localhost", **fields).status_code == 303
        use_resolver(monkeypatch, {"localhost": ["127.0.0.1"], "mail.example.net": ["127.0.0.1"]})
        assert submit(client, "send").status_code == 303
        assert len(relay.messages) == 1
        # Same address, which the certificate covers; but the user named another host.
        set_relay(app, host="mail.example.net")
        page = text(submit(client, "send"))
        assert "The secure connection (TLS) to the relay failed" in page
        assert "mail.example.net" in page and len(relay.messages) == 1


def test_a_port_outside_the_smtp_ports_is_refused_by_default(app_factory, settings, make_user_in):
    app = relay_app(app_factory, settings)
    client = logged_in(app, make_user_in)
    response = save_relay(client, 6379, host=PUBLIC_NAME, tls_mode="starttls")
    assert "This service accepts relays on these ports only: 25, 465, 587, 2525." in text(response)
    save_relay(client, 587, host=PUBLIC_NAME, tls_mode="starttls")
    set_relay(app, port=6379)  # saved before ops narrowed the list
    assert "accepts relays on these ports only" in text(submit(client, "send"))


@pytest.mark.parametrize(
    ("greeting", "words"),
    [
        (b'INFO {"server_id":"NCXYZ","version":"2.10.4","go":"go1.21.5"}\r\n',
         ["server_id", "NCXYZ", "2.10.4", "go1.21"]),
        (b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n", ["OpenSSH", "9.2p1", "Debian"]),
        (b"-ERR wrong number of arguments for 'ehlo' command\r\n", ["ERR", "wrong number"]),
    ],
)  # fmt: skip
def test_a_non_smtp_service_greeting_never_reaches_the_page(app, make_user_in, greeting, words):
    client = logged_in(app, make_user_in)  # loopback allowed (tests/conftest.py)
    with ScriptedPeer(says(greeting)) as peer:
        save_relay(client, peer.port)
        pages = [text(submit(client, "send")), text(send_test_message(client))]
    for page in pages:
        assert (
            f"The server at localhost, port {peer.port}, did not answer as an SMTP relay." in page
        )
        for word in words:
            assert word not in page


def test_an_smtp_servers_own_words_never_reach_the_page(app, make_user_in):
    client = logged_in(app, make_user_in)
    banner = b"554 5.7.1 relay.internal.corp Postfix 3.7.10 no service for you\r\n"
    with ScriptedPeer(says(banner)) as peer:
        save_relay(client, peer.port)
        page = text(submit(client, "send"))
    assert "The relay did not accept the connection (554)." in page
    assert "internal.corp" not in page and "Postfix" not in page
    with SmtpRelay(auth=True) as relay:  # aiosmtpd: "535 5.7.8 Authentication credentials invalid"
        save_relay(client, relay.port, username=RELAY_USER, password="wrong")
        page = text(submit(client, "send"))
    assert "The relay refused the user name or password (535)." in page
    assert "credentials invalid" not in page


def test_security_none_is_judged_the_same_at_save_and_at_send(
    app_factory, settings, make_user_in, smtp_relay
):
    app = app_factory(settings)  # loopback allowed (tests/conftest.py)
    client = logged_in(app, make_user_in)
    spellings = ("LOCALHOST", "127.0.0.1", "::ffff:127.0.0.1")
    for spelling in spellings:
        assert save_relay(client, smtp_relay.port, host=spelling).status_code == 303, spelling
        assert submit(client, "send").status_code == 303, spelling
    assert len(smtp_relay.messages) == len(spellings)
    for elsewhere in (PUBLIC_NAME, "localhost.", "10.0.0.1"):
        response = save_relay(client, smtp_relay.port, host=elsewhere)
        assert "Without TLS, only a relay on this machine" in text(response)
    set_relay(app, host=PUBLIC_NAME)  # saved before: sending says the same
    assert "Without TLS, only a relay on this machine" in text(submit(client, "send"))


def test_security_none_to_localhost_is_refused_at_save_when_ops_allow_no_loopback(
    app_factory, settings, make_user_in
):
    app = relay_app(app_factory, settings, allowed_ports=[])
    response = save_relay(logged_in(app, make_user_in), 2525, host="LOCALHOST")
    assert response.status_code == 200 and REFUSED in text(response)


@pytest.mark.parametrize(
    ("mail", "message"),
    [
        ({"allowed_relay_networks": ["10.0.0.1/8"]}, "mail.allowed_relay_networks: '10.0.0.1/8'"),
        ({"allowed_relay_networks": ["intranet"]}, "mail.allowed_relay_networks: 'intranet'"),
        ({"allowed_relay_networks": [10]}, "mail.allowed_relay_networks: 10 is not a network"),
        ({"allowed_relay_networks": "10.0.0.0/8"}, "mail.allowed_relay_networks: expected list"),
    ],
)
def test_an_invalid_relay_network_stops_start_naming_the_key(mail, message):
    with pytest.raises(ConfigError) as error:
        load_settings({"mail": mail}, environ={})
    assert message in str(error.value) and "\n" not in str(error.value)


def test_production_refuses_any_port_and_defaults_to_the_smtp_ports():
    production = {"app": {"environment": "production", "secret_key": "x" * 32},
                  "service": {"domain": "app.prospectra.eu", **LEGAL_SERVICE}, "hosting": LEGAL_HOSTING,
                  "mail": {"encryption_key": "A" * 43 + "="}}  # fmt: skip
    settings = load_settings(production, environ={})
    assert settings["mail"]["allowed_ports"] == [25, 465, 587, 2525]
    assert settings["mail"]["allowed_relay_networks"] == []
    production["mail"]["allowed_ports"] = []
    with pytest.raises(ConfigError, match=r"^mail.allowed_ports: empty \(any port\) is refused"):
        load_settings(production, environ={})
