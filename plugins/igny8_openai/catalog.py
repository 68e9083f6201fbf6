"""OpenAI's models with their list prices (USD per 1M tokens, per image), as of
2026-12-01: https://platform.openai.com/docs/pricing. `flask igny8 prices sync`
compares them with the genai-prices database."""

from decimal import Decimal

from igny8.plugin import ModelSpec

# Reasoning models take max_completion_tokens and no temperature.
REASONING = {"max_tokens_param": "max_completion_tokens", "temperature": False}


def tiers(flex=None, priority=None, batch=None) -> dict:
    """Service-tier prices: each a (input, cached input, output) triple per 1M tokens;
    a None inside keeps the standard price."""
    found = {}
    for name, triple in (("flex", flex), ("priority", priority), ("batch", batch)):
        if triple:
            rates = dict(zip(("input", "cached_input", "output"), triple, strict=True))
            found[name] = {"rates": {k: v for k, v in rates.items() if v is not None}}
    # The web search tool: $10 per 1,000 calls on these models (the fee beside its tokens).
    return {"service_tiers": found, "tool_fees": {"web_search": "10"}}


def text(name, title, prices, *, context, max_output, reasoning=False, **extra) -> ModelSpec:
    input_, cached, output = prices
    return ModelSpec(
        name,
        "text",
        title,
        input=input_,
        cached_input=cached,
        output=output,
        context_window=context,
        max_output_tokens=max_output,
        request_options=REASONING if reasoning else None,
        **extra,
    )


# dall-e-3: per image by size and quality; credits follow (5 credits = $0.04).
DALL_E_3_SIZES = {
    "1024x1024": ("0.04", "0.08"),
    "1024x1792": ("0.08", "0.12"),
    "1792x1024": ("0.08", "0.12"),
}
DALL_E_3 = ModelSpec(
    "dall-e-3",
    "image",
    "DALL-E 3",
    per_image="0.04",
    pricing={
        "image_prices": {
            f"{size}/{quality}": price
            for size, prices in DALL_E_3_SIZES.items()
            for quality, price in zip(("standard", "hd"), prices, strict=True)
        }
    },
    credits_per_image=5,
    image_credits={
        f"{size}/{quality}": int(Decimal(price) * 125)
        for size, prices in DALL_E_3_SIZES.items()
        for quality, price in zip(("standard", "hd"), prices, strict=True)
    },
    default=True,
)

# The output tokens of one image by size and quality (OpenAI's table): what an answer
# without usage is estimated at.
IMAGE_TOKENS = {
    f"{size}/{quality}": tokens
    for sizes, by_quality in (
        (("1024x1024",), (272, 1056, 4160)),
        (("1024x1536", "1536x1024"), (408, 1584, 6240)),
    )
    for size in sizes
    for quality, tokens in zip(("low", "medium", "high"), by_quality, strict=True)
}

# gpt-image-1 bills tokens: text and image input, image output. Its credits follow the
# bill (one credit: 200 tokens at the average of its input and output rates); the most
# output tokens one image takes (high quality, 1024x1536) bounds the hold.
GPT_IMAGE_1 = ModelSpec(
    "gpt-image-1",
    "image",
    "GPT Image 1",
    input="5",
    cached_input="1.25",
    output="40",
    pricing={
        "rates": {"image_input": "10", "cached_image_input": "2.5", "image_output": "40"},
        "image_tokens": IMAGE_TOKENS,
        "service_tiers": {
            "batch": {
                "rates": {
                    "input": "2.5",
                    "cached_input": "0.63",
                    "output": "20",
                    "image_input": "5",
                    "cached_image_input": "1.25",
                    "image_output": "20",
                }
            }
        },
    },
    tokens_per_credit=200,
    max_output_tokens=6240,
)


MODELS = (
    text(
        "gpt-4o-mini",
        "GPT-4o mini",
        ("0.15", "0.075", "0.6"),
        context=128_000,
        max_output=16_384,
        tokens_per_credit=10_000,
        default=True,
        pricing=tiers(priority=("0.25", "0.125", "1"), batch=("0.075", None, "0.3")),
    ),
    text(
        "gpt-4o",
        "GPT-4o",
        ("2.5", "1.25", "10"),
        context=128_000,
        max_output=16_384,
        pricing=tiers(priority=("4.25", "2.125", "17"), batch=("1.25", None, "5")),
    ),
    text(
        "gpt-4.1",
        "GPT-4.1",
        ("2", "0.5", "8"),
        context=1_047_576,
        max_output=32_768,
        pricing=tiers(priority=("3.5", "0.875", "14"), batch=("1", None, "4")),
    ),
    text(
        "gpt-4.1-mini",
        "GPT-4.1 mini",
        ("0.4", "0.1", "1.6"),
        context=1_047_576,
        max_output=32_768,
        tokens_per_credit=5_000,
        pricing=tiers(priority=("0.7", "0.175", "2.8"), batch=("0.2", None, "0.8")),
    ),
    text(
        "gpt-5.1",
        "GPT-5.1",
        ("1.25", "0.125", "10"),
        context=400_000,
        max_output=128_000,
        reasoning=True,
        pricing=tiers(
            flex=("0.625", "0.0625", "5"),
            priority=("2.5", "0.25", "20"),
            batch=("0.625", "0.0625", "5"),
        ),
    ),
    text(
        "gpt-5.2",
        "GPT-5.2",
        ("1.75", "0.175", "14"),
        context=400_000,
        max_output=128_000,
        reasoning=True,
        pricing=tiers(
            flex=("0.875", "0.0875", "7"),
            priority=("3.5", "0.35", "28"),
            batch=("0.875", "0.0875", "7"),
        ),
    ),
    text(
        "gpt-5-mini",
        "GPT-5 mini",
        ("0.25", "0.025", "2"),
        context=400_000,
        max_output=128_000,
        reasoning=True,
        tokens_per_credit=5_000,
        pricing=tiers(
            flex=("0.125", "0.0125", "1"),
            priority=("0.45", "0.045", "3.6"),
            batch=("0.125", "0.0125", "1"),
        ),
    ),
    text(
        "o4-mini",
        "o4-mini",
        ("1.1", "0.275", "4.4"),
        context=200_000,
        max_output=100_000,
        reasoning=True,
        pricing=tiers(
            flex=("0.55", "0.138", "2.2"),
            priority=("2", "0.5", "8"),
            batch=("0.55", None, "2.2"),
        ),
    ),
    DALL_E_3,
    GPT_IMAGE_1,
)
