"""Offline: the embedded default provider. No network, no key: deterministic text,
JSON in the shape an operation asks for, and real PNG images, so the whole product
runs on a laptop with nothing configured. Usage is reported through the same hook
as every other provider, with tokens counted by igny8's simple tokenizer."""

from igny8.plugin import Usage, count_message_tokens, count_tokens, provider_hooks

from .provider import OfflineProvider

PROVIDER = OfflineProvider()


def usage_of(response) -> Usage:
    return Usage(
        input_tokens=count_message_tokens(response.messages),
        output_tokens=count_tokens(response.text),
        images=response.images,
    )


igny8_register_providers, igny8_report_usage = provider_hooks(PROVIDER, usage=usage_of)
