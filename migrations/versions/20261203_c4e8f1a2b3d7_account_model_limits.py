"""account model limits: an account's own limits on a model (calls in flight, requests and
tokens per minute), enforced besides the model's

Revision ID: c4e8f1a2b3d7
Revises: b3d9e1f27a60
Create Date: 2026-12-03 16:40:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "c4e8f1a2b3d7"
down_revision = "b3d9e1f27a60"
branch_labels = None
depends_on = None

LIMITS = ("max_concurrency", "requests_per_minute", "tokens_per_minute")


def upgrade():
    op.create_table(
        "account_model_limits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=True) for name in LIMITS),
        *(
            sa.CheckConstraint(
                f"{name} IS NULL OR {name} > 0",
                name=op.f(f"ck_account_model_limits_{name}_positive"),
            )
            for name in LIMITS
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_account_model_limits_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["ai_model_configs.id"],
            name=op.f("fk_account_model_limits_model_id_ai_model_configs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_model_limits")),
        sa.UniqueConstraint("account_id", "model_id", name="uq_account_model_limits"),
    )


def downgrade():
    op.drop_table("account_model_limits")
