"""The catalog `flask igny8 init` seeds: plans, the AI models the loaded provider plugins
declare (with their prices), the minimum credits the loaded operations declare.

Seeding only adds what is missing; it never changes a row an admin may have edited.
"""

import logging

from sqlalchemy import select

from . import registry
from .ai.provider import ModelSpec
from .extensions import db
from .models import (
    AIModelConfig,
    CreditCostConfig,
    GlobalIntegrationSettings,
    ModuleSetting,
    Plan,
)
from .models.catalog import PRICE_SOURCE_KEY, unpriced_parts
from .plugins import current_plugins
from .registry import RegistrationError
from .timeutil import utcnow

log = logging.getLogger(__name__)

PLANS = [
    # slug, name, monthly credits, allows overrides, max sites, max keywords
    ("free", "Free", 100, False, 1, 100),
    ("starter", "Starter", 1000, True, 3, 1000),
    ("growth", "Growth", 2000, True, 10, 5000),
    ("scale", "Scale", 5000, True, 50, 20000),
]


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


def catalog_specs(providers) -> list[tuple[str, ModelSpec]]:
    """(provider name, spec) for every model the loaded provider plugins declare, in
    provider-name order; a model name declared twice is a plugin error."""
    found, seen = [], {}
    for name in sorted(providers):
        for spec in getattr(providers[name], "models", ()) or ():
            if not isinstance(spec, ModelSpec):
                raise RegistrationError(f"provider {name!r}: {spec!r} is not a ModelSpec")
            if spec.model_name in seen:
                raise RegistrationError(
                    f"model {spec.model_name!r} is declared by {seen[spec.model_name]!r} "
                    f"and {name!r}"
                )
            seen[spec.model_name] = name
            found.append((name, spec))
    return found


def seed_models(providers) -> int:
    """Add the declared models the catalog lacks. A model already there is never
    changed: an admin's edits win over a plugin's defaults."""
    specs = catalog_specs(providers)
    missing = set(_missing(AIModelConfig.model_name, [s.model_name for _, s in specs]))
    has_default = {
        t
        for t in db.session.execute(
            select(AIModelConfig.model_type).where(AIModelConfig.is_default)
        ).scalars()
    }
    today = utcnow().date()
    db.session.info[PRICE_SOURCE_KEY] = "plugin"  # their first ModelPrice rows say so
    try:
        for order, (provider, spec) in enumerate(specs):
            if spec.model_name not in missing:
                continue
            retired = spec.end_of_life is not None and spec.end_of_life <= today
            model = AIModelConfig(**spec.columns(), provider=provider, sort_order=order)
            # Past its end of life, or with a part unpriced, a model is kept inactive.
            unpriced = unpriced_parts(model)
            if unpriced:
                log.warning(
                    "%s/%s has no %s price: added inactive (price it, or mark it free, "
                    "in admin to use it)",
                    provider,
                    spec.model_name,
                    " or ".join(unpriced),
                )
            usable = not retired and not unpriced
            model.is_default = spec.default and usable and spec.model_type not in has_default
            model.is_active = usable
            if model.is_default:
                has_default.add(spec.model_type)
            db.session.add(model)
        db.session.flush()
    finally:
        db.session.info.pop(PRICE_SOURCE_KEY, None)
    return len(missing)


def seed_operation_costs(operations) -> int:
    """A cost row for each metered operation, with the minimum credits it declares."""
    metered = {key: op for key, op in operations.items() if op.model_type is not None}
    missing = _missing(CreditCostConfig.operation, sorted(metered))
    for key in missing:
        db.session.add(
            CreditCostConfig(
                operation=key,
                min_credits=metered[key].min_credits,
                display_name=metered[key].title,
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


def seed_catalog(module_keys=None, providers=None, operations=None) -> dict[str, int]:
    """Add every missing catalog row; returns how many of each were created. By default
    for what the app's plugins register."""
    pm = current_plugins().pm
    if module_keys is None:
        module_keys = registry.modules(pm)
    if providers is None:
        providers = registry.providers(pm)
    if operations is None:
        operations = registry.operations(pm)
    created = {
        "plans": seed_plans(),
        "models": seed_models(providers),
        "operation_costs": seed_operation_costs(operations),
        "global_settings": seed_global_settings(),
        "module_settings": seed_module_settings(module_keys),
    }
    db.session.flush()
    return created
