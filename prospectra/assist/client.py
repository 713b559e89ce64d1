"""The call to the writing assistant: one POST to ``{base_url}/chat/completions``, by the server.

httpx rather than the standard library: it has a timeout per phase (connection, each read), does
not follow redirects unless told to (the API key is never replayed to another host), and reads a
streamed reply so that its size can be bounded. The whole call is also bounded by one deadline
(:class:`_Call`): a provider sending a byte at a time would pass every per-read timeout.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import httpx
from flask import current_app
from flask_babel import gettext as _

# The provider is told what to write: only the text of the message, ready to send.
SYSTEM_PROMPT = (
    "You write the body of a short professional e-mail from the user's instructions. "
    "Reply with the body text only: no subject line, no placeholders, no commentary."
)
MAX_REPLY_BYTES = 1_000_000  # far above any e-mail body; a larger reply is refused, not read


class AssistError(Exception):
    """No text came back; the message is meant for the user (translated)."""


def enabled() -> bool:
    """Whether the compose page offers "Generate" (decided here only, from ``[assist] provider``)."""
    return current_app.config["PROSPECTRA"]["assist"]["provider"] != "none"


def generate(prompt: str) -> str:
    """Send the user's instructions to the configured provider; return the text it wrote.

    :raises AssistError: no key, timeout, unreachable, HTTP error, or a reply that is not the
        expected JSON.
    """
    settings = current_app.config["PROSPECTRA"]["assist"]
    if not settings["api_key"]:
        raise AssistError(
            _("The writing assistant has no API key configured; ask the administrator.")
        )
    timeout = settings["timeout_seconds"]
    request = {
        "model": settings["model"],
        "messages": [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": prompt},
        ],
    }
    url = settings["base_url"].rstrip("/") + "/chat/completions"
    headers = {"Authorization": f"Bearer {settings['api_key']}"}
    call = _Call(url, request, headers, timeout)
    try:
        status, body = call.within(timeout)
    except httpx.TimeoutException:
        seconds = f"{timeout:g}"  # outside _(): the extractor reports an f-string argument
        raise AssistError(
            _("The writing assistant did not answer within %(seconds)s seconds.", seconds=seconds)
        ) from None
    except _TooLong:
        raise AssistError(_("The writing assistant's reply was too long to read.")) from None
    except httpx.HTTPError:
        raise AssistError(_("The writing assistant could not be reached.")) from None
    if status != 200:
        raise AssistError(
            _("The writing assistant answered with an error (HTTP %(status)s).", status=status)
        )
    return _text_of(body)


class _TooLong(Exception):
    pass


class _Call:
    """One POST, made in a thread of its own so that the page waits for it ``timeout`` at most.

    httpx's timeouts are per phase and per read: a provider dripping its headers or its body a
    byte at a time passes each of them. Waiting for the thread with one deadline, then closing
    the client (which ends its socket reads), bounds the whole call; no library does this for a
    synchronous client.
    """

    def __init__(self, url: str, request: dict, headers: dict, timeout: float) -> None:
        self.url, self.request, self.headers = url, request, headers
        self.client = httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=False)
        self.outcome: tuple[int, bytes] | BaseException | None = None

    def within(self, timeout: float) -> tuple[int, bytes]:
        worker = threading.Thread(target=self._run, daemon=True)
        worker.start()
        worker.join(timeout)
        if worker.is_alive():
            self.client.close()  # the thread's read fails and it ends; its outcome is ignored
            raise httpx.ReadTimeout("the call took longer than the timeout")
        if isinstance(self.outcome, BaseException) or self.outcome is None:
            raise self.outcome or httpx.ReadTimeout("no outcome")  # _run always sets one
        return self.outcome

    def _run(self) -> None:
        try:
            with (
                self.client,
                self.client.stream(
                    "POST", self.url, json=self.request, headers=self.headers
                ) as response,
            ):
                body = _read_bounded(response) if response.status_code == 200 else b""
                self.outcome = (response.status_code, body)
        except Exception as e:  # handed to the waiting request, which turns it into a message
            self.outcome = e


def _read_bounded(response: httpx.Response) -> bytes:
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > MAX_REPLY_BYTES:
            raise _TooLong
        chunks.append(chunk)
    return b"".join(chunks)


def _text_of(body: bytes) -> str:
    """The first choice's text, from an OpenAI-style reply."""
    try:
        reply: Any = json.loads(body)
        text = reply["choices"][0]["message"]["content"]
    except (ValueError, LookupError, TypeError):
        text = None
    if not isinstance(text, str) or not text.strip():
        raise AssistError(_("The writing assistant's reply could not be read."))
    return text.strip().replace("\x00", "")
