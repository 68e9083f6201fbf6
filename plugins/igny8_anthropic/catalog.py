"""Claude models with their list prices (USD per 1M tokens), as of 2026-12-01:
https://docs.anthropic.com/en/docs/about-claude/pricing. Cache writes cost 1.25x input
for 5 minutes and 2x for 1 hour; cache reads 0.1x; batch halves every rate. Web search is
$10 per 1,000 searches, web fetch only its tokens; US-only inference (``inference_geo``
"us") costs 1.1x every token rate on Sonnet 4.6, Opus 4.6 and later; fast mode (Opus 4.6)
has its own rates, 6x the standard ones."""

from datetime import date
from decimal import Decimal

from igny8.plugin import ModelSpec

RATIOS = {"cached_input": "0.1", "cache_write_5m": "1.25", "cache_write_1h": "2"}


def rates(input_, output, scale="1") -> dict:
    """Every rate of a Claude price from its input and output prices."""
    base = Decimal(input_) * Decimal(scale)
    found = {"input": base, "output": Decimal(output) * Decimal(scale)}
    found.update({k: base * Decimal(r) for k, r in RATIOS.items()})
    return {k: format(v.normalize(), "f") for k, v in found.items()}


# Server tools billed per 1,000 requests besides their tokens.
TOOL_FEES = {"web_search": "10", "web_fetch": "0"}


def claude(
    name, title, input_, output, *, long_context=None, us_geo=False, fast=None, **extra
) -> ModelSpec:
    """``long_context``: (input, output) above 200k input tokens, where every rate switches;
    ``us_geo``: US-only inference costs 1.1x; ``fast``: (input, output) in fast mode."""
    standard = rates(input_, output)
    batch = {"rates": rates(input_, output, "0.5")}
    pricing = {
        "rates": {k: standard[k] for k in ("cache_write_5m", "cache_write_1h")},
        "service_tiers": {"batch": batch},
        "tool_fees": TOOL_FEES,
    }
    if us_geo:
        pricing["inference_geo"] = {"us": "1.1"}
    if fast:
        pricing["speeds"] = {"fast": {"rates": rates(*fast)}}
    if long_context:
        pricing["tiers"] = [{"above_input_tokens": 200_000, "rates": rates(*long_context)}]
        batch["tiers"] = [{"above_input_tokens": 200_000, "rates": rates(*long_context, "0.5")}]
    return ModelSpec(
        name,
        "text",
        title,
        input=standard["input"],
        cached_input=standard["cached_input"],
        output=standard["output"],
        pricing=pricing,
        max_output_tokens=64_000,
        **extra,
    )


MODELS = (
    claude(
        "claude-sonnet-4-6",
        "Claude Sonnet 4.6",
        "3",
        "15",
        us_geo=True,
        context_window=1_000_000,
    ),
    claude(
        "claude-opus-4-6",
        "Claude Opus 4.6",
        "5",
        "25",
        us_geo=True,
        fast=("30", "150"),
        context_window=1_000_000,
        tokens_per_credit=500,
    ),
    claude(
        "claude-sonnet-4-5",
        "Claude Sonnet 4.5 (deprecated)",
        "3",
        "15",
        long_context=("6", "22.5"),
        context_window=200_000,
        end_of_life=date(2026, 11, 30),
    ),
    claude(
        "claude-opus-4-5",
        "Claude Opus 4.5",
        "5",
        "25",
        context_window=200_000,
        tokens_per_credit=500,
        end_of_life=date(2027, 1, 22),  # announced by Anthropic
    ),
    claude(
        "claude-haiku-4-5",
        "Claude Haiku 4.5",
        "1",
        "5",
        context_window=200_000,
        tokens_per_credit=5_000,
    ),
)
