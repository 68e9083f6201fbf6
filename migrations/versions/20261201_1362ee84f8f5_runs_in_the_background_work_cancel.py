"""runs in the background: the run's work items, a cancel flag, the cancelled status, the run an idempotent request queued

Revision ID: 1362ee84f8f5
Revises: e246a1318150
Create Date: 2026-12-01 21:34:48.146115

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1362ee84f8f5'
down_revision = 'e246a1318150'
branch_labels = None
depends_on = None

BEFORE = "status IN ('queued', 'running', 'succeeded', 'partial', 'failed')"
AFTER = "status IN ('queued', 'running', 'succeeded', 'partial', 'failed', 'cancelled')"


def upgrade():
    with op.batch_alter_table('operation_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('work', sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column('cancel_requested', sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.drop_constraint('status', type_='check')
        batch_op.create_check_constraint('status', AFTER)
    with op.batch_alter_table('idempotent_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('run_id', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('idempotent_requests', schema=None) as batch_op:
        batch_op.drop_column('run_id')
    op.execute("UPDATE operation_runs SET status = 'failed' WHERE status = 'cancelled'")
    with op.batch_alter_table('operation_runs', schema=None) as batch_op:
        batch_op.drop_constraint('status', type_='check')
        batch_op.create_check_constraint('status', BEFORE)
        batch_op.drop_column('cancel_requested')
        batch_op.drop_column('work')
