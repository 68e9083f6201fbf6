"""Gemini models with their list prices (USD per 1M tokens) from Google's pricing page, as
genai-prices 0.2.3 records them: cache reads 0.1x input, batch half price, Gemini 2.5 Pro
dearer above 200k prompt tokens, Google Search grounding $35 per 1,000 requests (2.5) and
$14 (3.x), image output tokens $30 per 1M (a 1024x1024 image is 1,290 tokens)."""

from igny8.plugin import ModelSpec

SEARCH_25 = {"web_search": "35"}


def batch(input_, output):
    return {"batch": {"rates": {"input": input_, "output": output}}}


MODELS = (
    ModelSpec(
        "gemini-2.5-flash",
        "text",
        "Gemini 2.5 Flash",
        input="0.3",
        cached_input="0.03",
        output="2.5",
        pricing={"service_tiers": batch("0.15", "1.25"), "tool_fees": SEARCH_25},
        context_window=1_048_576,
        max_output_tokens=65_536,
        tokens_per_credit=5_000,
    ),
    ModelSpec(
        "gemini-2.5-flash-lite",
        "text",
        "Gemini 2.5 Flash-Lite",
        input="0.1",
        cached_input="0.01",
        output="0.4",
        pricing={"service_tiers": batch("0.05", "0.2"), "tool_fees": SEARCH_25},
        context_window=1_000_000,
        max_output_tokens=65_536,
        tokens_per_credit=20_000,
    ),
    ModelSpec(
        "gemini-2.5-pro",
        "text",
        "Gemini 2.5 Pro",
        input="1.25",
        cached_input="0.125",
        output="10",
        pricing={
            "tiers": [
                {
                    "above_input_tokens": 200_000,
                    "rates": {"input": "2.5", "cached_input": "0.25", "output": "15"},
                }
            ],
            "service_tiers": {
                "batch": {
                    "rates": {"input": "0.625", "output": "5"},
                    "tiers": [
                        {"above_input_tokens": 200_000, "rates": {"input": "1.25", "output": "7.5"}}
                    ],
                }
            },
            "tool_fees": SEARCH_25,
        },
        context_window=1_048_576,
        max_output_tokens=65_536,
    ),
    ModelSpec(
        "gemini-3.5-flash",
        "text",
        "Gemini 3.5 Flash",
        input="1.5",
        cached_input="0.15",
        output="9",
        pricing={"tool_fees": {"web_search": "14"}},
        context_window=1_000_000,
        max_output_tokens=65_536,
    ),
    # Image output by tokens: its credits follow the bill; one image takes 1,290 tokens.
    ModelSpec(
        "gemini-2.5-flash-image",
        "image",
        "Gemini 2.5 Flash Image",
        input="0.3",
        output="2.5",
        pricing={
            "rates": {"image_output": "30"},
            "image_tokens": {"1024x1024": 1290},
        },
        tokens_per_credit=500,  # ~132 credits a USD, as dall-e-3's 125: an image is 6
        max_output_tokens=1290,
    ),
)
