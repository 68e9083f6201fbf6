"""Runware: fast, cheap image generation through its HTTP task API (httpx). Set
RUNWARE_API_KEY, or a key in admin. The cost Runware reports per image is the cost of
the call; the catalog price is kept beside it."""

from decimal import Decimal

from igny8.plugin import Usage, provider_hooks

from .provider import RunwareProvider, RunwareResponse

PROVIDER = RunwareProvider()


def usage_of(response) -> Usage | None:
    if not isinstance(response, RunwareResponse):  # e.g. an error's raw response
        return None
    results = response.image_results
    # Each result carries its task's cost when asked (includeCost): their sum is the bill.
    # Decimal(str(...)) keeps the figure Runware wrote, not its binary float. Results
    # without one are priced from the catalog beside it (the meter notes how many).
    costs = [
        Decimal(str(r["cost"]))
        for r in results
        if isinstance(r.get("cost"), int | float) and not isinstance(r.get("cost"), bool)
    ]
    reported = sum(costs, Decimal(0)) if costs else None
    raw = {"reported_cost_usd": str(reported)} if reported is not None else {}
    return Usage(
        images=len(results),
        reported_cost_usd=reported,
        unreported_images=len(results) - len(costs) if costs else 0,
        raw=raw,
    )


igny8_register_providers, igny8_report_usage = provider_hooks(PROVIDER, usage=usage_of)
