"""SMTP relay settings and sending, against a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import email.utils
import html
import socket
import time

import pytest
from sqlalchemy import select
from sqlalchemy import update

from prospectra import create_app
from prospectra.accounts import create_user
from prospectra.config import ConfigError
from prospectra.config import load_settings
from prospectra.extensions import db
from prospectra.models import Draft
from prospectra.models import MailRelay
from tests.faults import free_port
from tests.helpers import LEGAL_HOSTING
from tests.helpers import LEGAL_SERVICE
from tests.helpers import PASSWORD
from tests.helpers import AuthActions
from tests.helpers import BufferedClient
from tests.helpers import csrf_token
from tests.mail_forms import LOOPBACK_RELAYS
from tests.mail_forms import save_relay
from tests.mail_forms import send_test_message
from tests.mail_forms import submit
from tests.peers import RELAY_PASSWORD
from tests.peers import RELAY_USER
from tests.peers import SmtpRelay
from tests.peers import make_certificates

KEY_A = "aBv9SxJpVQq3hnl2tEZ3D4CXxUZK3KZ2k0Zj8YxZ3hQ="
KEY_B = "Zm9yIHRlc3RzIG9ubHk6IGEgc2Vjb25kIGtleSEhISE="


def text(response) -> str:
    return " ".join(html.unescape(response.get_data(as_text=True)).split())


def drafts(app) -> list[Draft]:
    with app.app_context():
        return list(db.session.scalars(select(Draft)))


@pytest.fixture
def ada(client, make_user, auth):
    """Ada, logged in."""
    make_user()
    auth.login()
    return client


def logged_in(app):
    client = app.test_client()
    client.environ_base["HTTP_REFERER"] = "https://localhost/"
    with app.app_context():
        create_user("ada@example.org", PASSWORD)
    AuthActions(client).login()
    return client


@pytest.mark.both_backends  # the tables, from the migration, on PostgreSQL too
def test_relay_password_is_stored_encrypted_and_never_shown_back(app, ada, smtp_relay):
    response = save_relay(ada, smtp_relay.port, username=RELAY_USER, password=RELAY_PASSWORD)
    assert response.status_code == 303
    page = ada.get("/mail/relay").get_data(as_text=True)
    assert RELAY_PASSWORD not in page
    assert "A password is saved. Leave the field empty to keep it." in page
    with app.app_context():
        row = db.session.scalar(select(MailRelay))
        assert RELAY_PASSWORD not in row.password_sealed and row.password_sealed.startswith("gAAAA")


def test_an_empty_password_field_keeps_the_saved_password_and_forget_clears_it(
    app, ada, smtp_relay
):
    save_relay(ada, smtp_relay.port, username=RELAY_USER, password=RELAY_PASSWORD)
    save_relay(ada, smtp_relay.port, username=RELAY_USER, password="")
    with app.app_context():
        assert db.session.scalar(select(MailRelay)).password_sealed
    save_relay(ada, smtp_relay.port, username=RELAY_USER, password="", forget_password="y")
    with app.app_context():
        assert db.session.scalar(select(MailRelay)).password_sealed == ""
    assert "A password is saved" not in text(ada.get("/mail/relay"))


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"host": "smtp.example.com", "tls_mode": "none"}, "only a relay on this machine"),
        ({"host": "smtp.example.com\r\nX: y"}, "Line breaks and control characters"),
        ({"host": "bad host!"}, "Not a host name or IP address."),
        ({"port": "70000"}, "Number must be between 1 and 65535."),
        (
            {"sender": "ada@example.org\r\nBcc: eve@example.net"},
            "Line breaks and control characters",
        ),
        (
            {"sender": "not an address"},
            "Not a valid e-mail address: An email address must have an @-sign.",
        ),
        ({"tls_mode": "ssl3"}, "Not a valid choice."),
    ],
)
def test_invalid_relay_settings_are_refused_with_a_reason(app, ada, fields, error):
    response = save_relay(ada, 587, **fields)
    assert response.status_code == 200 and error in text(response)
    with app.app_context():
        assert db.session.scalar(select(MailRelay)) is None


@pytest.mark.both_backends  # the tables, from the migration, on PostgreSQL too
def test_sent_message_reaches_the_relay_with_its_headers_and_the_draft_goes(app, ada, smtp_relay):
    save_relay(ada, smtp_relay.port)
    response = submit(
        ada, "send", recipients="bob@example.com, Carol@Example.net", subject="Meeting on Tuesday",
        body="Dear Bob,\nsee you on Tuesday.\n-- Ada",
    )  # fmt: skip
    assert response.status_code == 303 and response.headers["Location"] == "/mail/"
    assert "The message was sent to 2 recipient(s)." in text(ada.get("/mail/"))
    [envelope], [message] = smtp_relay.envelopes, smtp_relay.messages
    assert envelope.mail_from == "ada@example.org"
    assert envelope.rcpt_tos == ["bob@example.com", "Carol@example.net"]
    assert message["From"] == "ada@example.org"
    assert message["To"] == "bob@example.com, Carol@example.net"
    assert message["Subject"] == "Meeting on Tuesday"
    assert message.get_content() == "Dear Bob,\nsee you on Tuesday.\n-- Ada\n"
    sent = email.utils.parsedate_to_datetime(message["Date"])
    assert sent.tzinfo is not None and abs(sent.timestamp() - time.time()) < 60
    assert message["Message-ID"].startswith("<") and message["Message-ID"].endswith("@example.org>")
    assert drafts(app) == []  # a sent message is not kept


def test_relay_auth_with_the_saved_password_sends(app, ada):
    with SmtpRelay(auth=True) as relay:
        save_relay(ada, relay.port, username=RELAY_USER, password=RELAY_PASSWORD)
        assert submit(ada, "send").status_code == 303
        assert len(relay.messages) == 1


def test_relay_auth_failure_is_reported_and_the_draft_is_kept(app, ada):
    with SmtpRelay(auth=True) as relay:
        save_relay(ada, relay.port, username=RELAY_USER, password="wrong password")
        response = submit(ada, "send", subject="Keep me", body="Precious words.")
        assert relay.messages == []
    page = text(response)
    assert response.status_code == 200
    assert "The relay refused the user name or password (535" in page
    assert "Precious words." in page and 'value="Keep me"' in page
    [kept] = drafts(app)
    assert (kept.subject, kept.body) == ("Keep me", "Precious words.")


def test_a_recipient_the_relay_refuses_is_reported(app, ada, smtp_relay):
    save_relay(ada, smtp_relay.port)
    response = submit(ada, "send", recipients="refused@example.com")
    assert "The relay refused every recipient: refused@example.com." in text(response)
    assert len(drafts(app)) == 1
    response = submit(ada, "send", path=f"/mail/drafts/{drafts(app)[0].id}",
                      recipients="bob@example.com, refused@example.com")  # fmt: skip
    assert response.status_code == 303
    page = text(ada.get("/mail/"))
    assert "sent to 1 recipient(s)" in page and "The relay refused: refused@example.com." in page
    assert smtp_relay.envelopes[0].rcpt_tos == ["bob@example.com"]


def test_a_relay_that_never_answers_times_out_with_a_clear_message(app_factory, settings):
    client = logged_in(app_factory(settings | {"mail": LOOPBACK_RELAYS | {"timeout_seconds": 1}}))
    with socket.socket() as silent:  # accepts connections (backlog), never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        save_relay(client, silent.getsockname()[1])
        response = submit(client, "send", body="Still here.")
    assert "The relay did not answer within 1 seconds." in text(response)
    assert "Still here." in text(response)


def test_a_relay_that_refuses_the_connection_is_reported(app, ada):
    port = free_port()  # nothing listens there
    save_relay(ada, port)
    response = submit(ada, "send")
    assert f"The relay refused the connection (localhost, port {port})." in text(response)


def test_starttls_to_a_trusted_relay_sends(app, ada, tmp_path, monkeypatch):
    ca, context = make_certificates(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))  # the app trusts our CA, as it would a real one
    with SmtpRelay(auth=True, starttls=context) as relay:
        save_relay(
            ada, relay.port, tls_mode="starttls", username=RELAY_USER, password=RELAY_PASSWORD
        )
        response = submit(ada, "send")
        assert response.status_code == 303, text(response)
        assert len(relay.messages) == 1


@pytest.mark.parametrize("mode", ["starttls", "tls"])
def test_an_untrusted_relay_certificate_is_a_tls_failure_and_nothing_is_sent(
    app, ada, tmp_path, mode
):
    _, context = make_certificates(tmp_path)  # a CA the app does not trust
    peer = {"starttls": context} if mode == "starttls" else {"implicit_tls": context}
    with SmtpRelay(auth=True, **peer) as relay:
        save_relay(ada, relay.port, tls_mode=mode, username=RELAY_USER, password=RELAY_PASSWORD)
        response = submit(ada, "send")
        assert relay.envelopes == []
    page = text(response)
    assert "The secure connection (TLS) to the relay failed:" in page
    assert "certificate verify failed" in page or "unable to get local issuer certificate" in page


def test_starttls_mode_refuses_a_relay_without_starttls(app, ada, smtp_relay):
    save_relay(ada, smtp_relay.port, tls_mode="starttls")
    response = submit(ada, "send")
    assert "The relay does not offer STARTTLS" in text(response)
    assert smtp_relay.envelopes == []


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"subject": "Hi\r\nBcc: eve@example.net"}, "Line breaks and control characters"),
        ({"subject": "Hi\nBcc: eve@example.net"}, "Line breaks and control characters"),
        (
            {"recipients": "bob@example.com\r\nBcc: eve@example.net"},
            "Line breaks and control characters",
        ),
        ({"recipients": "bob@example.com, not-an-address"}, "not-an-address:"),
        ({"recipients": ""}, "Give at least one recipient."),
        (
            {"recipients": ", ".join(f"r{i}@example.com" for i in range(21))},
            "At most 20 recipients",
        ),
        ({"subject": "s" * 201}, "Field cannot be longer than 200 characters."),
        ({"body": "b" * 50_001}, "Field cannot be longer than 50000 characters."),
        ({"body": "nul \x00 byte"}, "Control characters are not accepted here."),
    ],
)
def test_unsafe_or_oversized_input_is_refused_and_never_reaches_the_relay(
    app, ada, smtp_relay, fields, error
):
    save_relay(ada, smtp_relay.port)
    response = submit(ada, "send", **fields)
    assert response.status_code == 200 and error in text(response)
    assert smtp_relay.connections == 0


@pytest.mark.both_backends  # the tables, from the migration, on PostgreSQL too
def test_save_keeps_the_draft_server_side_and_it_comes_back(app, ada):
    response = submit(ada, "save", subject="Later", body="To be continued")
    assert response.status_code == 303
    [kept] = drafts(app)
    assert response.headers["Location"] == f"/mail/drafts/{kept.id}"
    page = text(ada.get(f"/mail/drafts/{kept.id}"))
    assert 'value="Later"' in page and "To be continued" in page and "The draft is saved." in page
    assert "Later" in text(ada.get("/mail/"))


def test_another_users_draft_is_not_found(app, ada, make_user_in):
    submit(ada, "save", subject="Mine")
    [kept] = drafts(app)
    make_user_in(app, "eve@example.net")
    eve = app.test_client()
    eve.environ_base["HTTP_REFERER"] = "https://localhost/"
    AuthActions(eve).login("eve@example.net")
    assert eve.get(f"/mail/drafts/{kept.id}").status_code == 404
    token = csrf_token(eve.get("/mail/compose"))
    for path in (f"/mail/drafts/{kept.id}", f"/mail/drafts/{kept.id}/delete"):
        assert eve.post(path, data={"csrf_token": token, "save": "1"}).status_code == 404
    assert drafts(app)[0].subject == "Mine"


def test_sending_without_a_relay_says_so_and_keeps_the_draft(app, ada):
    response = submit(ada, "send", body="Unsent")
    assert "Set up your relay before sending." in text(response)
    assert drafts(app)[0].body == "Unsent"


def test_the_test_message_goes_to_the_sender_address(app, ada, smtp_relay):
    save_relay(ada, smtp_relay.port, sender="ada@example.org")
    response = send_test_message(ada)
    assert response.status_code == 303
    assert "A test message was sent to ada@example.org." in text(ada.get("/mail/relay"))
    [message] = smtp_relay.messages
    assert message["To"] == "ada@example.org" and message["Subject"] == "Prospectra: test message"


def test_the_test_message_reports_the_relay_error(app, ada):
    save_relay(ada, free_port())
    response = send_test_message(ada)
    assert response.status_code == 200 and "The relay refused the connection" in text(response)


def test_a_password_sealed_under_a_lost_key_is_asked_again(app_factory, settings, smtp_relay):
    first = logged_in(app_factory(settings | {"mail": LOOPBACK_RELAYS | {"encryption_key": KEY_A}}))
    save_relay(first, smtp_relay.port, username=RELAY_USER, password=RELAY_PASSWORD)
    # The same database, another key.
    later = app_factory(settings | {"mail": LOOPBACK_RELAYS | {"encryption_key": KEY_B}})
    client = later.test_client()
    client.environ_base["HTTP_REFERER"] = "https://localhost/"
    AuthActions(client).login()
    response = submit(client, "send")
    assert "The saved relay password can no longer be read" in text(response)
    assert smtp_relay.connections == 0


def test_a_rotated_key_still_opens_passwords_sealed_under_the_previous_one(app_factory, settings):
    first = logged_in(app_factory(settings | {"mail": LOOPBACK_RELAYS | {"encryption_key": KEY_A}}))
    with SmtpRelay(auth=True) as relay:
        save_relay(first, relay.port, username=RELAY_USER, password=RELAY_PASSWORD)
        rotated = app_factory(
            settings
            | {
                "mail": LOOPBACK_RELAYS
                | {"encryption_key": KEY_B, "previous_encryption_keys": [KEY_A]}
            }
        )
        client = rotated.test_client()
        client.environ_base["HTTP_REFERER"] = "https://localhost/"
        AuthActions(client).login()
        assert submit(client, "send").status_code == 303
        assert len(relay.messages) == 1


@pytest.mark.both_backends  # the tables, from the migration, on PostgreSQL too
def test_deleting_the_account_deletes_its_relay_and_drafts(app, ada, smtp_relay):
    save_relay(ada, smtp_relay.port)
    submit(ada, "save")
    token = csrf_token(ada.get("/account"))
    response = ada.post(
        "/account/delete", data={"delete-csrf_token": token, "delete-password": PASSWORD}
    )
    assert response.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(MailRelay)) is None
    assert drafts(app) == []


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory):
    """One app; Ada composes (her relay refuses connections at once), Eve edits relay settings."""
    app = create_app(
        {"app": {"instance_path": str(tmp_path_factory.mktemp("fuzz"))}, "mail": LOOPBACK_RELAYS},
        testing=True,
    )
    app.test_client_class = BufferedClient
    clients = {}
    for name in ("ada", "eve"):
        client = app.test_client()
        client.environ_base["HTTP_REFERER"] = "https://localhost/"
        with app.app_context():
            create_user(f"{name}@example.org", PASSWORD)
        AuthActions(client).login(f"{name}@example.org")
        clients[name] = (client, csrf_token(client.get("/mail/relay")))
    save_relay(clients["ada"][0], free_port())
    return clients


def _fuzz_text():
    from hypothesis import strategies as st

    specials = ["", "\r\n", "\x00", "a@b", "é@ü.example", "x" * 5000, "<script>", "%s%(x)s{{7*7}}"]
    return st.one_of(st.text(max_size=300), st.sampled_from(specials))


def test_no_input_to_the_mail_forms_breaks_them(fuzzed):
    from hypothesis import HealthCheck
    from hypothesis import given
    from hypothesis import settings as hsettings
    from hypothesis import strategies as st

    ada, ada_token = fuzzed["ada"]
    eve, eve_token = fuzzed["eve"]
    fields = st.fixed_dictionaries({}, optional={k: _fuzz_text() for k in
                                                 ("recipients", "subject", "body", "prompt")})  # fmt: skip
    relay_fields = st.fixed_dictionaries({}, optional={
        f"relay-{k}": _fuzz_text() for k in ("host", "port", "tls_mode", "username", "password",
                                              "sender", "forget_password")})  # fmt: skip

    @hsettings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        button=st.sampled_from(["save", "send", "generate", "nothing"]),
        data=fields,
        relay=relay_fields,
        draft=st.sampled_from(["/mail/compose", "/mail/drafts/1", "/mail/drafts/2147483648",
                               "/mail/drafts/99999999999999999999", "/mail/drafts/1/delete"]),
    )  # fmt: skip
    def run(button, data, relay, draft):
        response = ada.post(draft, data={"csrf_token": ada_token, button: "1"} | data)
        assert response.status_code < 500 and b"Traceback" not in response.data
        response = eve.post("/mail/relay", data={"relay-csrf_token": eve_token} | relay)
        assert response.status_code in (200, 303, 400, 413), response.status_code
        for path in ("/mail/", "/mail/relay"):
            assert eve.get(path).status_code == 200
        assert ada.get("/mail/").status_code == 200

    run()


def test_a_user_name_for_a_relay_without_authentication_is_reported(app, ada, smtp_relay):
    save_relay(ada, smtp_relay.port, username=RELAY_USER, password=RELAY_PASSWORD)
    response = submit(ada, "send")
    assert "The relay does not offer authentication: leave the user name empty." in text(response)
    assert smtp_relay.envelopes == []


def test_relays_are_limited_to_the_ports_ops_allow(app_factory, settings, smtp_relay):
    app = app_factory(
        settings | {"mail": LOOPBACK_RELAYS | {"allowed_ports": [587, smtp_relay.port]}}
    )
    client = logged_in(app)
    response = save_relay(client, 6379)  # e.g. the Redis server next to the app
    assert response.status_code == 200
    assert f"This service accepts relays on these ports only: 587, {smtp_relay.port}." in text(
        response
    )
    assert save_relay(client, smtp_relay.port).status_code == 303
    with app.app_context():  # settings saved before ops narrowed the list are refused at send
        db.session.execute(update(MailRelay).values(port=free_port()))
        db.session.commit()
    assert "accepts relays on these ports only" in text(submit(client, "send"))


@pytest.mark.parametrize(
    ("mail", "message"),
    [
        ({"encryption_key": "too short"}, "mail.encryption_key: not a Fernet key"),
        ({"previous_encryption_keys": ["nope"]}, "mail.previous_encryption_keys: not a Fernet key"),
        ({"allowed_ports": [25, 70000]}, "mail.allowed_ports: expected a list of port numbers"),
        ({"timeout_seconds": 0}, "mail.timeout_seconds: must be between"),
        ({"max_recipients": 0}, "mail.max_recipients: must be between"),
    ],
)
def test_an_invalid_mail_setting_stops_start_naming_the_key(mail, message):
    with pytest.raises(ConfigError) as error:
        load_settings({"mail": mail}, environ={})
    assert message in str(error.value) and "\n" not in str(error.value)


def test_production_refuses_to_start_without_a_mail_encryption_key():
    production = {"app": {"environment": "production", "secret_key": "x" * 32},
                  "service": {"domain": "app.prospectra.eu", **LEGAL_SERVICE}, "hosting": LEGAL_HOSTING}  # fmt: skip
    with pytest.raises(ConfigError, match=r"^mail.encryption_key: required in production"):
        load_settings(production, environ={})
    environ = {"PROSPECTRA_MAIL__ENCRYPTION_KEY": KEY_A}
    assert load_settings(production, environ=environ)["mail"]["encryption_key"] == KEY_A


def test_sends_past_the_per_user_limit_wait_and_keep_the_draft(app_factory, settings, smtp_relay):
    client = logged_in(app_factory(settings | {"limits": {"sends_per_user": "2 per hour"}}))
    save_relay(client, smtp_relay.port)
    assert submit(client, "send").status_code == 303
    assert send_test_message(client).status_code == 303
    response = submit(client, "send", body="Third one")
    assert "Too many attempts in a short time" in text(response) and "Third one" in text(response)
    assert len(smtp_relay.messages) == 2
