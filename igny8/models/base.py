"""Column helpers shared by the model files."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, Numeric, text
from sqlalchemy.orm import Mapped, mapped_column

from ..timeutil import utcnow

# Unit prices (USD per 1k tokens, per image) and amounts of money (USD).
# Numeric on PostgreSQL is exact; on SQLite SQLAlchemy rounds to the scale on read.
Price = Numeric(20, 10, asdecimal=True)
Money = Numeric(20, 8, asdecimal=True)
# Tokens, images and credits, and their sums: 64-bit, so that a big call or a busy day
# cannot overflow a settlement. SQLite's INTEGER is 64-bit already (by that name).
Count = BigInteger().with_variant(Integer(), "sqlite")

ZERO = Decimal("0")


def pk() -> Mapped[int]:
    return mapped_column(primary_key=True)


def created_at() -> Mapped[datetime]:
    return mapped_column(DateTime, default=utcnow, nullable=False)


def updated_at() -> Mapped[datetime]:
    return mapped_column(DateTime, default=utcnow, onupdate=utcnow, nullable=False)


def account_fk(nullable: bool = False, index: bool = True, money: bool = False) -> Mapped[int]:
    """The owning account. Money records (``money``) keep their account: the database
    refuses to delete an account that has any (archive it instead)."""
    return mapped_column(
        ForeignKey("accounts.id", ondelete="RESTRICT" if money else "CASCADE"),
        nullable=nullable,
        index=index,
    )


def one_of(column: str, values) -> str:
    """SQL for a CHECK that ``column`` takes one of ``values``."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


def unique_where(name: str, *columns: str, condition: str) -> Index:
    """A partial unique index: ``columns`` are unique among the rows matching ``condition``."""
    where = text(condition)
    return Index(name, *columns, unique=True, sqlite_where=where, postgresql_where=where)
