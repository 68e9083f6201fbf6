"""wide counts: token, image and credit columns and every rollup sum are 64-bit, so a big
call or a busy day cannot overflow a settlement (a failed settlement used to leave its
hold behind on PostgreSQL)

Revision ID: f5b7c9d1e3a2
Revises: e2f4a6b8c0d1
Create Date: 2026-12-04 18:30:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "f5b7c9d1e3a2"
down_revision = "e2f4a6b8c0d1"
branch_labels = None
depends_on = None

TOKENS = (
    "input_tokens",
    "cached_input_tokens",
    "cache_write_tokens",
    "output_tokens",
    "reasoning_tokens",
    "image_input_tokens",
    "image_output_tokens",
    "images",
)
CREDITS = ("credits_used", "credits_unbilled")
WIDENED = {
    "credit_transactions": ("amount", "balance_after"),
    "credit_usage_logs": (
        *TOKENS,
        "cache_write_1h_tokens",
        "cached_image_input_tokens",
        *CREDITS,
    ),
    "usage_daily": ("calls", *TOKENS, *CREDITS),
    "operation_runs": ("credits_used",),
    "accounts": ("credits",),
    "plans": ("monthly_credits",),
}


def _alter(old, new):
    # SQLite's INTEGER is 64-bit whatever it is called: only the name would change, and
    # renaming it means copying each table (batch mode).
    if op.get_bind().dialect.name == "sqlite":
        return
    for table, columns in WIDENED.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.alter_column(column, existing_type=old(), type_=new())


def upgrade():
    _alter(sa.Integer, sa.BigInteger)


def downgrade():
    _alter(sa.BigInteger, sa.Integer)
