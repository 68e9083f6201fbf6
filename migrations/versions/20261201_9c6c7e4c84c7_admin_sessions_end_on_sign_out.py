"""admin sessions end on sign-out

A session carries the user's nonce; signing out or a new password replaces it.

Revision ID: 9c6c7e4c84c7
Revises: 4182ce70891e
Create Date: 2026-12-01 18:00:13.264180

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9c6c7e4c84c7'
down_revision = '4182ce70891e'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_nonce', sa.String(length=32), nullable=True))



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_nonce')

