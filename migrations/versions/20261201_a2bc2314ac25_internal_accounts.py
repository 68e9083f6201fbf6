"""internal accounts

Revision ID: a2bc2314ac25
Revises: 6d08a36866b0
Create Date: 2026-12-01 15:05:04.161725

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a2bc2314ac25'
down_revision = '6d08a36866b0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_internal', sa.Boolean(), nullable=False, server_default=sa.false()))



def downgrade():
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_column('is_internal')

