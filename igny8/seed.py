"""The catalog `flask igny8 init` seeds: plans, AI models with prices, operation costs.

Seeding only adds what is missing; it never changes a row an admin may have edited.
"""

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from .extensions import db
from .models import (
    AIModelConfig,
    CreditCostConfig,
    GlobalIntegrationSettings,
    ModuleSetting,
    Plan,
)

D = Decimal

PLANS = [
    # slug, name, monthly credits, allows overrides, max sites, max keywords
    ("free", "Free", 100, False, 1, 100),
    ("starter", "Starter", 1000, True, 3, 1000),
    ("growth", "Growth", 2000, True, 10, 5000),
    ("scale", "Scale", 5000, True, 50, 20000),
]


@dataclass(frozen=True)
class SeedModel:
    model_name: str
    provider: str
    model_type: str
    display_name: str
    cost_per_1k_input: Decimal = D(0)
    cost_per_1k_cached_input: Decimal | None = None
    cost_per_1k_output: Decimal = D(0)
    cost_per_image: Decimal = D(0)
    tokens_per_credit: int = 1000
    credits_per_image: int = 1
    context_window: int | None = None
    max_output_tokens: int | None = None
    is_default: bool = False


MODELS = [
    SeedModel(
        "gpt-4o-mini",
        "openai",
        "text",
        "GPT-4o mini",
        D("0.00015"),
        D("0.000075"),
        D("0.0006"),
        tokens_per_credit=10_000,
        context_window=128_000,
        max_output_tokens=16_384,
        is_default=True,
    ),
    SeedModel(
        "gpt-4o",
        "openai",
        "text",
        "GPT-4o",
        D("0.0025"),
        D("0.00125"),
        D("0.01"),
        context_window=128_000,
        max_output_tokens=16_384,
    ),
    SeedModel(
        "gpt-4.1",
        "openai",
        "text",
        "GPT-4.1",
        D("0.002"),
        D("0.0005"),
        D("0.008"),
        context_window=1_047_576,
        max_output_tokens=32_768,
    ),
    SeedModel(
        "claude-sonnet-4-5",
        "anthropic",
        "text",
        "Claude Sonnet 4.5",
        D("0.003"),
        D("0.0003"),
        D("0.015"),
        context_window=200_000,
        max_output_tokens=64_000,
    ),
    SeedModel(
        "claude-haiku-4-5",
        "anthropic",
        "text",
        "Claude Haiku 4.5",
        D("0.001"),
        D("0.0001"),
        D("0.005"),
        tokens_per_credit=5_000,
        context_window=200_000,
        max_output_tokens=64_000,
    ),
    SeedModel(
        "dall-e-3",
        "openai",
        "image",
        "DALL-E 3",
        cost_per_image=D("0.04"),
        credits_per_image=5,
        is_default=True,
    ),
    SeedModel(
        "gpt-image-1",
        "openai",
        "image",
        "GPT Image 1",
        cost_per_image=D("0.042"),
        credits_per_image=5,
    ),
    SeedModel(
        "runware:97@1",
        "runware",
        "image",
        "Runware FLUX.1 dev",
        cost_per_image=D("0.012"),
        credits_per_image=1,
    ),
    SeedModel(
        "offline-text",
        "offline",
        "text",
        "Offline text (no network)",
        context_window=32_768,
        max_output_tokens=8_192,
    ),
    SeedModel("offline-image", "offline", "image", "Offline image (no network)"),
]

OPERATION_COSTS = {
    "clustering": 2,
    "idea_generation": 1,
    "content_generation": 3,
    "image_prompt_extraction": 1,
    "image_generation": 1,
    "optimization": 1,
    "linking": 1,
}


def _missing(column, wanted):
    have = set(db.session.execute(select(column)).scalars())
    return [w for w in wanted if w not in have]


def seed_plans() -> int:
    missing = _missing(Plan.slug, [p[0] for p in PLANS])
    for slug, name, credits, overrides, sites, keywords in PLANS:
        if slug in missing:
            db.session.add(
                Plan(
                    slug=slug,
                    name=name,
                    monthly_credits=credits,
                    allows_overrides=overrides,
                    max_sites=sites,
                    max_keywords=keywords,
                    is_active=True,
                )
            )
    return len(missing)


def seed_models() -> int:
    missing = set(_missing(AIModelConfig.model_name, [m.model_name for m in MODELS]))
    has_default = {
        t
        for t in db.session.execute(
            select(AIModelConfig.model_type).where(AIModelConfig.is_default)
        ).scalars()
    }
    for order, seed in enumerate(MODELS):
        if seed.model_name not in missing:
            continue
        fields = dict(seed.__dict__)
        # Never take the default away from a model an admin chose.
        fields["is_default"] = seed.is_default and seed.model_type not in has_default
        # Its first ModelPrice row is written by the price-history listener.
        db.session.add(AIModelConfig(**fields, is_active=True, sort_order=order))
    return len(missing)


def seed_operation_costs() -> int:
    missing = _missing(CreditCostConfig.operation, list(OPERATION_COSTS))
    for operation in missing:
        db.session.add(
            CreditCostConfig(
                operation=operation,
                min_credits=OPERATION_COSTS[operation],
                display_name=operation.replace("_", " ").capitalize(),
                is_active=True,
            )
        )
    return len(missing)


def seed_global_settings() -> int:
    if db.session.get(GlobalIntegrationSettings, 1) is not None:
        return 0
    GlobalIntegrationSettings.get()
    return 1


def seed_module_settings(module_keys) -> int:
    missing = _missing(ModuleSetting.module_key, sorted(module_keys))
    for key in missing:
        db.session.add(ModuleSetting(module_key=key, enabled=True))
    return len(missing)


def seed_catalog(module_keys) -> dict[str, int]:
    """Add every missing catalog row; returns how many of each were created."""
    created = {
        "plans": seed_plans(),
        "models": seed_models(),
        "operation_costs": seed_operation_costs(),
        "global_settings": seed_global_settings(),
        "module_settings": seed_module_settings(module_keys),
    }
    db.session.flush()
    return created
