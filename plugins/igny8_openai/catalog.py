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

# The current generation, at the list prices genai-prices 0.2.3 records (the
# differential test keeps them in step); each is seeded active, none the default.
CURRENT = (
    ModelSpec(
        "gpt-4.1-nano",
        "text",
        "GPT-4.1 nano",
        input="0.1",
        cached_input="0.025",
        output="0.4",
        pricing={
            "service_tiers": {
                "priority": {"rates": {"input": "0.2", "cached_input": "0.05", "output": "0.8"}},
                "batch": {"rates": {"input": "0.05", "output": "0.2"}},
            }
        },
        context_window=1000000,
        tokens_per_credit=20000,
    ),
    ModelSpec(
        "o3",
        "text",
        "o3",
        input="2",
        cached_input="0.5",
        output="8",
        pricing={
            "service_tiers": {
                "flex": {"rates": {"input": "1", "cached_input": "0.25", "output": "4"}},
                "priority": {"rates": {"input": "3.5", "cached_input": "0.875", "output": "14"}},
                "batch": {"rates": {"input": "1", "output": "4"}},
            },
            "tool_fees": {"web_search": "10"},
        },
        context_window=200000,
        tokens_per_credit=1000,
        request_options=REASONING,
    ),
    ModelSpec(
        "gpt-5.4",
        "text",
        "GPT-5.4",
        input="2.5",
        cached_input="0.25",
        output="15",
        pricing={
            "tiers": [
                {
                    "above_input_tokens": 272000,
                    "rates": {"input": "5", "cached_input": "0.5", "output": "22.5"},
                }
            ],
            "service_tiers": {
                "flex": {
                    "rates": {"input": "1.25", "cached_input": "0.13", "output": "7.5"},
                    "tiers": [
                        {
                            "above_input_tokens": 272000,
                            "rates": {"input": "2.5", "cached_input": "0.25", "output": "11.25"},
                        }
                    ],
                },
                "priority": {"rates": {"input": "5", "cached_input": "0.5", "output": "30"}},
                "batch": {
                    "rates": {"input": "1.25", "cached_input": "0.13", "output": "7.5"},
                    "tiers": [
                        {
                            "above_input_tokens": 272000,
                            "rates": {"input": "2.5", "cached_input": "0.25", "output": "11.25"},
                        }
                    ],
                },
            },
            "tool_fees": {"web_search": "10"},
        },
        context_window=1050000,
        tokens_per_credit=500,
        request_options=REASONING,
    ),
    ModelSpec(
        "gpt-5.4-mini",
        "text",
        "GPT-5.4 mini",
        input="0.75",
        cached_input="0.075",
        output="4.5",
        pricing={
            "service_tiers": {
                "flex": {"rates": {"input": "0.375", "cached_input": "0.0375", "output": "2.25"}},
                "priority": {"rates": {"input": "1.5", "cached_input": "0.15", "output": "9"}},
                "batch": {"rates": {"input": "0.375", "cached_input": "0.0375", "output": "2.25"}},
            },
            "tool_fees": {"web_search": "10"},
        },
        context_window=400000,
        tokens_per_credit=2000,
        request_options=REASONING,
    ),
    ModelSpec(
        "gpt-5.4-nano",
        "text",
        "GPT-5.4 nano",
        input="0.2",
        cached_input="0.02",
        output="1.25",
        pricing={
            "service_tiers": {
                "flex": {"rates": {"input": "0.1", "cached_input": "0.01", "output": "0.625"}},
                "batch": {"rates": {"input": "0.1", "cached_input": "0.01", "output": "0.625"}},
            },
            "tool_fees": {"web_search": "10"},
        },
        context_window=400000,
        tokens_per_credit=5000,
        request_options=REASONING,
    ),
    ModelSpec(
        "gpt-5.5",
        "text",
        "GPT-5.5",
        input="5",
        cached_input="0.5",
        output="30",
        pricing={
            "tiers": [
                {
                    "above_input_tokens": 272000,
                    "rates": {"input": "10", "cached_input": "1", "output": "45"},
                }
            ],
            "service_tiers": {
                "flex": {
                    "rates": {"input": "2.5", "cached_input": "0.25", "output": "15"},
                    "tiers": [
                        {
                            "above_input_tokens": 272000,
                            "rates": {"input": "5", "cached_input": "0.5", "output": "22.5"},
                        }
                    ],
                },
                "priority": {"rates": {"input": "12.5", "cached_input": "1.25", "output": "75"}},
                "batch": {
                    "rates": {"input": "2.5", "cached_input": "0.25", "output": "15"},
                    "tiers": [
                        {
                            "above_input_tokens": 272000,
                            "rates": {"input": "5", "cached_input": "0.5", "output": "22.5"},
                        }
                    ],
                },
            },
            "tool_fees": {"web_search": "10"},
        },
        context_window=1000000,
        tokens_per_credit=500,
        request_options=REASONING,
    ),
    ModelSpec(
        "gpt-6-sol",
        "text",
        "GPT-6 Sol",
        input="2",
        cached_input="0.2",
        output="10",
        pricing={
            "rates": {"cache_write_5m": "2.5"},
            "tiers": [
                {
                    "above_input_tokens": 272000,
                    "rates": {
                        "input": "4",
                        "cached_input": "0.4",
                        "cache_write_5m": "5",
                        "output": "15",
                    },
                }
            ],
            "service_tiers": {
                "flex": {
                    "rates": {
                        "input": "1",
                        "cached_input": "0.1",
                        "cache_write_5m": "1.25",
                        "output": "5",
                    },
                    "tiers": [
                        {
                            "above_input_tokens": 272000,
                            "rates": {
                                "input": "2",
                                "cached_input": "0.2",
                                "cache_write_5m": "2.5",
                                "output": "7.5",
                            },
                        }
                    ],
                },
                "priority": {
                    "rates": {
                        "input": "4",
                        "cached_input": "0.4",
                        "cache_write_5m": "5",
                        "output": "20",
                    },
                    "tiers": [
                        {
                            "above_input_tokens": 272000,
                            "rates": {
                                "input": "8",
                                "cached_input": "0.8",
                                "cache_write_5m": "10",
                                "output": "30",
                            },
                        }
                    ],
                },
                "batch": {
                    "rates": {
                        "input": "1",
                        "cached_input": "0.1",
                        "cache_write_5m": "1.25",
                        "output": "5",
                    },
                    "tiers": [
                        {
                            "above_input_tokens": 272000,
                            "rates": {
                                "input": "2",
                                "cached_input": "0.2",
                                "cache_write_5m": "2.5",
                                "output": "7.5",
                            },
                        }
                    ],
                },
            },
            "tool_fees": {"web_search": "10"},
        },
        context_window=1050000,
        tokens_per_credit=1000,
        request_options=REASONING,
    ),
    ModelSpec(
        "gpt-6-luna",
        "text",
        "GPT-6 Luna",
        input="0.1",
        cached_input="0.01",
        output="0.5",
        pricing={
            "rates": {"cache_write_5m": "0.125"},
            "tiers": [
                {
                    "above_input_tokens": 272000,
                    "rates": {
                        "input": "0.2",
                        "cached_input": "0.02",
                        "cache_write_5m": "0.25",
                        "output": "0.75",
                    },
                }
            ],
            "service_tiers": {
                "flex": {
                    "rates": {
                        "input": "0.05",
                        "cached_input": "0.005",
                        "cache_write_5m": "0.0625",
                        "output": "0.25",
                    },
                    "tiers": [
                        {
                            "above_input_tokens": 272000,
                            "rates": {
                                "input": "0.1",
                                "cached_input": "0.01",
                                "cache_write_5m": "0.125",
                                "output": "0.375",
                            },
                        }
                    ],
                },
                "priority": {
                    "rates": {
                        "input": "0.2",
                        "cached_input": "0.02",
                        "cache_write_5m": "0.25",
                        "output": "1",
                    },
                    "tiers": [
                        {
                            "above_input_tokens": 272000,
                            "rates": {
                                "input": "0.4",
                                "cached_input": "0.04",
                                "cache_write_5m": "0.5",
                                "output": "1.5",
                            },
                        }
                    ],
                },
                "batch": {
                    "rates": {
                        "input": "0.05",
                        "cached_input": "0.005",
                        "cache_write_5m": "0.0625",
                        "output": "0.25",
                    },
                    "tiers": [
                        {
                            "above_input_tokens": 272000,
                            "rates": {
                                "input": "0.1",
                                "cached_input": "0.01",
                                "cache_write_5m": "0.125",
                                "output": "0.375",
                            },
                        }
                    ],
                },
            },
            "tool_fees": {"web_search": "10"},
        },
        context_window=1050000,
        tokens_per_credit=20000,
        request_options=REASONING,
    ),
    ModelSpec(
        "gpt-6.1-sol",
        "text",
        "GPT-6.1 Sol",
        input="2",
        cached_input="0.1",
        output="10",
        pricing={
            "rates": {"cache_write_5m": "2.5"},
            "tiers": [
                {
                    "above_input_tokens": 272000,
                    "rates": {
                        "input": "4",
                        "cached_input": "0.2",
                        "cache_write_5m": "5",
                        "output": "15",
                    },
                }
            ],
            "service_tiers": {
                "flex": {
                    "rates": {
                        "input": "1",
                        "cached_input": "0.05",
                        "cache_write_5m": "1.25",
                        "output": "5",
                    },
                    "tiers": [
                        {
                            "above_input_tokens": 272000,
                            "rates": {
                                "input": "2",
                                "cached_input": "0.1",
                                "cache_write_5m": "2.5",
                                "output": "7.5",
                            },
                        }
                    ],
                },
                "priority": {
                    "rates": {
                        "input": "4",
                        "cached_input": "0.2",
                        "cache_write_5m": "5",
                        "output": "20",
                    },
                    "tiers": [
                        {
                            "above_input_tokens": 272000,
                            "rates": {
                                "input": "8",
                                "cached_input": "0.4",
                                "cache_write_5m": "10",
                                "output": "30",
                            },
                        }
                    ],
                },
                "batch": {
                    "rates": {
                        "input": "1",
                        "cached_input": "0.05",
                        "cache_write_5m": "1.25",
                        "output": "5",
                    },
                    "tiers": [
                        {
                            "above_input_tokens": 272000,
                            "rates": {
                                "input": "2",
                                "cached_input": "0.1",
                                "cache_write_5m": "2.5",
                                "output": "7.5",
                            },
                        }
                    ],
                },
            },
            "tool_fees": {"web_search": "10"},
        },
        context_window=1050000,
        tokens_per_credit=1000,
        request_options=REASONING,
    ),
    ModelSpec(
        "gpt-6.1-terra",
        "text",
        "GPT-6.1 Terra",
        input="1",
        cached_input="0.05",
        output="5",
        pricing={
            "rates": {"cache_write_5m": "1.25"},
            "tiers": [
                {
                    "above_input_tokens": 272000,
                    "rates": {
                        "input": "2",
                        "cached_input": "0.1",
                        "cache_write_5m": "2.5",
                        "output": "7.5",
                    },
                }
            ],
            "service_tiers": {
                "flex": {
                    "rates": {
                        "input": "0.5",
                        "cached_input": "0.025",
                        "cache_write_5m": "0.625",
                        "output": "2.5",
                    },
                    "tiers": [
                        {
                            "above_input_tokens": 272000,
                            "rates": {
                                "input": "1",
                                "cached_input": "0.05",
                                "cache_write_5m": "1.25",
                                "output": "3.75",
                            },
                        }
                    ],
                },
                "priority": {
                    "rates": {
                        "input": "2",
                        "cached_input": "0.1",
                        "cache_write_5m": "2.5",
                        "output": "10",
                    },
                    "tiers": [
                        {
                            "above_input_tokens": 272000,
                            "rates": {
                                "input": "4",
                                "cached_input": "0.2",
                                "cache_write_5m": "5",
                                "output": "15",
                            },
                        }
                    ],
                },
                "batch": {
                    "rates": {
                        "input": "0.5",
                        "cached_input": "0.025",
                        "cache_write_5m": "0.625",
                        "output": "2.5",
                    },
                    "tiers": [
                        {
                            "above_input_tokens": 272000,
                            "rates": {
                                "input": "1",
                                "cached_input": "0.05",
                                "cache_write_5m": "1.25",
                                "output": "3.75",
                            },
                        }
                    ],
                },
            },
            "tool_fees": {"web_search": "10"},
        },
        context_window=1050000,
        tokens_per_credit=2000,
        request_options=REASONING,
    ),
)
MODELS = (*MODELS, *CURRENT)
