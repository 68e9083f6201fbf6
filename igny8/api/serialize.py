"""JSON shapes of the API. Money travels as decimal strings, credits and tokens as integers."""

from decimal import Decimal

from .. import media
from ..billing.credits import model_rate


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
    return {"id": u.id, "email": u.email, "is_superuser": u.is_superuser, "role": u.role}


def member(u):
    """A user as the other members of its account see it."""
    return {
        "id": u.id,
        "email": u.email,
        "role": u.role,
        # invited: has not set a password yet (the invitation's link does it).
        "status": "active" if u.password_hash else "invited",
        "created_at": timestamp(u.created_at),
        "last_sign_in_at": timestamp(u.last_sign_in_at),
    }


def api_token(t):
    """An API token as its account's members see it: never the token, nor its hash."""
    return {
        "id": t.id,
        "name": t.name,
        "prefix": t.token_prefix,
        "user": t.user.email,
        "active": t.is_active,
        "created_at": timestamp(t.created_at),
        "last_used_at": timestamp(t.last_used_at),
    }


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
        # The rest of the price (cache writes, tiers, service tiers, per-image by size and
        # quality), as the catalog keeps it: docs/metering.md.
        "pricing": m.pricing,
        "tokens_per_credit": m.tokens_per_credit,
        "credits_per_image": m.credits_per_image,
        "credit_rule": model_rate(m, 1).rule,  # the rule in force (docs/metering.md)
        "credits_per_usd": m.credits_per_usd,
        "image_credits": m.image_credits,
        "context_window": m.context_window,
        "max_output_tokens": m.max_output_tokens,
        "end_of_life": m.end_of_life.isoformat() if m.end_of_life else None,
        "is_default": m.is_default,
    }


def site(s):
    return {
        "id": s.id,
        "name": s.name,
        "url": s.url,
        "wp_url": s.wp_url,
        "wp_username": s.wp_username,
        "wp_configured": bool(s.wp_app_password),
        "webhook_url": s.webhook_url,
        "webhook_configured": bool(s.webhook_secret),
        "publish_target": s.publish_target,
        "created_at": timestamp(s.created_at),
    }


def keyword(k):
    return {
        "id": k.id,
        "keyword": k.keyword,
        "volume": k.volume,
        "difficulty": k.difficulty,
        "cluster_id": k.cluster_id,
        "status": k.status,
    }


def image(i):
    return {
        "id": i.id,
        "content_id": i.content_id,
        "kind": i.kind,
        "position": i.position,
        "prompt": i.prompt,
        "caption": i.caption,
        "alt": i.alt,
        # The app's signed URL, or the provider's; never the file's path on the server.
        "url": media.image_url(i),
        "status": i.status,
        "error": i.error,
    }


def content(c, with_html=True, figures=False):
    body = {
        "id": c.id,
        "task_id": c.task_id,
        "title": c.title,
        "word_count": c.word_count,
        "meta_description": c.meta_description,
        "status": c.status,
        "images": [image(i) for i in c.images],
        "revisions": len(c.revisions),
        "updated_at": timestamp(c.updated_at),
    }
    if with_html:
        body["html"] = media.with_figures(c.html, c.images) if figures else c.html
    return body


def revision(r, with_html=True):
    body = {
        "id": r.id,
        "content_id": r.content_id,
        "title": r.title,
        "word_count": r.word_count,
        "reason": r.reason,
        "created_at": timestamp(r.created_at),
    }
    if with_html:
        body["html"] = r.html
    return body


def ledger_row(t):
    return {
        "id": t.id,
        "amount": t.amount,
        "balance_after": t.balance_after,
        "type": t.type,
        "reference": t.reference,
        "description": t.description,
        "created_at": timestamp(t.created_at),
    }
