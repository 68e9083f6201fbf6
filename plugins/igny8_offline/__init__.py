"""Offline: the embedded default provider. No network, no key: deterministic text,
JSON in the shape an operation asks for, and real PNG images, so the whole product
runs on a laptop with nothing configured. Usage is reported through the same hook
as every other provider, with tokens counted by igny8's simple tokenizer."""

from igny8 import hookimpl
from igny8.ai.tokens import count_message_tokens, count_tokens
from igny8.ai.usage import Usage

from .provider import OfflineProvider, OfflineResponse

PROVIDER = OfflineProvider()


@hookimpl
def igny8_register_providers(register):
    register(PROVIDER)


@hookimpl
def igny8_report_usage(provider, model, response):
    if provider != PROVIDER.name or not isinstance(response, OfflineResponse):
        return None
    return Usage(
        input_tokens=count_message_tokens(response.messages),
        output_tokens=count_tokens(response.text),
        images=response.images,
    )
