"""Runware: fast, cheap image generation through its HTTP task API (httpx). Set
RUNWARE_API_KEY, or a key in admin. The cost Runware reports per image is kept in the
usage row's raw usage, for comparison with the catalog price."""

from igny8 import hookimpl
from igny8.ai.usage import Usage

from .provider import RunwareProvider, RunwareResponse

PROVIDER = RunwareProvider()


@hookimpl
def igny8_register_providers(register):
    register(PROVIDER)


@hookimpl
def igny8_report_usage(provider, model, response):
    if provider != PROVIDER.name or not isinstance(response, RunwareResponse):
        return None
    results = response.image_results
    costs = [r["cost"] for r in results if isinstance(r.get("cost"), int | float)]
    raw = {"reported_cost_usd": str(round(sum(costs), 8))} if costs else {}
    return Usage(images=len(results), raw=raw)
