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


def rates(input_, output, scale="1", cache_read="0.1") -> dict:
    """Every rate of a Claude price from its input and output prices (cache reads at
    ``cache_read`` x input: 0.1, or 0.05 on the 5.5 models)."""
    base = Decimal(input_) * Decimal(scale)
    found = {"input": base, "output": Decimal(output) * Decimal(scale)}
    found.update({k: base * Decimal(r) for k, r in {**RATIOS, "cached_input": cache_read}.items()})
    return {k: format(v.normalize(), "f") for k, v in found.items()}


# Server tools billed per 1,000 requests besides their tokens.
TOOL_FEES = {"web_search": "10", "web_fetch": "0"}


def claude(
    name,
    title,
    input_,
    output,
    *,
    long_context=None,
    long_context_above=200_000,
    cache_read="0.1",
    us_geo=False,
    fast=None,
    **extra,
) -> ModelSpec:
    """``long_context``: (input, output) above ``long_context_above`` input tokens, where
    every rate switches; ``us_geo``: US-only inference costs 1.1x; ``fast``: (input,
    output) in fast mode."""
    standard = rates(input_, output, cache_read=cache_read)
    batch = {"rates": rates(input_, output, "0.5", cache_read)}
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
        above = long_context_above
        pricing["tiers"] = [
            {"above_input_tokens": above, "rates": rates(*long_context, "1", cache_read)}
        ]
        batch["tiers"] = [
            {"above_input_tokens": above, "rates": rates(*long_context, "0.5", cache_read)}
        ]
    return ModelSpec(
        name,
        "text",
        title,
        input=standard["input"],
        cached_input=standard["cached_input"],
        output=standard["output"],
        pricing=pricing,
        **{"max_output_tokens": 64_000, **extra},
    )


# What the current generation shares: US-only inference at 1.1x, a 1M-token window, and
# no output cap of igny8's own (the request's max_tokens is the cap).
NEW = {
    "us_geo": True,
    "context_window": 1_000_000,
    "max_output_tokens": None,
    "tokens_per_credit": 1000,
}

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


# The current generation, at the list prices genai-prices 0.2.3 records (the
# differential test keeps them in step); each is seeded active, none the default.
CURRENT = (
    claude("claude-opus-4-7", "Claude Opus 4.7", "5", "25", **{**NEW, "tokens_per_credit": 500}),
    claude("claude-opus-4-8", "Claude Opus 4.8", "5", "25", **{**NEW, "tokens_per_credit": 500}),
    claude("claude-opus-5", "Claude Opus 5", "5", "25", **{**NEW, "tokens_per_credit": 500}),
    claude(
        "claude-opus-5-5",
        "Claude Opus 5.5",
        "4",
        "20",
        cache_read="0.05",
        **{**NEW, "tokens_per_credit": 500},
    ),
    claude("claude-sonnet-5", "Claude Sonnet 5", "2", "10", **NEW),
    claude("claude-sonnet-5-5", "Claude Sonnet 5.5", "2", "10", cache_read="0.05", **NEW),
    claude(
        "claude-haiku-5-5",
        "Claude Haiku 5.5",
        "0.1",
        "0.5",
        long_context=("0.5", "2.5"),
        long_context_above=100_000,
        **{**NEW, "tokens_per_credit": 20_000},
    ),
)
MODELS = (*MODELS, *CURRENT)
