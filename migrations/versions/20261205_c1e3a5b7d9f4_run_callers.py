"""run callers: the API token (or browser session) and the user whose request started a
run, so that spend can be told per token and per user

Revision ID: c1e3a5b7d9f4
Revises: b9d1f3a5c7e2
Create Date: 2026-12-05 10:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "c1e3a5b7d9f4"
down_revision = "b9d1f3a5c7e2"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("operation_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("api_token_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("user_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_operation_runs_api_token_id_api_tokens",
            "api_tokens",
            ["api_token_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            "fk_operation_runs_user_id_users", "users", ["user_id"], ["id"], ondelete="SET NULL"
        )


def downgrade():
    with op.batch_alter_table("operation_runs", schema=None) as batch_op:
        batch_op.drop_constraint("fk_operation_runs_user_id_users", type_="foreignkey")
        batch_op.drop_constraint("fk_operation_runs_api_token_id_api_tokens", type_="foreignkey")
        batch_op.drop_column("user_id")
        batch_op.drop_column("api_token_id")
