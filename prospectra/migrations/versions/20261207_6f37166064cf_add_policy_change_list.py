"""add policy change list

Revision ID: 6f37166064cf
Revises: 6a8969fb520b
Create Date: 2026-12-07 10:21:06.650024

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6f37166064cf'
down_revision = '6a8969fb520b'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('policy_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('change_list', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('policy_versions', schema=None) as batch_op:
        batch_op.drop_column('change_list')
