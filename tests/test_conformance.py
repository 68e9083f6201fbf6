"""The five built-in providers pass the conformance kit third-party authors use."""

import igny8_anthropic
import igny8_gemini
import igny8_offline
import igny8_openai
import igny8_runware
import pytest

from igny8.ai.provider import ModelSpec, Provider, ProviderError
from igny8.ai.usage import Usage
from igny8.testing import ProviderConformance


def test_openai_conforms(openai_server):
    kit = ProviderConformance(igny8_openai)
    kit.check_registration()
    base = openai_server.url + "/v1"
    result = kit.call_text("gpt-4o-mini", base_url=base)
    kit.check_usage("gpt-4o-mini", result.raw, Usage(input_tokens=1200, output_tokens=300))
    images = kit.call_images("gpt-image-1", base_url=base)
    assert kit.check_usage("gpt-image-1", images.raw).images == 1
    for behaviour, code in [
        ("auth", "auth_failed"),
        ("rate_limit", "rate_limited"),
        ("server_error", "unavailable"),
        ("malformed", "bad_response"),
        ("bad_request", "invalid_request"),
    ]:
        openai_server.script.append(behaviour)
        kit.check_error(code, lambda: kit.call_text("gpt-4o-mini", base_url=base))
    openai_server.slow_seconds = 0.5
    openai_server.script.append("slow")
    kit.check_error("timeout", lambda: kit.call_text("gpt-4o-mini", base_url=base, timeout=0.1))


def test_anthropic_conforms(anthropic_server):
    kit = ProviderConformance(igny8_anthropic)
    kit.check_registration()
    result = kit.call_text("claude-haiku-4-5", base_url=anthropic_server.url)
    kit.check_usage("claude-haiku-4-5", result.raw, Usage(input_tokens=200, output_tokens=500))
    for behaviour, code in [
        ("auth", "auth_failed"),
        ("rate_limit", "rate_limited"),
        ("overloaded", "unavailable"),
        ("malformed", "bad_response"),
    ]:
        anthropic_server.script.append(behaviour)
        kit.check_error(
            code, lambda: kit.call_text("claude-haiku-4-5", base_url=anthropic_server.url)
        )


def test_gemini_conforms(gemini_server):
    kit = ProviderConformance(igny8_gemini)
    kit.check_registration()
    result = kit.call_text("gemini-2.5-flash", base_url=gemini_server.url)
    kit.check_usage("gemini-2.5-flash", result.raw, Usage(input_tokens=1200, output_tokens=300))
    images = kit.call_images("gemini-2.5-flash-image", base_url=gemini_server.url, n=2)
    assert kit.check_usage("gemini-2.5-flash-image", images.raw).images == 2
    for behaviour, code in [
        ("auth", "auth_failed"),
        ("forbidden", "auth_failed"),
        ("rate_limit", "rate_limited"),
        ("server_error", "unavailable"),
        ("malformed", "bad_response"),
        ("bad_request", "invalid_request"),
    ]:
        gemini_server.script.append(behaviour)
        kit.check_error(code, lambda: kit.call_text("gemini-2.5-flash", base_url=gemini_server.url))
    gemini_server.slow_seconds = 0.5
    gemini_server.script.append("slow")
    kit.check_error(
        "timeout",
        lambda: kit.call_text("gemini-2.5-flash", base_url=gemini_server.url, timeout=0.1),
    )


def test_runware_conforms(runware_server):
    kit = ProviderConformance(igny8_runware)
    kit.check_registration()
    base = runware_server.url + "/v1"
    result = kit.call_images("runware:97@1", base_url=base, n=3)
    assert kit.check_usage("runware:97@1", result.raw).images == 3
    for behaviour, code in [
        ("auth", "auth_failed"),
        ("rate_limit", "rate_limited"),
        ("server_error", "unavailable"),
        ("malformed", "bad_response"),
    ]:
        runware_server.script.append(behaviour)
        kit.check_error(code, lambda: kit.call_images("runware:97@1", base_url=base))


def test_offline_conforms():
    kit = ProviderConformance(igny8_offline)
    kit.check_registration()
    result = kit.call_text("offline-text")
    usage = kit.check_usage("offline-text", result.raw)
    assert usage.input_tokens > 0 and usage.output_tokens > 0 and not usage.estimated
    assert kit.call_text("offline-text").text == result.text  # deterministic
    images = kit.call_images("offline-image", n=2)
    assert kit.check_usage("offline-image", images.raw).images == 2
    assert images.images[0].data.startswith(b"\x89PNG\r\n\x1a\n")


class Leaky(Provider):
    name = "leaky"
    model_types = ("text",)
    key_env_var = "LEAKY_API_KEY"

    def complete(self, request, credential):
        raise ProviderError("auth_failed", f"bad key {credential.api_key}")


class LeakyPlugin:
    from igny8 import hookimpl

    @hookimpl
    def igny8_register_providers(self, register):
        register(Leaky())

    @hookimpl
    def igny8_report_usage(self, provider, model, response):
        return {"input_tokens": 1}  # a dict, not a Usage: wrong


def test_the_kit_catches_a_leaking_key_and_a_usage_hook_without_a_usage():
    kit = ProviderConformance(LeakyPlugin())
    kit.check_registration()
    with pytest.raises(AssertionError, match="API key appears"):
        kit.check_error("auth_failed", lambda: kit.call_text("m"))
    with pytest.raises(AssertionError, match="not a Usage"):
        kit.check_usage("m", {"any": "response"})


def test_the_kit_catches_a_provider_without_its_method():
    class Lazy(Provider):
        name = "lazy"
        model_types = ("image",)

    class LazyPlugin:
        from igny8 import hookimpl

        @hookimpl
        def igny8_register_providers(self, register):
            register(Lazy())

    with pytest.raises(AssertionError, match="does not implement generate_images"):
        ProviderConformance(LazyPlugin()).check_registration()


@pytest.mark.parametrize(
    "spec, message",
    [
        (ModelSpec("m", "image", per_image="0.01"), "model_type 'image' is not one of"),
        (
            ModelSpec(
                "m",
                "text",
                pricing={"tiers": [{"above_input_tokens": 1, "rates": {"input": "-1"}}]},
            ),
            "does not validate",
        ),
        (ModelSpec("m", "text", credit_rule="cost"), "needs credits_per_usd"),
        ({"model_name": "m"}, "models are igny8.ai.provider.ModelSpec"),
    ],
)
def test_the_kit_catches_a_catalog_that_cannot_be_priced(spec, message):
    class Cataloged(Provider):
        name = "cataloged"
        model_types = ("text",)
        models = (spec,)

        def complete(self, request, credential):
            raise NotImplementedError

    class CatalogPlugin:
        from igny8 import hookimpl

        @hookimpl
        def igny8_register_providers(self, register):
            register(Cataloged())

    with pytest.raises(AssertionError, match=message):
        ProviderConformance(CatalogPlugin()).check_registration()
