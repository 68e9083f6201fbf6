"""Anthropic: Claude models through the official SDK's Messages API. Set
ANTHROPIC_API_KEY, or a key in admin; ANTHROPIC_BASE_URL points it at another server."""

from anthropic.types import Message

from igny8.plugin import Usage, normalise_service_tier, provider_hooks

from .provider import AnthropicProvider

PROVIDER = AnthropicProvider()


def usage_of(response) -> Usage | None:
    """Anthropic's input_tokens exclude cache reads and writes: add them."""
    if not isinstance(response, Message) or response.usage is None:
        return None
    usage = response.usage
    fresh = usage.input_tokens or 0
    cache_read = usage.cache_read_input_tokens or 0
    cache_write = usage.cache_creation_input_tokens or 0
    # Cache writes by TTL: 1-hour writes cost more than 5-minute ones.
    by_ttl = usage.cache_creation
    one_hour = (by_ttl.ephemeral_1h_input_tokens or 0) if by_ttl is not None else 0
    return Usage(
        input_tokens=fresh + cache_read + cache_write,
        cached_input_tokens=cache_read,
        cache_write_tokens=cache_write,
        cache_write_1h_tokens=min(one_hour, cache_write),
        output_tokens=usage.output_tokens or 0,
        service_tier=normalise_service_tier(usage.service_tier),
        raw=usage.model_dump(exclude_none=True),
    )


igny8_register_providers, igny8_report_usage = provider_hooks(PROVIDER, usage=usage_of)
