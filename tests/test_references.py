"""A metered call's id is built and read in one place (igny8.billing.references)."""

import re

from igny8.billing.references import CallReference


def test_a_runs_call_ids_begin_with_its_prefix_and_name_their_item():
    first, second = CallReference(12, 3).new_id(), CallReference(12, 3).new_id()
    assert first != second and re.fullmatch(r"12\.3\.[0-9a-f]{24}", first)
    assert first.startswith(CallReference(12, 3).prefix())  # the item's calls
    assert first.startswith(CallReference(12).prefix())  # the run's calls
    assert CallReference.item_of(first) == 3
    # Run 1's prefix does not take in run 12's calls, nor item 3's the item 30's.
    assert not first.startswith(CallReference(1).prefix())
    assert not CallReference(12, 30).new_id().startswith(CallReference(12, 3).prefix())


def test_a_call_outside_a_run_has_a_random_id_and_no_item():
    alone = CallReference().new_id()
    assert re.fullmatch(r"[0-9a-f]{32}", alone) and CallReference.item_of(alone) is None
    assert CallReference(7).new_id() != CallReference(7).new_id()  # a run, no item: random
