"""daily usage rollup

Filled from the usage already logged; from now on the meter adds each call.

Revision ID: 757a36be8195
Revises: 0f3d6583a9eb
Create Date: 2026-12-01 15:20:02.157816

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '757a36be8195'
down_revision = '0f3d6583a9eb'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('usage_daily',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('model_config_id', sa.Integer(), nullable=False),
    sa.Column('operation', sa.String(length=60), nullable=False),
    sa.Column('provider', sa.String(length=40), nullable=False),
    sa.Column('price_tier', sa.String(length=80), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('calls', sa.Integer(), nullable=False),
    sa.Column('input_tokens', sa.Integer(), nullable=False),
    sa.Column('cached_input_tokens', sa.Integer(), nullable=False),
    sa.Column('cache_write_tokens', sa.Integer(), nullable=False),
    sa.Column('output_tokens', sa.Integer(), nullable=False),
    sa.Column('reasoning_tokens', sa.Integer(), nullable=False),
    sa.Column('image_input_tokens', sa.Integer(), nullable=False),
    sa.Column('image_output_tokens', sa.Integer(), nullable=False),
    sa.Column('images', sa.Integer(), nullable=False),
    sa.Column('credits_used', sa.Integer(), nullable=False),
    sa.Column('credits_unbilled', sa.Integer(), nullable=False),
    sa.Column('cost_usd_total', sa.Numeric(precision=20, scale=8), nullable=False),
    sa.Column('cost_usd_input', sa.Numeric(precision=20, scale=8), nullable=False),
    sa.Column('cost_usd_cached', sa.Numeric(precision=20, scale=8), nullable=False),
    sa.Column('cost_usd_cache_write', sa.Numeric(precision=20, scale=8), nullable=False),
    sa.Column('cost_usd_output', sa.Numeric(precision=20, scale=8), nullable=False),
    sa.Column('cost_usd_images', sa.Numeric(precision=20, scale=8), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_usage_daily')),
    sa.UniqueConstraint('day', 'account_id', 'model_config_id', 'operation', 'provider', 'price_tier', 'status', name='uq_usage_daily_key')
    )
    with op.batch_alter_table('usage_daily', schema=None) as batch_op:
        batch_op.create_index('ix_usage_daily_day', ['day'], unique=False)

    # The rollup of the usage already logged.
    counts = ["input_tokens", "cached_input_tokens", "cache_write_tokens", "output_tokens",
              "reasoning_tokens", "image_input_tokens", "image_output_tokens", "images",
              "credits_used", "credits_unbilled"]
    money = ["cost_usd_total", "cost_usd_input", "cost_usd_cached", "cost_usd_cache_write",
             "cost_usd_output", "cost_usd_images"]
    keys = ["date(created_at)", "account_id", "coalesce(model_config_id, 0)", "operation",
            "provider", "coalesce(price_tier, '')", "status"]
    op.execute(
        "INSERT INTO usage_daily (day, account_id, model_config_id, operation, provider, "
        "price_tier, status, calls, " + ", ".join(counts + money) + ") "
        "SELECT " + ", ".join(keys) + ", count(*), "
        + ", ".join(f"coalesce(sum({c}), 0)" for c in counts + money)
        + " FROM credit_usage_logs GROUP BY " + ", ".join(keys)
    )



def downgrade():
    with op.batch_alter_table('usage_daily', schema=None) as batch_op:
        batch_op.drop_index('ix_usage_daily_day')

    op.drop_table('usage_daily')
