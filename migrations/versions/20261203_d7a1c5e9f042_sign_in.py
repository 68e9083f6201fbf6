"""sign-in: each user's role in its account (owner, editor, viewer) and last sign-in;
browser sessions kept as tokens of kind "session" with an expiry

Revision ID: d7a1c5e9f042
Revises: c4e8f1a2b3d7
Create Date: 2026-12-03 17:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd7a1c5e9f042'
down_revision = 'c4e8f1a2b3d7'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        # Every user before roles had an account's full powers: owners.
        batch_op.add_column(
            sa.Column('role', sa.String(length=10), nullable=False, server_default='owner')
        )
        batch_op.add_column(sa.Column('last_sign_in_at', sa.DateTime(), nullable=True))
        batch_op.create_check_constraint('role', "role IN ('owner', 'editor', 'viewer')")
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('kind', sa.String(length=10), nullable=False, server_default='api')
        )
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(), nullable=True))
        batch_op.create_check_constraint('kind', "kind IN ('api', 'session')")


def downgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_constraint('kind', type_='check')
        batch_op.drop_column('expires_at')
        batch_op.drop_column('kind')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint('role', type_='check')
        batch_op.drop_column('last_sign_in_at')
        batch_op.drop_column('role')
