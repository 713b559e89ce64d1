"""One user cannot stall the service through the relay.

The whole SMTP conversation (name resolution, connection, TLS, every command) ends at one
deadline, below gunicorn's worker timeout (checked at start, from one setting both read), and a
user sends one message at a time.
"""

from __future__ import annotations

import html
import subprocess
import threading
import time

import pytest

from prospectra.config import ConfigError
from prospectra.config import load_settings
from prospectra.mail import network
from prospectra.paths import PROJECT_ROOT
from tests.helpers import AuthActions
from tests.mail_forms import LOOPBACK_RELAYS
from tests.mail_forms import save_relay
from tests.mail_forms import send_test_message
from tests.mail_forms import submit
from tests.relay_peers import FakeResolver
from tests.relay_peers import ScriptedPeer
from tests.relay_peers import drips
from tests.served import GUNICORN
from tests.served import environment

DEADLINE = 2
MARGIN = 1.5  # rendering the page, the login's own work: far below a dripping relay's 15 s
TIMED_OUT = f"The relay did not answer within {DEADLINE} seconds."
BUSY = "A message is already being sent: try again in a moment."


def text(response) -> str:
    return " ".join(html.unescape(response.get_data(as_text=True)).split())


@pytest.fixture
def app(app_factory, settings):
    return app_factory(settings | {"mail": LOOPBACK_RELAYS | {"timeout_seconds": DEADLINE}})


def logged_in(app):
    client = app.test_client()
    client.environ_base["HTTP_REFERER"] = "https://localhost/"
    AuthActions(client).login()
    return client


@pytest.fixture
def ada(app, make_user_in):
    make_user_in(app)
    return logged_in(app)


def timed(call):
    start = time.monotonic()
    response = call()
    return response, time.monotonic() - start


GREETING = b"220 relay.example ESMTP ready\r\n"
EHLO_REPLY = b"250-relay.example\r\n250-SIZE 10240000\r\n250 HELP\r\n"


def drip_after_greeting(connection) -> None:
    """A relay that greets at once, then answers EHLO a byte every 0.3 s."""
    connection.sendall(GREETING)
    connection.recv(1024)
    drips(EHLO_REPLY * 3, 0.3)(connection)


@pytest.mark.parametrize(
    "script",
    [drips(GREETING * 3, 0.3), drip_after_greeting],
    ids=["greeting", "ehlo-reply"],
)
def test_a_dripping_relay_ends_at_the_deadline_with_the_apps_message(ada, app, script):
    with ScriptedPeer(script) as peer:
        save_relay(ada, peer.port)
        response, took = timed(lambda: submit(ada, "send", body="Still here."))
        assert TIMED_OUT in text(response) and "Still here." in text(response)
        assert DEADLINE <= took < DEADLINE + MARGIN, took
        response, took = timed(lambda: send_test_message(ada))
        assert TIMED_OUT in text(response) and took < DEADLINE + MARGIN


def test_a_slow_name_server_ends_at_the_deadline(ada, monkeypatch):
    save_relay(ada, 587, host="relay.example.com", tls_mode="starttls")
    monkeypatch.setattr(network, "resolve", FakeResolver({}, delay=DEADLINE + 3))
    response, took = timed(lambda: submit(ada, "send"))
    assert TIMED_OUT in text(response) and took < DEADLINE + MARGIN


def holds_until(release: threading.Event):
    def script(connection) -> None:
        release.wait(10)  # says nothing until released, then hangs up

    return script


def test_a_user_sends_one_message_at_a_time_and_the_second_keeps_its_draft(ada, app):
    other_tab = logged_in(app)
    release = threading.Event()
    with ScriptedPeer(holds_until(release)) as peer:
        save_relay(ada, peer.port)
        first: dict = {}
        sending = threading.Thread(target=lambda: first.update(r=submit(ada, "send")))
        sending.start()
        assert peer.connected.wait(5)
        response, took = timed(lambda: submit(other_tab, "send", body="Second one."))
        assert BUSY in text(response) and "Second one." in text(response)
        assert took < 1, "refused at once, not after the first send"
        assert BUSY in text(send_test_message(other_tab))
        assert peer.connections == 1
        release.set()
        sending.join(10)
        assert BUSY not in text(first["r"])
        # The slot is free again once the first send has ended.
        assert BUSY not in text(submit(other_tab, "send"))
        assert peer.connections == 2


def test_another_users_send_is_not_held_up(app, make_user_in):
    make_user_in(app)
    make_user_in(app, "bob@example.org")
    ada = logged_in(app)
    bob = app.test_client()
    bob.environ_base["HTTP_REFERER"] = "https://localhost/"
    AuthActions(bob).login("bob@example.org")
    release = threading.Event()
    with ScriptedPeer(holds_until(release)) as peer:
        save_relay(ada, peer.port)
        save_relay(bob, peer.port, sender="bob@example.org")
        sending = threading.Thread(target=lambda: submit(ada, "send"))
        sending.start()
        assert peer.connected.wait(5)
        threading.Timer(0.5, release.set).start()
        assert BUSY not in text(submit(bob, "send"))
        sending.join(10)
    assert peer.connections == 2


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"mail": {"timeout_seconds": 30}},
         "mail.timeout_seconds: must end at least 5 seconds before server.worker_timeout_seconds "
         "(30), at most 25"),
        ({"mail": {"timeout_seconds": 26}}, "mail.timeout_seconds: must end at least 5 seconds"),
        ({"assist": {"timeout_seconds": 30}}, "assist.timeout_seconds: must end at least 5"),
        ({"server": {"worker_timeout_seconds": 10}}, "mail.timeout_seconds: must end at least"),
        ({"server": {"worker_timeout_seconds": 5}}, "server.worker_timeout_seconds: must be between"),
    ],
)  # fmt: skip
def test_deadlines_that_gunicorn_would_cut_short_stop_start_naming_the_key(overrides, message):
    with pytest.raises(ConfigError) as error:
        load_settings(overrides, environ={})
    assert str(error.value).startswith(message.split(":")[0] + ":")
    assert message in str(error.value) and "\n" not in str(error.value)


def test_a_longer_worker_timeout_admits_longer_deadlines():
    settings = load_settings(
        {"server": {"worker_timeout_seconds": 60}, "mail": {"timeout_seconds": 30},
         "assist": {"timeout_seconds": 55}}, environ={},
    )  # fmt: skip
    assert settings["mail"]["timeout_seconds"] == 30
    defaults = load_settings(environ={})
    assert defaults["server"]["worker_timeout_seconds"] == 30
    assert (defaults["mail"]["timeout_seconds"], defaults["assist"]["timeout_seconds"]) == (15, 20)


def test_gunicorn_takes_its_worker_timeout_from_the_same_setting():
    env = environment({"server": {"worker_timeout_seconds": 45}})
    result = subprocess.run(
        [str(GUNICORN), "-c", "python:prospectra.gunicorn_conf", "--print-config",
         "prospectra.wsgi:app"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    timeouts = [line.split("=")[1].strip() for line in result.stdout.splitlines()
                if line.split("=")[0].strip() == "timeout"]  # fmt: skip
    assert timeouts == ["45"], result.stdout[-2000:] + result.stderr[-2000:]
