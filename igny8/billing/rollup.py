"""The daily usage rollup (models.UsageDaily): one upsert per metered call, in the same
transaction as its usage row; a rebuild and a check against the log for the audit."""

from datetime import date

from sqlalchemy import BigInteger, Integer, String, bindparam, delete, event, func, select, text
from sqlalchemy.types import Date

from ..models import CreditUsageLog, UsageDaily
from ..models.base import Money
from ..models.billing import ROLLUP_COUNTS, ROLLUP_KEYS, ROLLUP_MONEY

LOG = CreditUsageLog
SUMS = (*ROLLUP_COUNTS, *ROLLUP_MONEY)
_COLUMNS = (*ROLLUP_KEYS, *SUMS)


def upsert_sql(source: str) -> str:
    """INSERT ... ON CONFLICT DO UPDATE (PostgreSQL and SQLite alike) adding one call;
    ``source`` is "VALUES (...)" or a "SELECT ... FROM ..." of the same columns."""
    added = ", ".join(f"{c} = usage_daily.{c} + excluded.{c}" for c in SUMS)
    return (
        f"INSERT INTO usage_daily ({', '.join(_COLUMNS)}) {source} "
        f"ON CONFLICT ({', '.join(ROLLUP_KEYS)}) DO UPDATE SET {added}"
    )


def _param_types():
    types = {"r_day": Date(), "r_account_id": Integer(), "r_model_config_id": Integer()}
    types.update({f"r_{c}": String() for c in ("operation", "provider", "price_tier", "status")})
    types.update({f"r_{c}": BigInteger() for c in ROLLUP_COUNTS})
    types.update({f"r_{c}": Money for c in ROLLUP_MONEY})
    return types


PARAMS = _param_types()
PLACEHOLDERS = ", ".join(f":r_{c}" for c in _COLUMNS)
UPSERT = text(upsert_sql(f"VALUES ({PLACEHOLDERS})")).bindparams(
    *(bindparam(n, type_=t) for n, t in PARAMS.items())
)


def params(usage: dict) -> dict:
    """The rollup parameters of one usage row's values."""
    found = {
        "r_day": usage["created_at"].date(),
        "r_account_id": usage["account_id"],
        "r_model_config_id": usage["model_config_id"] or 0,
        "r_operation": usage["operation"],
        "r_provider": usage["provider"],
        "r_price_tier": usage.get("price_tier") or "",
        "r_status": usage["status"],
        "r_calls": 1,
    }
    for c in ROLLUP_COUNTS[1:]:
        found[f"r_{c}"] = usage.get(c) or 0
    for c in ROLLUP_MONEY:
        found[f"r_{c}"] = usage.get(c) or 0
    return found


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
    connection.execute(UPSERT, params({c.key: getattr(target, c.key) for c in mapper.columns}))
