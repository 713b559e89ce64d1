"""The saved relay password goes only where, how and as whom it was saved for.

Changing the host, port, TLS mode or user name while leaving the password field empty used to keep
the sealed password, so "Send a test message" handed it, in clear, to whatever the new host was.

A user name or password with characters smtplib cannot send at login (non-ASCII) is refused at
save, and one saved before that rule gets the app's own message at send, not a 500.
"""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from prospectra.extensions import db
from prospectra.mail import crypto
from prospectra.models import MailRelay
from tests import peers
from tests.faults import free_port
from tests.mail_forms import save_relay
from tests.mail_forms import send_test_message
from tests.mail_forms import submit
from tests.peers import RELAY_PASSWORD
from tests.peers import RELAY_USER
from tests.peers import SmtpRelay


def text(response) -> str:
    return " ".join(html.unescape(response.get_data(as_text=True)).split())


@pytest.fixture
def ada(client, make_user, auth):
    make_user()
    auth.login()
    return client


@pytest.fixture
def listener(monkeypatch):
    """A relay with AUTH on 127.0.0.1 that records every (user, password) it is offered."""
    offered: list[tuple[bytes, bytes]] = []
    checks = peers._authenticator

    def recording(server, session, envelope, mechanism, auth_data):
        offered.append((auth_data.login, auth_data.password))
        return checks(server, session, envelope, mechanism, auth_data)

    monkeypatch.setattr(peers, "_authenticator", recording)
    with SmtpRelay(auth=True) as relay:
        relay.offered = offered
        yield relay


def saved_password(app) -> str | None:
    with app.app_context():
        sealed = db.session.scalar(select(MailRelay.password_sealed))
        return crypto.decrypt(sealed) if sealed else sealed


def _changes(port: int) -> dict[str, tuple[dict, dict]]:
    """For each setting: the relay as saved with the password, then with only that setting changed
    (``port``: the listener's, where the changed settings point)."""
    return {
        "host": ({"host": "localhost", "relay_port": port}, {"host": "127.0.0.1", "relay_port": port}),
        "port": ({"relay_port": free_port()}, {"relay_port": port}),
        "tls_mode": ({"relay_port": port, "tls_mode": "starttls"}, {"relay_port": port, "tls_mode": "none"}),
        "username": ({"relay_port": port}, {"relay_port": port, "username": "eve"}),
    }  # fmt: skip


@pytest.mark.parametrize("setting", ["host", "port", "tls_mode", "username"])
def test_changing_where_the_password_goes_drops_it_and_test_does_not_send_it(
    app, ada, listener, setting
):
    before, after = _changes(listener.port)[setting]
    save_relay(ada, **{"username": RELAY_USER, "password": RELAY_PASSWORD} | before)
    assert saved_password(app) == RELAY_PASSWORD

    response = save_relay(ada, **{"username": RELAY_USER, "password": ""} | after)
    assert response.status_code == 303
    assert saved_password(app) == ""  # the row no longer holds it, sealed or not
    page = text(ada.get("/mail/relay"))
    assert (
        "The saved password was removed because the host, port, security or user name changed: type it again."
        in page
    )
    assert "A password is saved" not in page

    send_test_message(ada)
    assert listener.connections == 1  # the test did reach the new relay...
    assert all(RELAY_PASSWORD.encode() not in password for _, password in listener.offered)
    assert listener.messages == []  # ...and could not log in there with the old password


def test_a_new_password_with_otherwise_unchanged_settings_replaces_the_old_one(app, ada, listener):
    save_relay(ada, listener.port, username=RELAY_USER, password="an old secret")
    response = save_relay(ada, listener.port, username=RELAY_USER, password=RELAY_PASSWORD)
    assert saved_password(app) == RELAY_PASSWORD
    assert "The relay settings are saved." in text(ada.get(response.headers["Location"]))
    assert send_test_message(ada).status_code == 303
    assert listener.offered == [(RELAY_USER.encode(), RELAY_PASSWORD.encode())]
    assert len(listener.messages) == 1


def test_a_new_password_with_a_new_host_is_kept(app, ada, listener):
    save_relay(ada, free_port(), username=RELAY_USER, password="the old relay's")
    save_relay(ada, listener.port, host="127.0.0.1", username=RELAY_USER, password=RELAY_PASSWORD)
    assert saved_password(app) == RELAY_PASSWORD
    assert send_test_message(ada).status_code == 303


@pytest.mark.parametrize("change", [{}, {"sender": "ada.lovelace@example.org"}])
def test_resaving_the_same_destination_with_an_empty_password_keeps_it(app, ada, listener, change):
    save_relay(ada, listener.port, username=RELAY_USER, password=RELAY_PASSWORD)
    response = save_relay(ada, listener.port, username=RELAY_USER, password="", **change)
    assert saved_password(app) == RELAY_PASSWORD
    page = text(ada.get(response.headers["Location"]))
    assert "The relay settings are saved." in page and "removed" not in page
    assert send_test_message(ada).status_code == 303
    assert listener.offered == [(RELAY_USER.encode(), RELAY_PASSWORD.encode())]


def test_the_page_says_a_change_of_destination_removes_the_saved_password(app, ada, listener):
    save_relay(ada, listener.port, username=RELAY_USER, password=RELAY_PASSWORD)
    page = text(ada.get("/mail/relay"))
    assert (
        "A password is saved. Leave the field empty to keep it. Changing the host, port, "
        "security or user name removes it: then type it again." in page
    )


ASCII_ONLY = "Only unaccented letters, digits and common symbols (ASCII) can be sent at login."


@pytest.mark.parametrize("fields", [{"username": "adà"}, {"password": "mot de passe été"}])
def test_a_non_ascii_user_name_or_password_is_refused_at_save(app, ada, listener, fields):
    response = save_relay(ada, listener.port, **{"username": RELAY_USER} | fields)
    assert response.status_code == 200 and ASCII_ONLY in text(response)
    with app.app_context():
        assert db.session.scalar(select(MailRelay)) is None


@pytest.mark.parametrize("saved", [{"username": "adà"}, {"password": "mot de passe été"}])
def test_a_non_ascii_login_saved_before_the_rule_gets_our_message_at_send(
    app, ada, listener, saved
):
    save_relay(ada, listener.port, username=RELAY_USER, password=RELAY_PASSWORD)
    with app.app_context():  # as a row saved before the form refused them could be
        row = db.session.scalar(select(MailRelay))
        row.username = saved.get("username", RELAY_USER)
        row.password_sealed = crypto.encrypt(saved.get("password", RELAY_PASSWORD))
        db.session.commit()
    expected = (
        "The saved relay user name or password has characters that cannot be sent at login "
        "(only ASCII can): enter them again in the relay settings."
    )
    for response in (send_test_message(ada), submit(ada, "send", body="Still mine.")):
        assert response.status_code == 200 and expected in text(response)
    assert "Still mine." in text(response)
    assert listener.connections == 0
