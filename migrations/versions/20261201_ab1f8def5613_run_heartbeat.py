"""run heartbeat: when the worker last showed a run was alive (the stale-run sweep reads it)

Revision ID: ab1f8def5613
Revises: 1362ee84f8f5
Create Date: 2026-12-01 22:30:55.317662

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'ab1f8def5613'
down_revision = '1362ee84f8f5'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('operation_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('heartbeat_at', sa.DateTime(), nullable=True))



def downgrade():
    with op.batch_alter_table('operation_runs', schema=None) as batch_op:
        batch_op.drop_column('heartbeat_at')

