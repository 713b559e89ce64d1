"""Fill in the mail forms through the pages, as a browser would (CSRF token from the page)."""

from __future__ import annotations

from tests.helpers import csrf_token

# The fake relays (tests/peers.py) listen on 127.0.0.1 at a free port: tests allow the loopback
# network and any port, which the defaults refuse (prospectra/default.toml, [mail]).
LOOPBACK_RELAYS = {"allowed_ports": [], "allowed_relay_networks": ["127.0.0.0/8", "::1/128"]}


def save_relay(client, relay_port: int, **fields):
    """Post the relay settings: a plain relay on localhost:``relay_port`` unless ``fields`` say otherwise."""
    token = csrf_token(client.get("/mail/relay"))
    data = {"host": "localhost", "port": str(relay_port), "tls_mode": "none", "username": "",
            "password": "", "sender": "ada@example.org"} | fields  # fmt: skip
    return client.post(
        "/mail/relay", data={"relay-csrf_token": token} | {f"relay-{k}": v for k, v in data.items()}
    )


def send_test_message(client):
    token = csrf_token(client.get("/mail/relay"))
    return client.post("/mail/relay/test", data={"test-csrf_token": token, "test-send_test": "1"})


def submit(client, button: str, path: str = "/mail/compose", **fields):
    """Post the compose form at ``path`` with ``button`` ("save", "send", "generate") pressed."""
    token = csrf_token(client.get(path))
    data = {"recipients": "bob@example.com", "subject": "Hello", "body": "Dear Bob,\nhello.",
            "prompt": ""} | fields  # fmt: skip
    return client.post(path, data={"csrf_token": token, button: "1"} | data)


def logged_in_client(app, email: str = "ada@example.org"):
    """A client of ``app`` logged in as ``email`` (the account must exist)."""
    from tests.helpers import AuthActions

    client = app.test_client()
    client.environ_base["HTTP_REFERER"] = "https://localhost/"
    AuthActions(client).login(email)
    return client
