"""seal login sessions with fernet

The session index sealed each session id with a hand-made XOR pad (HMAC-SHA512 of the secret key);
it now uses Fernet under a key derived from the secret key (prospectra.sealing). The column grows
to hold a Fernet token, and each existing row is opened the old way and sealed the new way, so
that sessions open at the upgrade stay listed and can still be ended from another device. The old
opening is kept here only, as it was.

Revision ID: 8b2f4c6d1e90
Revises: 3c9d5e1a7b42
Create Date: 2026-12-07 13:30:00.000000

"""
import hashlib
import hmac

import sqlalchemy as sa
from alembic import op
from flask import current_app

from prospectra import sealing

# revision identifiers, used by Alembic.
revision = '8b2f4c6d1e90'
down_revision = '3c9d5e1a7b42'
branch_labels = None
depends_on = None

_OLD_CONTEXT = b"prospectra-session-index"
_NEW_PURPOSE = b"prospectra: session index"  # prospectra.sessions.index._SEAL_PURPOSE at this revision


def _old_unseal(secret: bytes, sid_hash: str, sealed_hex: str) -> str | None:
    sealed = bytes.fromhex(sealed_hex)
    pad = hmac.new(secret, _OLD_CONTEXT + sid_hash.encode(), hashlib.sha512).digest()
    if len(sealed) > len(pad):
        return None
    try:
        sid = bytes(a ^ b for a, b in zip(sealed, pad, strict=False)).decode()
    except UnicodeDecodeError:
        return None
    return sid if hashlib.sha256(sid.encode()).hexdigest() == sid_hash else None


def upgrade():
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.alter_column('sealed_sid', existing_type=sa.String(length=128), type_=sa.String(length=255))
    table = sa.table('login_sessions', sa.column('id'), sa.column('sid_hash'), sa.column('sealed_sid'))
    connection = op.get_bind()
    rows = connection.execute(sa.select(table.c.id, table.c.sid_hash, table.c.sealed_sid)).all()
    if not rows:
        return
    key = current_app.secret_key
    secret = key.encode() if isinstance(key, str) else key
    fernet = sealing.derived_fernet((key,), _NEW_PURPOSE)
    for row in rows:
        sid = _old_unseal(secret, row.sid_hash, row.sealed_sid)
        if sid is None:  # sealed under another secret key: no cookie can reach that record now
            connection.execute(sa.delete(table).where(table.c.id == row.id))
        else:
            connection.execute(
                sa.update(table).where(table.c.id == row.id)
                .values(sealed_sid=fernet.encrypt(sid.encode()).decode())
            )


def downgrade():
    # The old sealing is not rebuilt: the listings go (their sessions stay valid until they expire).
    op.execute("DELETE FROM login_sessions")
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.alter_column('sealed_sid', existing_type=sa.String(length=255), type_=sa.String(length=128))
