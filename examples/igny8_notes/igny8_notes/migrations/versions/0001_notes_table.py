"""notes table: the first revision of the igny8_notes plugin's own branch

Revision ID: 0001notes
Revises:
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0001notes"
down_revision = None
branch_labels = ("igny8_notes",)
depends_on = "14101dc7f1c4"  # the core's initial schema: accounts and sites exist


def upgrade():
    op.create_table(
        "notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_notes_account_id_accounts"
        ),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name="fk_notes_site_id_sites"),
        sa.PrimaryKeyConstraint("id", name="pk_notes"),
    )
    op.create_index("ix_notes_account_id", "notes", ["account_id"])


def downgrade():
    op.drop_index("ix_notes_account_id", table_name="notes")
    op.drop_table("notes")
