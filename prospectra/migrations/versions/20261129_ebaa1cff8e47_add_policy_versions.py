"""add policy versions

Revision ID: ebaa1cff8e47
Revises: 49df87906223
Create Date: 2026-11-29 04:29:33.977934

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'ebaa1cff8e47'
down_revision = '49df87906223'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('policy_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.String(length=32), nullable=False),
    sa.Column('in_force_since', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changes', sa.String(length=2000), nullable=False),
    sa.Column('declaration', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('version')
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('policy_version_seen', sa.String(length=32), nullable=True))



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('policy_version_seen')

    op.drop_table('policy_versions')
