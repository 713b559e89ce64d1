"""The call to the writing assistant: one POST to ``{base_url}/chat/completions``, by the server.

httpx rather than the standard library: it has a timeout per phase (connection, each read), does
not follow redirects unless told to (the API key is never replayed to another host), and reads a
streamed reply so that its size can be bounded. The reply is also read against a deadline for the
whole call: a provider sending a byte at a time would pass every per-read timeout.
"""

from __future__ import annotations

import json
import time
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
    deadline = time.monotonic() + timeout
    try:
        with (
            httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=False) as client,
            client.stream(
                "POST",
                url,
                json=request,
                headers={"Authorization": f"Bearer {settings['api_key']}"},
            ) as response,
        ):
            if response.status_code != 200:
                raise AssistError(
                    _("The writing assistant answered with an error (HTTP %(status)s).",
                      status=response.status_code)
                )  # fmt: skip
            body = _read_bounded(response, deadline)
    except httpx.TimeoutException:
        raise AssistError(
            _("The writing assistant did not answer within %(seconds)s seconds.",
              seconds=f"{timeout:g}")
        ) from None  # fmt: skip
    except httpx.HTTPError:
        raise AssistError(_("The writing assistant could not be reached.")) from None
    return _text_of(body)


def _read_bounded(response: httpx.Response, deadline: float) -> bytes:
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        if time.monotonic() > deadline:
            raise httpx.ReadTimeout("the reply took longer than the timeout")
        size += len(chunk)
        if size > MAX_REPLY_BYTES:
            raise AssistError(_("The writing assistant's reply was too long to read."))
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
