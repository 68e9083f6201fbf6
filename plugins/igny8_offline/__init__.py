"""Offline: the embedded default provider. No network, no key: deterministic text,
JSON in the shape an operation asks for, and real PNG images, so the whole product
runs on a laptop with nothing configured. Usage is reported through the same hook
as every other provider, with tokens counted by igny8's simple tokenizer."""

from igny8.plugin import Usage, count_message_tokens, count_tokens, hookimpl

from .provider import OfflineProvider

PROVIDER = OfflineProvider()


@hookimpl
def igny8_register_providers(register):
    register(PROVIDER)


@hookimpl
def igny8_report_usage(provider, model, response):
    return Usage(
        input_tokens=count_message_tokens(response.messages),
        output_tokens=count_tokens(response.text),
        images=response.images,
    )
