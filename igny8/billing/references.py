"""A metered call's id, in one place: ``<run>.<item>.<random>`` for a call a run's item
makes, so that the ledger finds a run's holds and an item's charges by how their ids
begin (a take-over, a redone item: igny8.runs.recovery), else random. Pure."""

import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class CallReference:
    run_id: int | None = None
    item: int | None = None

    def new_id(self) -> str:
        """A fresh call id (unique: its random part)."""
        random = uuid.uuid4().hex
        if self.run_id is None or self.item is None:
            return random
        return f"{self.run_id}.{self.item}.{random[:24]}"

    def prefix(self) -> str:
        """How the ids of the run's (the item's, when given) calls begin."""
        return f"{self.run_id}." if self.item is None else f"{self.run_id}.{self.item}."

    @staticmethod
    def item_of(request_id: str) -> int | None:
        """The item a run's call was made for, read from its id (None: not a run's)."""
        _run, _, rest = request_id.partition(".")
        item, _, _random = rest.partition(".")
        return int(item) if item.isdigit() else None
