"""report indexes

Cost Analysis reads the most expensive calls of each operation from the top of
ix_credit_usage_logs_operation_cost; reports group the rollup by day and model in the
order of ix_usage_daily_day_model (which replaces the day-only index).

Revision ID: 4182ce70891e
Revises: 757a36be8195
Create Date: 2026-12-01 17:23:50.233259

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '4182ce70891e'
down_revision = '757a36be8195'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('credit_usage_logs', schema=None) as batch_op:
        batch_op.create_index('ix_credit_usage_logs_operation_cost', ['operation', 'cost_usd_total'], unique=False)
    with op.batch_alter_table('usage_daily', schema=None) as batch_op:
        batch_op.drop_index('ix_usage_daily_day')
        batch_op.create_index('ix_usage_daily_day_model', ['day', 'model_config_id'], unique=False)


def downgrade():
    with op.batch_alter_table('usage_daily', schema=None) as batch_op:
        batch_op.drop_index('ix_usage_daily_day_model')
        batch_op.create_index('ix_usage_daily_day', ['day'], unique=False)
    with op.batch_alter_table('credit_usage_logs', schema=None) as batch_op:
        batch_op.drop_index('ix_credit_usage_logs_operation_cost')
