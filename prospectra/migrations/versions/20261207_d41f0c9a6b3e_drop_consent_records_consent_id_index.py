"""drop the consent records' consent_id index

Nothing looks a record up by its consent id (an audit that does can afford a scan), while the
random ids put every deleted row's index entry on a page of its own: on SQLite the retention
purge wrote about one index page per row, 18,000 rows/s on a million records, 180,000 without it.

Revision ID: d41f0c9a6b3e
Revises: 8b2f4c6d1e90
Create Date: 2026-12-07 13:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd41f0c9a6b3e'
down_revision = '8b2f4c6d1e90'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('consent_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consent_records_consent_id'))


def downgrade():
    with op.batch_alter_table('consent_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_records_consent_id'), ['consent_id'], unique=False)
