"""Anthropic: Claude models through the official SDK's Messages API. Set
ANTHROPIC_API_KEY, or a key in admin; ANTHROPIC_BASE_URL points it at another server."""

from anthropic.types import Message

from igny8.plugin import Usage, normalise_service_tier, provider_hooks

from .provider import AnthropicProvider

PROVIDER = AnthropicProvider()


def usage_of(response) -> Usage | None:
    """Anthropic's input_tokens exclude cache reads and writes: add them. Server tools,
    the inference geography and the speed are read as price dimensions."""
    if not isinstance(response, Message) or response.usage is None:
        return None
    usage = response.usage
    fresh = usage.input_tokens or 0
    cache_read = usage.cache_read_input_tokens or 0
    cache_write = usage.cache_creation_input_tokens or 0
    # Cache writes by TTL: 1-hour writes cost more than 5-minute ones.
    by_ttl = usage.cache_creation
    one_hour = (by_ttl.ephemeral_1h_input_tokens or 0) if by_ttl is not None else 0
    # Server tools (web search, web fetch) are billed per request besides their tokens.
    server = usage.server_tool_use
    tools = {}
    if server is not None:
        for name, count in server.model_dump(exclude_none=True).items():
            if name.endswith("_requests") and isinstance(count, int) and count:
                tools[name.removesuffix("_requests")] = count
    return Usage(
        input_tokens=fresh + cache_read + cache_write,
        cached_input_tokens=cache_read,
        cache_write_tokens=cache_write,
        cache_write_1h_tokens=min(one_hour, cache_write),
        output_tokens=usage.output_tokens or 0,
        service_tier=normalise_service_tier(usage.service_tier),
        tool_requests=tools,
        # Where it ran ("us": US-only inference, dearer on newer models) and how fast.
        inference_geo=(usage.inference_geo or None) and str(usage.inference_geo).lower(),
        speed=(usage.speed or None) and str(usage.speed).lower(),
        raw=usage.model_dump(exclude_none=True),
    )


igny8_register_providers, igny8_report_usage = provider_hooks(PROVIDER, usage=usage_of)
