"""Runware's models. Runware reports the cost of each task (``includeCost``): that figure
is the cost of the call, the catalog price is the estimate a hold is made from, and
credits follow the cost (125 credits per USD, as dall-e-3's 5 credits for $0.04)."""

from igny8.plugin import ModelSpec

MODELS = (
    ModelSpec(
        "runware:97@1",
        "image",
        "Runware FLUX.1 dev",
        per_image="0.012",
        pricing={"provider_reported_cost": True},
        credit_rule="cost",
        credits_per_usd=125,
    ),
)
