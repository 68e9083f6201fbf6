"""How a metered call's money is written: the hold, then the settlement (or release)
together with the call's usage row, each atomically.

Two implementations with one contract:

- ``TransactionalWriter`` (any database, SQLite included): a short transaction of a few
  statements on the meter's own connection.
- ``PostgresWriter``: each step is ONE statement (data-modifying CTEs) on an autocommit
  connection. A single statement is atomic in PostgreSQL, so this is the same guarantee
  with one round trip and one durable commit per step instead of five or six.

Both raise ``IntegrityError`` when the exactly-once index refuses a second release or
settlement of a call, and ``InsufficientCredits`` when a hold cannot be had. A settlement
or release with ``usage`` None writes the money alone (the meter's last resort when the
database refuses a usage row: igny8.ai.meter.Meter._write).
"""

import json
from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Integer, String, TypeDecorator, bindparam, insert, text

from ..models import CreditUsageLog
from ..timeutil import utcnow
from . import ledger, rollup

USAGE = CreditUsageLog.__table__
USAGE_COLUMNS = [c for c in USAGE.c if c.name != "id"]
_INSERT_USAGE = insert(USAGE).returning(USAGE.c.id)


class TransactionalWriter:
    def __init__(self, conn):
        self.conn = conn

    def hold(self, account_id: int, worst_case: int, minimum: int, reference: str) -> int:
        with self.conn.begin():
            return ledger.hold(account_id, worst_case, minimum, reference, conn=self.conn)

    def settle(self, account_id, held, charged, reference, description, usage) -> int | None:
        with self.conn.begin():
            ledger.settle(account_id, held, charged, reference, description, conn=self.conn)
            return self._insert_usage(usage) if usage is not None else None

    def release(self, account_id, held, reference, description, usage: dict | None) -> int | None:
        with self.conn.begin():
            if held:
                ledger.release(account_id, held, reference, description, conn=self.conn)
            return self._insert_usage(usage) if usage is not None else None

    def log(self, usage: dict) -> int:
        with self.conn.begin():
            return self._insert_usage(usage)

    def _insert_usage(self, usage: dict) -> int:
        """The call's usage row, and its share of the daily rollup, in one transaction."""
        row_id = self.conn.execute(_INSERT_USAGE, usage).scalar_one()
        self.conn.execute(rollup.ADD_ROW, {"row": row_id})
        return row_id


def _typed(sql: str, *names_and_types):
    return text(sql).bindparams(*(bindparam(n, type_=t) for n, t in names_and_types))


_LEDGER_COLUMNS = "account_id, amount, balance_after, type, reference, description, created_at"

_PG_HOLD = _typed(
    f"""
    WITH debit AS (
        UPDATE accounts SET credits = credits - :need
        WHERE id = :account AND credits >= :need
        RETURNING credits)
    INSERT INTO credit_transactions ({_LEDGER_COLUMNS})
    SELECT :account, -:need, credits, 'hold', :reference, NULL, :now FROM debit
    RETURNING balance_after
""",
    ("need", BigInteger()),
    ("account", Integer()),
    ("reference", String()),
)

# Return the hold, take the charge (none when :charged is 0) and, optionally, write the
# usage row: all one statement.
_PG_RETURN = f"""
    WITH balance AS (
        UPDATE accounts SET credits = credits + :held - :charged
        WHERE id = :account
        RETURNING credits),
    rows AS (
        INSERT INTO credit_transactions ({_LEDGER_COLUMNS})
        SELECT :account, :held, credits + :charged, 'release', :reference, :release_note, :now
        FROM balance WHERE :held > 0
        UNION ALL
        SELECT :account, -:charged, credits, 'settle', :reference, :settle_note, :now
        FROM balance WHERE :charged > 0)
"""
_RETURN_PARAMS = (
    ("held", BigInteger()),
    ("charged", BigInteger()),
    ("account", Integer()),
    ("reference", String()),
    ("release_note", String()),
    ("settle_note", String()),
)
_PG_RETURN_ONLY = _typed(_PG_RETURN + " SELECT credits FROM balance", *_RETURN_PARAMS)


class UsageRecord(TypeDecorator):
    """A usage row's values as one JSON parameter (json_populate_record spreads it over the
    table's columns): a statement of eight parameters, short enough for psycopg to keep
    its parse, instead of ~80. Decimals go as their exact text. A value JSON cannot hold
    fails as any refused bind value does (StatementError: the meter writes a plain row)."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return json.dumps(value, default=_json_value)


def _json_value(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a usage value")


_COLUMN_LIST = ", ".join(c.name for c in USAGE_COLUMNS)
_USAGE_ROW = f"""
    usage_row AS (
        INSERT INTO credit_usage_logs ({_COLUMN_LIST})
        SELECT {_COLUMN_LIST}
        FROM {{source}}json_populate_record(NULL::credit_usage_logs, CAST(:usage AS json))
        RETURNING *),
    rolled_up AS ({rollup.upsert_sql("usage_row")})
    SELECT id FROM usage_row"""
_USAGE_PARAM = ("usage", UsageRecord())
# The usage row and its share of the daily rollup go in the same statement.
_PG_RETURN_AND_LOG = _typed(
    _PG_RETURN + "," + _USAGE_ROW.format(source="balance, "), *_RETURN_PARAMS, _USAGE_PARAM
)
# A usage row with no ledger change (a late settlement): the row and its rollup share, one
# statement (the connection autocommits).
_PG_LOG = _typed("WITH " + _USAGE_ROW.format(source=""), _USAGE_PARAM)


class PostgresWriter(TransactionalWriter):
    def __init__(self, conn):
        super().__init__(conn.execution_options(isolation_level="AUTOCOMMIT"))

    def hold(self, account_id, worst_case, minimum, reference) -> int:
        def take(amount: int) -> bool:
            params = {"need": amount, "account": account_id, "reference": reference}
            return self.conn.execute(_PG_HOLD, {**params, "now": utcnow()}).first() is not None

        return ledger.take_what_there_is(account_id, worst_case, minimum, take, self.conn)

    def _return(self, account_id, held, charged, reference, release_note, settle_note, usage):
        params = {
            "held": held,
            "charged": charged,
            "account": account_id,
            "reference": reference,
            "release_note": release_note,
            "settle_note": settle_note,
            "now": utcnow(),
        }
        if usage is None:
            self.conn.execute(_PG_RETURN_ONLY, params)
            return None
        return self.conn.execute(_PG_RETURN_AND_LOG, {**params, "usage": usage}).scalar_one()

    def settle(self, account_id, held, charged, reference, description, usage) -> int | None:
        if charged > held:
            raise ValueError("a call is never charged more than was held for it")
        return self._return(
            account_id, held, charged, reference, "hold returned at settlement", description, usage
        )

    def release(self, account_id, held, reference, description, usage) -> int | None:
        return self._return(account_id, held, 0, reference, description, None, usage)

    def log(self, usage) -> int:
        return self.conn.execute(_PG_LOG, {"usage": usage}).scalar_one()


def writer_for(conn) -> TransactionalWriter:
    return PostgresWriter(conn) if conn.dialect.name == "postgresql" else TransactionalWriter(conn)
