"""append-only money: admin audit log, archived accounts, billing rows keep their account

Revision ID: 6d08a36866b0
Revises: cd3045b6d75e
Create Date: 2026-12-01 14:48:54.387254

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6d08a36866b0'
down_revision = 'cd3045b6d75e'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('admin_audit_logs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('user_email', sa.String(length=255), nullable=True),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('target', sa.String(length=80), nullable=False),
    sa.Column('target_id', sa.String(length=40), nullable=True),
    sa.Column('summary', sa.String(length=300), nullable=False),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_admin_audit_logs_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_admin_audit_logs'))
    )
    with op.batch_alter_table('admin_audit_logs', schema=None) as batch_op:
        batch_op.create_index('ix_admin_audit_logs_target', ['target', 'target_id'], unique=False)

    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('archived_at', sa.DateTime(), nullable=True))

    with op.batch_alter_table('credit_transactions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_credit_transactions_account_id_accounts'), type_='foreignkey')
        batch_op.create_foreign_key(batch_op.f('fk_credit_transactions_account_id_accounts'), 'accounts', ['account_id'], ['id'], ondelete='RESTRICT')

    with op.batch_alter_table('credit_usage_logs', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_credit_usage_logs_account_id_accounts'), type_='foreignkey')
        batch_op.create_foreign_key(batch_op.f('fk_credit_usage_logs_account_id_accounts'), 'accounts', ['account_id'], ['id'], ondelete='RESTRICT')

    with op.batch_alter_table('operation_runs', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_operation_runs_account_id_accounts'), type_='foreignkey')
        batch_op.create_foreign_key(batch_op.f('fk_operation_runs_account_id_accounts'), 'accounts', ['account_id'], ['id'], ondelete='RESTRICT')



def downgrade():
    with op.batch_alter_table('operation_runs', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_operation_runs_account_id_accounts'), type_='foreignkey')
        batch_op.create_foreign_key(batch_op.f('fk_operation_runs_account_id_accounts'), 'accounts', ['account_id'], ['id'], ondelete='CASCADE')

    with op.batch_alter_table('credit_usage_logs', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_credit_usage_logs_account_id_accounts'), type_='foreignkey')
        batch_op.create_foreign_key(batch_op.f('fk_credit_usage_logs_account_id_accounts'), 'accounts', ['account_id'], ['id'], ondelete='CASCADE')

    with op.batch_alter_table('credit_transactions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_credit_transactions_account_id_accounts'), type_='foreignkey')
        batch_op.create_foreign_key(batch_op.f('fk_credit_transactions_account_id_accounts'), 'accounts', ['account_id'], ['id'], ondelete='CASCADE')

    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_column('archived_at')

    with op.batch_alter_table('admin_audit_logs', schema=None) as batch_op:
        batch_op.drop_index('ix_admin_audit_logs_target')

    op.drop_table('admin_audit_logs')
