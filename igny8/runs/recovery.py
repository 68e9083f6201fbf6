"""Taking over a run whose worker died, or redoing an item whose database connection
was lost: what was left behind is put right first, so that no item is charged twice.

The dead worker's calls are found by their request ids (``<run>.<item>.<random>``,
igny8.ai.meter): holds it never settled are given back, and each item it had charged
but not committed is redone with those credits counted as paid (``Meter.prepay``): the
provider is paid twice for such an item, the customer once.
"""

from collections import defaultdict

from sqlalchemy import func, select

from ..billing import audit
from ..extensions import db
from ..models import CreditUsageLog


def call_reference_prefix(run_id: int, item: int | None = None) -> str:
    """How the request ids of a run's calls begin (``<run>.<item>.``): the ledger finds a
    run's holds, and an item's charges, by it."""
    return f"{run_id}." if item is None else f"{run_id}.{item}."


def item_of(request_id: str) -> int | None:
    """The item a call of a run was made for, read from its request id."""
    _run, _, rest = request_id.partition(".")
    item, _, _random = rest.partition(".")
    return int(item) if item.isdigit() else None


def settle_lost_attempt(run_id: int, meter, done: set[int]) -> None:
    """Before resuming: release the holds the lost worker left open, and prepay each item
    not recorded as done for what the lost worker already charged for it."""
    audit.release_open_holds(call_reference_prefix(run_id))
    charged: dict[int, int] = defaultdict(int)
    for request_id, credits in db.session.execute(
        select(CreditUsageLog.request_id, CreditUsageLog.credits_used).where(
            CreditUsageLog.run_id == run_id, CreditUsageLog.credits_used > 0
        )
    ):
        item = item_of(request_id)
        if item is not None and item not in done:
            charged[item] += credits
    db.session.commit()
    for item, credits in charged.items():
        meter.prepay(item, credits)


def settle_lost_item(run_id: int, item: int, meter) -> None:
    """Before redoing item ``item`` after its attempt lost the database: give back the
    holds the attempt left open, and prepay the item for what its calls were charged
    (none of it was recorded for the item)."""
    audit.release_open_holds(call_reference_prefix(run_id, item))
    charged = db.session.execute(
        select(func.coalesce(func.sum(CreditUsageLog.credits_used), 0)).where(
            CreditUsageLog.run_id == run_id,
            CreditUsageLog.request_id.startswith(call_reference_prefix(run_id, item)),
        )
    ).scalar()
    db.session.commit()
    meter.prepay(item, int(charged))
