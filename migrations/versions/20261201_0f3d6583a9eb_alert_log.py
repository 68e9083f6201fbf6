"""alert log

Revision ID: 0f3d6583a9eb
Revises: a2bc2314ac25
Create Date: 2026-12-01 15:07:48.021471

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0f3d6583a9eb'
down_revision = 'a2bc2314ac25'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('alert_logs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('message', sa.String(length=500), nullable=False),
    sa.Column('channels', sa.String(length=80), nullable=False),
    sa.Column('delivered', sa.Boolean(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_logs'))
    )
    with op.batch_alter_table('alert_logs', schema=None) as batch_op:
        batch_op.create_index('ix_alert_logs_key_sent', ['key', 'sent_at'], unique=False)



def downgrade():
    with op.batch_alter_table('alert_logs', schema=None) as batch_op:
        batch_op.drop_index('ix_alert_logs_key_sent')

    op.drop_table('alert_logs')
