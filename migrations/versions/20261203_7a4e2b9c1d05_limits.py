"""limits: a model's provider limits (calls in flight, requests and tokens per minute) and
an account's own limit on items in flight

Revision ID: 7a4e2b9c1d05
Revises: 5e1c0a7d9b21
Create Date: 2026-12-03 09:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7a4e2b9c1d05'
down_revision = '5e1c0a7d9b21'
branch_labels = None
depends_on = None

MODEL_LIMITS = ('max_concurrency', 'requests_per_minute', 'tokens_per_minute')


def upgrade():
    with op.batch_alter_table('ai_model_configs', schema=None) as batch_op:
        for name in MODEL_LIMITS:
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=True))
            batch_op.create_check_constraint(
                f'{name}_positive', f'{name} IS NULL OR {name} > 0'
            )
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('max_concurrency', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            'max_concurrency_positive',
            'max_concurrency IS NULL OR max_concurrency > 0',
        )


def downgrade():
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_constraint('max_concurrency_positive', type_='check')
        batch_op.drop_column('max_concurrency')
    with op.batch_alter_table('ai_model_configs', schema=None) as batch_op:
        for name in MODEL_LIMITS:
            batch_op.drop_constraint(f'{name}_positive', type_='check')
            batch_op.drop_column(name)
