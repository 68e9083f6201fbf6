"""api tokens: the first characters of each new token, so that a list of tokens can say
which is which (the token itself is stored only as its sha256)

Revision ID: b3d9e1f27a60
Revises: 7a4e2b9c1d05
Create Date: 2026-12-03 15:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b3d9e1f27a60'
down_revision = '7a4e2b9c1d05'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token_prefix', sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('token_prefix')
