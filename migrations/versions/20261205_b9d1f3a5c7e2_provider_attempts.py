"""provider attempts: how many attempts each call made (retries included) and what each
failed one answered (error code, HTTP status, milliseconds), so that retries show

Revision ID: b9d1f3a5c7e2
Revises: a8c2e4f6b1d3
Create Date: 2026-12-05 09:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "b9d1f3a5c7e2"
down_revision = "a8c2e4f6b1d3"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("credit_usage_logs", schema=None) as batch_op:
        # Rows written before this recorded one attempt each, as far as anyone knows.
        batch_op.add_column(
            sa.Column("attempts", sa.Integer(), nullable=False, server_default="1")
        )
        batch_op.add_column(sa.Column("failed_attempts", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("credit_usage_logs", schema=None) as batch_op:
        batch_op.drop_column("failed_attempts")
        batch_op.drop_column("attempts")
