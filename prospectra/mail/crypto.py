"""Encryption at rest of the SMTP passwords users save, with Fernet (AES-128-CBC + HMAC-SHA256).

Fernet rather than hand-assembled AES-GCM: it authenticates, carries its own IV and version, and
MultiFernet gives key rotation (``[mail] previous_encryption_keys``) for free.
"""

from __future__ import annotations

from cryptography.fernet import Fernet
from cryptography.fernet import InvalidToken
from cryptography.fernet import MultiFernet
from flask import Flask
from flask import current_app

from .. import sealing

_EXTENSION = "prospectra.mail_fernet"
_DERIVATION_INFO = b"prospectra: SMTP relay passwords"


def parse_key(key: str) -> Fernet:
    """Return the Fernet for a configured key.

    :raises ValueError: the key is not 32 url-safe base64-encoded bytes.
    """
    return Fernet(key.encode())


def derived_key(secret_key: str | bytes) -> bytes:
    """The development default: a Fernet key derived from the app's secret key (HKDF-SHA256)."""
    return sealing.derived_key(secret_key, _DERIVATION_INFO)


def init_app(app: Flask) -> None:
    """Build the cipher from ``[mail]`` (keys already validated by the settings loader)."""
    mail = app.config["PROSPECTRA"]["mail"]
    current = (
        parse_key(mail["encryption_key"])
        if mail["encryption_key"]
        else Fernet(derived_key(app.secret_key))
    )
    previous = [parse_key(key) for key in mail["previous_encryption_keys"]]
    app.extensions[_EXTENSION] = MultiFernet([current, *previous])


def encrypt(password: str) -> str:
    """Return the password sealed with the current key."""
    return current_app.extensions[_EXTENSION].encrypt(password.encode()).decode()


def decrypt(token: str) -> str | None:
    """Return the password, or None when no configured key can open it (the key changed)."""
    try:
        return current_app.extensions[_EXTENSION].decrypt(token.encode()).decode()
    except InvalidToken:
        return None
