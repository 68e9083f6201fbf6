"""JSON shapes of the API. Money travels as decimal strings, credits and tokens as integers."""

from decimal import Decimal


def money(value: Decimal | None, places: int = 8) -> str | None:
    if value is None:
        return None
    return format(Decimal(value).quantize(Decimal(1).scaleb(-places)), "f")


def timestamp(value):
    return value.isoformat() + "Z" if value else None


def plan(p):
    return {
        "slug": p.slug,
        "name": p.name,
        "monthly_credits": p.monthly_credits,
        "allows_overrides": p.allows_overrides,
        "max_sites": p.max_sites,
        "max_keywords": p.max_keywords,
    }


def account(a):
    if a is None:
        return None
    return {
        "id": a.id,
        "name": a.name,
        "plan": plan(a.plan),
        "credits": a.credits,
        "is_active": a.is_active,
    }


def user(u):
    return {"id": u.id, "email": u.email, "is_superuser": u.is_superuser}


def module(m, enabled: bool):
    return {"key": m.key, "title": m.title, "description": m.description, "enabled": enabled}


def ai_model(m):
    return {
        "model_name": m.model_name,
        "display_name": m.display_name,
        "provider": m.provider,
        "model_type": m.model_type,
        "cost_per_1k_input": money(m.cost_per_1k_input, 10),
        "cost_per_1k_cached_input": money(
            m.cost_per_1k_cached_input
            if m.cost_per_1k_cached_input is not None
            else m.cost_per_1k_input,
            10,
        ),
        "cost_per_1k_output": money(m.cost_per_1k_output, 10),
        "cost_per_image": money(m.cost_per_image, 10),
        "tokens_per_credit": m.tokens_per_credit,
        "credits_per_image": m.credits_per_image,
        "context_window": m.context_window,
        "max_output_tokens": m.max_output_tokens,
        "is_default": m.is_default,
    }
