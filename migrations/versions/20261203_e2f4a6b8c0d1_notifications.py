"""notifications: an account's low balance and its failed or partial runs, for its users

Revision ID: e2f4a6b8c0d1
Revises: d7a1c5e9f042
Create Date: 2026-12-03 17:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e2f4a6b8c0d1'
down_revision = 'd7a1c5e9f042'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'notifications',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('message', sa.String(length=500), nullable=False),
        sa.Column('run_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('read_at', sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('low_balance', 'run_failed', 'run_partial')",
            name=op.f('ck_notifications_kind'),
        ),
        sa.ForeignKeyConstraint(
            ['account_id'], ['accounts.id'],
            name=op.f('fk_notifications_account_id_accounts'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['run_id'], ['operation_runs.id'],
            name=op.f('fk_notifications_run_id_operation_runs'), ondelete='SET NULL',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    )
    op.create_index(
        op.f('ix_notifications_account_id'), 'notifications', ['account_id'], unique=False
    )


def downgrade():
    op.drop_index(op.f('ix_notifications_account_id'), table_name='notifications')
    op.drop_table('notifications')
