"""wire charges: a usage row's server-tool requests and their fees (a sixth cost part, in
the daily rollup too), its speed and inference geography, and the images a provider's
reported cost leaves out

Revision ID: a8c2e4f6b1d3
Revises: f5b7c9d1e3a2
Create Date: 2026-12-04 18:40:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "a8c2e4f6b1d3"
down_revision = "f5b7c9d1e3a2"
branch_labels = None
depends_on = None

COUNT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
MONEY = sa.Numeric(20, 8, asdecimal=True)


def upgrade():
    with op.batch_alter_table("credit_usage_logs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("speed", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("inference_geo", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("tool_requests", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column("unreported_images", COUNT, nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("cost_usd_tools", MONEY, nullable=True))
    with op.batch_alter_table("usage_daily", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cost_usd_tools", MONEY, nullable=False, server_default="0"))


def downgrade():
    with op.batch_alter_table("usage_daily", schema=None) as batch_op:
        batch_op.drop_column("cost_usd_tools")
    with op.batch_alter_table("credit_usage_logs", schema=None) as batch_op:
        for column in (
            "cost_usd_tools",
            "unreported_images",
            "tool_requests",
            "inference_geo",
            "speed",
        ):
            batch_op.drop_column(column)
