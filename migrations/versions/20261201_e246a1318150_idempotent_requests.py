"""idempotent requests

A write sent with an Idempotency-Key is claimed, then its answer kept for retries.

Revision ID: e246a1318150
Revises: 9c6c7e4c84c7
Create Date: 2026-12-01 18:06:00.575259

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e246a1318150'
down_revision = '9c6c7e4c84c7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('idempotent_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('content_type', sa.String(length=100), nullable=True),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("state IN ('pending', 'done')", name=op.f('ck_idempotent_requests_state')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_idempotent_requests_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotent_requests')),
    sa.UniqueConstraint('account_id', 'key', name=op.f('uq_idempotent_requests_account_id_key'))
    )


def downgrade():
    op.drop_table('idempotent_requests')
