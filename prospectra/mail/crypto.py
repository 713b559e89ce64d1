"""Encryption at rest of the SMTP passwords users save, with Fernet (AES-128-CBC + HMAC-SHA256).

Fernet rather than hand-assembled AES-GCM: it authenticates, carries its own IV and version, and
MultiFernet gives key rotation (``[mail] previous_encryption_keys``) for free.
"""

from __future__ import annotations

from typing import Any

from cryptography.fernet import Fernet
from cryptography.fernet import InvalidToken
from cryptography.fernet import MultiFernet

from .. import sealing
from .. import state

_DERIVATION_INFO = b"prospectra: SMTP relay passwords"


def derived_key(secret_key: str | bytes) -> bytes:
    """The development default: a Fernet key derived from the app's secret key (HKDF-SHA256)."""
    return sealing.derived_key(secret_key, _DERIVATION_INFO)


def cipher(mail: dict[str, Any], secret_key: str | bytes) -> MultiFernet:
    """The cipher of ``[mail]``'s keys (validated by the settings loader), or of the development
    default derived from the secret key; previous keys still open what they sealed."""
    current = (
        sealing.parse_key(mail["encryption_key"])
        if mail["encryption_key"]
        else Fernet(derived_key(secret_key))
    )
    previous = [sealing.parse_key(key) for key in mail["previous_encryption_keys"]]
    return MultiFernet([current, *previous])


def encrypt(password: str) -> str:
    """Return the password sealed with the current key."""
    return state.current().mail_fernet.encrypt(password.encode()).decode()


def decrypt(token: str) -> str | None:
    """Return the password, or None when no configured key can open it (the key changed)."""
    try:
        return state.current().mail_fernet.decrypt(token.encode()).decode()
    except InvalidToken:
        return None
