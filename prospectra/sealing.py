"""Fernet keys derived from the app's secret key, one per purpose (HKDF-SHA256).

Fernet rather than hand-assembled AES: it authenticates, carries its own IV and version, and
MultiFernet opens tokens sealed under a previous key while sealing under the current one.
"""

from __future__ import annotations

import base64
import functools

from cryptography.fernet import Fernet
from cryptography.fernet import MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def parse_key(key: str) -> Fernet:
    """Return the Fernet for a configured key.

    :raises ValueError: the key is not 32 url-safe base64-encoded bytes.
    """
    return Fernet(key.encode())


def derived_key(secret_key: str | bytes, purpose: bytes) -> bytes:
    """A Fernet key for ``purpose``, derived from ``secret_key``: one key never serves two uses."""
    secret = secret_key.encode() if isinstance(secret_key, str) else secret_key
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret)
    return base64.urlsafe_b64encode(raw)


@functools.lru_cache(maxsize=16)
def derived_fernet(secret_keys: tuple[str | bytes, ...], purpose: bytes) -> MultiFernet:
    """Seal under the first key's derivation; open under any (key rotation). Built once per keys."""
    return MultiFernet([Fernet(derived_key(key, purpose)) for key in secret_keys])
