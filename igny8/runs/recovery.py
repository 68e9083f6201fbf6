"""Taking over a run whose worker died, or redoing an item whose database connection
was lost: what was left behind is put right first, so that no item is charged twice.

The dead worker's calls are found by their request ids (``<run>.<item>.<random>``,
igny8.billing.references): holds it never settled are given back, and each item it had charged
but not committed is redone with those credits counted as paid (``Meter.prepay``): the
provider is paid twice for such an item, the customer once.
"""

from collections import defaultdict

from sqlalchemy import select

from ..billing import audit
from ..billing.references import CallReference
from ..extensions import db
from ..models import CreditUsageLog


def settle_lost_attempt(run_id: int, meter, done: set[int] = frozenset(), item=None) -> None:
    """Before resuming a run, or (``item``) redoing one item whose attempt lost the
    database: release the holds the lost attempt left open, and prepay each item not
    recorded as done for what the lost attempt already charged for it."""
    prefix = CallReference(run_id, item).prefix()
    audit.release_open_holds(prefix)
    charged: dict[int, int] = defaultdict(int)
    for request_id, credits in db.session.execute(
        select(CreditUsageLog.request_id, CreditUsageLog.credits_used).where(
            CreditUsageLog.run_id == run_id,
            CreditUsageLog.request_id.startswith(prefix),
            CreditUsageLog.credits_used > 0,
        )
    ):
        position = CallReference.item_of(request_id)
        if position is not None and position not in done:
            charged[position] += credits
    db.session.commit()
    for position, credits in charged.items():
        meter.prepay(position, credits)
