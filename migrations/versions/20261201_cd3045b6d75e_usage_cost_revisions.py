"""usage cost revisions

Revision ID: cd3045b6d75e
Revises: a22ff3455836
Create Date: 2026-12-01 14:33:47.108598

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'cd3045b6d75e'
down_revision = 'a22ff3455836'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('usage_cost_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('usage_id', sa.Integer(), nullable=False),
    sa.Column('old_cost_usd_total', sa.Numeric(precision=20, scale=8), nullable=True),
    sa.Column('new_cost_usd_total', sa.Numeric(precision=20, scale=8), nullable=False),
    sa.Column('before', sa.JSON(), nullable=False),
    sa.Column('after', sa.JSON(), nullable=False),
    sa.Column('price_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['price_id'], ['model_prices.id'], name=op.f('fk_usage_cost_revisions_price_id_model_prices'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['usage_id'], ['credit_usage_logs.id'], name=op.f('fk_usage_cost_revisions_usage_id_credit_usage_logs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_usage_cost_revisions'))
    )
    with op.batch_alter_table('usage_cost_revisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_usage_cost_revisions_usage_id'), ['usage_id'], unique=False)



def downgrade():
    with op.batch_alter_table('usage_cost_revisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_usage_cost_revisions_usage_id'))

    op.drop_table('usage_cost_revisions')
