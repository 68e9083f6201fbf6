"""The daily usage rollup (models.UsageDaily): one upsert per metered call, in the same
transaction as its usage row; a rebuild and a check against the log for the audit."""

from datetime import date

from sqlalchemy import Integer, bindparam, delete, event, func, select, text
from sqlalchemy.types import Date

from ..models import CreditUsageLog, UsageDaily
from ..models.billing import ROLLUP_COUNTS, ROLLUP_KEYS, ROLLUP_MONEY

LOG = CreditUsageLog
SUMS = (*ROLLUP_COUNTS, *ROLLUP_MONEY)
_COLUMNS = (*ROLLUP_KEYS, *SUMS)


def upsert_sql(rows: str) -> str:
    """INSERT ... ON CONFLICT DO UPDATE (PostgreSQL and SQLite alike) adding the usage rows
    that ``rows`` (a FROM clause naming them, and a WHERE) selects to their days' sums."""
    added = ", ".join(f"{c} = usage_daily.{c} + excluded.{c}" for c in SUMS)
    return (
        f"INSERT INTO usage_daily ({', '.join(_COLUMNS)}) SELECT {FROM_ROW} FROM {rows} "
        f"ON CONFLICT ({', '.join(ROLLUP_KEYS)}) DO UPDATE SET {added}"
    )


# One usage row's share of the rollup, in SQL over the row itself: the one way a call is
# added, whether the meter wrote the row or the ORM did.
FROM_ROW = ", ".join(
    [
        "date(created_at)",
        "account_id",
        "coalesce(model_config_id, 0)",
        "operation",
        "provider",
        "coalesce(price_tier, '')",
        "status",
        "1",
        *(f"coalesce({c}, 0)" for c in SUMS[1:]),
    ]
)
# The share of the usage row with that id (SQLite needs the WHERE: "ON" would be a join).
ADD_ROW = text(upsert_sql("credit_usage_logs WHERE id = :row")).bindparams(
    bindparam("row", type_=Integer())
)


def _grouped(days=None):
    """The rollup rows the usage log sums to, as a SELECT."""
    day = func.date(LOG.created_at, type_=Date)
    keys = (
        day,
        LOG.account_id,
        func.coalesce(LOG.model_config_id, 0),
        LOG.operation,
        LOG.provider,
        func.coalesce(LOG.price_tier, ""),
        LOG.status,
    )
    sums = [func.count(LOG.id)]
    sums += [func.coalesce(func.sum(getattr(LOG, c)), 0) for c in ROLLUP_COUNTS[1:]]
    sums += [func.coalesce(func.sum(getattr(LOG, c)), 0) for c in ROLLUP_MONEY]
    query = select(*keys, *sums).group_by(*keys)
    if days:
        query = query.where(day.in_(sorted(days)))
    return query


def rebuild(session, days: set[date] | None = None) -> int:
    """Rebuild the rollup (all of it, or the given days) from the usage log."""
    target = delete(UsageDaily)
    if days:
        target = target.where(UsageDaily.day.in_(sorted(days)))
    session.execute(target)
    rows = session.execute(_grouped(days)).all()
    for row in rows:
        values = dict(zip(_COLUMNS, row, strict=True))
        day = values["day"]
        values["day"] = day if isinstance(day, date) else date.fromisoformat(str(day))
        session.add(UsageDaily(**values))
    session.flush()
    return len(rows)


def differences(session) -> list[tuple[int, str]]:
    """(account id, what) where the rollup and the usage log disagree; empty when they agree."""
    expected = {}
    for row in session.execute(_grouped()).all():
        key = (str(row[0]), *row[1:7])
        expected[key] = tuple(row[7:])
    found = {}
    for r in session.execute(select(UsageDaily)).scalars():
        key = (
            r.day.isoformat(),
            r.account_id,
            r.model_config_id,
            r.operation,
            r.provider,
            r.price_tier,
            r.status,
        )
        found[key] = tuple(getattr(r, c) for c in SUMS)
    problems = []
    for key in sorted(set(expected) | set(found), key=str):
        if expected.get(key) != found.get(key):
            day, account_id, *rest = key
            problems.append(
                (account_id, f"{day} {rest}: log {expected.get(key)}, rollup {found.get(key)}")
            )
    return problems


@event.listens_for(CreditUsageLog, "after_insert")
def _roll_up_orm_inserts(mapper, connection, target):
    """A usage row written through the ORM (rather than the meter's own statements) is
    rolled up too, on the same connection and in the same transaction."""
    connection.execute(ADD_ROW, {"row": target.id})
