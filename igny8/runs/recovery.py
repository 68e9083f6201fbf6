"""Taking over a run whose worker died, or redoing an item whose database connection
was lost: what was left behind is put right first, so that no item is charged twice.

The dead worker's calls are found by their request ids (``<run>.<item>.<random>``,
igny8.ai.meter): holds it never settled are given back, and each item it had charged
but not committed is redone with those credits counted as paid (``Meter.prepay``): the
provider is paid twice for such an item, the customer once.
"""

from collections import defaultdict

from sqlalchemy import select

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


def settle_lost_attempt(run_id: int, meter, done: set[int] = frozenset(), item=None) -> None:
    """Before resuming a run, or (``item``) redoing one item whose attempt lost the
    database: release the holds the lost attempt left open, and prepay each item not
    recorded as done for what the lost attempt already charged for it."""
    prefix = call_reference_prefix(run_id, item)
    audit.release_open_holds(prefix)
    charged: dict[int, int] = defaultdict(int)
    for request_id, credits in db.session.execute(
        select(CreditUsageLog.request_id, CreditUsageLog.credits_used).where(
            CreditUsageLog.run_id == run_id,
            CreditUsageLog.request_id.startswith(prefix),
            CreditUsageLog.credits_used > 0,
        )
    ):
        position = item_of(request_id)
        if position is not None and position not in done:
            charged[position] += credits
    db.session.commit()
    for position, credits in charged.items():
        meter.prepay(position, credits)
