"""create users and sessions

Revision ID: ab5cf6df53cd
Revises:
Create Date: 2026-11-29 03:46:06.858236

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'ab5cf6df53cd'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('email')
    )
    # Flask-Session's table (its SqlAlchemySessionInterface model), written by hand: the library
    # creates it itself when missing, so it is created here only if absent, with the index on
    # expiry that its cleanup query needs.
    if not sa.inspect(op.get_bind()).has_table('sessions'):
        op.create_table('sessions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('session_id', sa.String(length=255), nullable=True),
        sa.Column('data', sa.LargeBinary(), nullable=True),
        sa.Column('expiry', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('session_id')
        )
    op.create_index('ix_sessions_expiry', 'sessions', ['expiry'])


def downgrade():
    op.drop_index('ix_sessions_expiry', table_name='sessions')
    op.drop_table('sessions')
    op.drop_table('users')
