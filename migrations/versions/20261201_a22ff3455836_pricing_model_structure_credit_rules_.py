"""pricing model: structure, credit rules, usage parts

Existing price rows are marked as an admin's (`prices sync` leaves them alone unless
--force); existing usage rows have no image or 1-hour cache tokens.

Revision ID: a22ff3455836
Revises: e5593ca5e0d8
Create Date: 2026-12-01 14:24:38.916396

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a22ff3455836'
down_revision = 'e5593ca5e0d8'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ai_model_configs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pricing', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('credit_rule', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('credits_per_usd', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('image_credits', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('request_options', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('end_of_life', sa.Date(), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_ai_model_configs_credit_rule'),
            "credit_rule IS NULL OR credit_rule IN ('tokens', 'images', 'cost')",
        )
        batch_op.create_check_constraint(
            op.f('ck_ai_model_configs_credits_per_usd_positive'),
            'credits_per_usd IS NULL OR credits_per_usd > 0',
        )

    with op.batch_alter_table('credit_usage_logs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cache_write_1h_tokens', sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column('image_input_tokens', sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column('cached_image_input_tokens', sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column('image_output_tokens', sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column('service_tier', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('image_size', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('image_quality', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('prices_used', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('price_tier', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('price_note', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('cost_usd_cached', sa.Numeric(precision=20, scale=8), nullable=True))
        batch_op.add_column(sa.Column('cost_usd_cache_write', sa.Numeric(precision=20, scale=8), nullable=True))
        batch_op.add_column(sa.Column('cost_usd_images', sa.Numeric(precision=20, scale=8), nullable=True))
        batch_op.add_column(sa.Column('cost_usd_reported', sa.Numeric(precision=20, scale=8), nullable=True))

    with op.batch_alter_table('model_prices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pricing', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('source', sa.String(length=20), nullable=False, server_default='admin'))
        batch_op.create_check_constraint(
            op.f('ck_model_prices_source'), "source IN ('plugin', 'sync', 'admin')"
        )



def downgrade():
    with op.batch_alter_table('model_prices', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_model_prices_source'), type_='check')
        batch_op.drop_column('source')
        batch_op.drop_column('pricing')

    with op.batch_alter_table('credit_usage_logs', schema=None) as batch_op:
        batch_op.drop_column('cost_usd_reported')
        batch_op.drop_column('cost_usd_images')
        batch_op.drop_column('cost_usd_cache_write')
        batch_op.drop_column('cost_usd_cached')
        batch_op.drop_column('price_note')
        batch_op.drop_column('price_tier')
        batch_op.drop_column('prices_used')
        batch_op.drop_column('image_quality')
        batch_op.drop_column('image_size')
        batch_op.drop_column('service_tier')
        batch_op.drop_column('image_output_tokens')
        batch_op.drop_column('cached_image_input_tokens')
        batch_op.drop_column('image_input_tokens')
        batch_op.drop_column('cache_write_1h_tokens')

    with op.batch_alter_table('ai_model_configs', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_ai_model_configs_credits_per_usd_positive'), type_='check')
        batch_op.drop_constraint(op.f('ck_ai_model_configs_credit_rule'), type_='check')
        batch_op.drop_column('end_of_life')
        batch_op.drop_column('request_options')
        batch_op.drop_column('image_credits')
        batch_op.drop_column('credits_per_usd')
        batch_op.drop_column('credit_rule')
        batch_op.drop_column('pricing')

