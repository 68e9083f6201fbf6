"""The provider plugins with their real SDKs over real HTTP, against local wire-format servers."""

import igny8_anthropic
import igny8_openai
import igny8_runware
import pytest

from igny8.ai.provider import Credential, ImageRequest, ProviderError, TextRequest
from igny8.ai.usage import Usage

SECRET = "sk-live-VERY-SECRET-0123456789"
MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello"}]


def openai_call(server, behaviour="ok", json=False, timeout=5.0):
    server.script.append(behaviour)
    provider = igny8_openai.PROVIDER
    result = provider.complete(
        TextRequest("gpt-4o-mini", MESSAGES, 0.3, 256, json=json, timeout=timeout),
        Credential(SECRET, server.url + "/v1", "admin"),
    )
    return result, igny8_openai.igny8_report_usage("openai", "gpt-4o-mini", result.raw)


def test_openai_chat_and_usage(openai_server):
    result, usage = openai_call(openai_server)
    assert result.text == "Hello from the local OpenAI server."
    assert usage == Usage(input_tokens=1200, output_tokens=300)
    sent = openai_server.requests[-1]
    assert sent["headers"]["authorization"] == f"Bearer {SECRET}"
    assert sent["json"]["max_tokens"] == 256 and sent["json"]["messages"] == MESSAGES
    assert "response_format" not in sent["json"]


def test_openai_json_mode(openai_server):
    openai_server.reply_json = {"clusters": []}
    result, _ = openai_call(openai_server, json=True)
    assert result.text == '{"clusters": []}'
    assert openai_server.requests[-1]["json"]["response_format"] == {"type": "json_object"}


def test_openai_cached_and_reasoning_usage(openai_server):
    _, cached = openai_call(openai_server, "cached")
    assert (cached.input_tokens, cached.cached_input_tokens) == (
        1200,
        1000,
    )  # prompt_tokens include cached
    _, reasoning = openai_call(openai_server, "reasoning")
    assert (reasoning.output_tokens, reasoning.reasoning_tokens) == (300, 200)


def test_openai_missing_usage_is_none(openai_server):
    _, usage = openai_call(openai_server, "no_usage")
    assert usage is None


@pytest.mark.parametrize(
    "behaviour, code",
    [
        ("rate_limit", "rate_limited"),
        ("server_error", "unavailable"),
        ("auth", "auth_failed"),
        ("bad_request", "invalid_request"),
        ("malformed", "bad_response"),
        ("empty_choices", "bad_response"),
    ],
)
def test_openai_errors(openai_server, behaviour, code):
    with pytest.raises(ProviderError) as caught:
        openai_call(openai_server, behaviour)
    assert caught.value.code == code
    if behaviour == "rate_limit":
        assert caught.value.retry_after == 0


def test_openai_timeout(openai_server):
    openai_server.slow_seconds = 1.0
    with pytest.raises(ProviderError) as caught:
        openai_call(openai_server, "slow", timeout=0.2)
    assert caught.value.code == "timeout"


def test_openai_connection_refused():
    with pytest.raises(ProviderError) as caught:
        igny8_openai.PROVIDER.complete(
            TextRequest("gpt-4o-mini", MESSAGES, timeout=2),
            Credential(SECRET, "http://127.0.0.1:9/v1"),
        )
    assert caught.value.code == "unavailable"


@pytest.mark.parametrize("model, tokens", [("dall-e-3", 0), ("gpt-image-1", 4160)])
def test_openai_images(openai_server, model, tokens):
    result = igny8_openai.PROVIDER.generate_images(
        ImageRequest(model, "a lighthouse", quality="hd", style="natural", n=2),
        Credential(SECRET, openai_server.url + "/v1"),
    )
    assert len(result.images) == 2 and result.images[0].data.startswith(b"\x89PNG")
    usage = igny8_openai.igny8_report_usage("openai", model, result.raw)
    assert (usage.images, usage.output_tokens) == (2, tokens)
    sent = openai_server.requests[-1]["json"]
    if model == "dall-e-3":
        assert (sent["quality"], sent["style"], sent["response_format"]) == (
            "hd",
            "natural",
            "b64_json",
        )
    else:
        assert sent["quality"] == "high" and "style" not in sent


def anthropic_call(server, behaviour="ok", json=False, timeout=5.0):
    server.script.append(behaviour)
    result = igny8_anthropic.PROVIDER.complete(
        TextRequest(
            "claude-haiku-4-5",
            MESSAGES,
            0.3,
            256,
            json=json,
            json_schema={"type": "object"} if json else None,
            timeout=timeout,
        ),
        Credential(SECRET, server.url, "admin"),
    )
    return result, igny8_anthropic.igny8_report_usage("anthropic", "claude-haiku-4-5", result.raw)


def test_anthropic_messages_and_usage(anthropic_server):
    result, usage = anthropic_call(anthropic_server)
    assert result.text == "Hello from the local Anthropic server."
    assert usage == Usage(input_tokens=200, output_tokens=500)
    sent = anthropic_server.requests[-1]
    headers = sent["headers"]
    assert SECRET in (
        headers.get("x-api-key"),
        headers.get("authorization", "").removeprefix("Bearer "),
    )
    assert sent["json"]["system"] == "Be brief."
    assert sent["json"]["messages"] == [{"role": "user", "content": "Hello"}]


def test_anthropic_cache_reads_and_writes_are_added_to_input(anthropic_server):
    _, usage = anthropic_call(anthropic_server, "cached")
    assert (usage.input_tokens, usage.cached_input_tokens, usage.cache_write_tokens) == (
        4000,
        3000,
        800,
    )


def test_anthropic_json_instruction(anthropic_server):
    anthropic_call(anthropic_server, json=True)
    system = anthropic_server.requests[-1]["json"]["system"]
    assert "one JSON object only" in system and '"type": "object"' in system


@pytest.mark.parametrize(
    "behaviour, code",
    [
        ("rate_limit", "rate_limited"),
        ("overloaded", "unavailable"),
        ("server_error", "unavailable"),
        ("auth", "auth_failed"),
        ("bad_request", "invalid_request"),
        ("malformed", "bad_response"),
    ],
)
def test_anthropic_errors(anthropic_server, behaviour, code):
    with pytest.raises(ProviderError) as caught:
        anthropic_call(anthropic_server, behaviour)
    assert caught.value.code == code


def test_anthropic_timeout(anthropic_server):
    anthropic_server.slow_seconds = 1.0
    with pytest.raises(ProviderError) as caught:
        anthropic_call(anthropic_server, "slow", timeout=0.2)
    assert caught.value.code == "timeout"


def runware_call(server, behaviour="ok", n=2, timeout=5.0):
    server.script.append(behaviour)
    result = igny8_runware.PROVIDER.generate_images(
        ImageRequest("runware:97@1", "a red fox", size="512x768", n=n, timeout=timeout),
        Credential(SECRET, server.url + "/v1"),
    )
    return result, igny8_runware.igny8_report_usage("runware", "runware:97@1", result.raw)


def test_runware_task_api(runware_server):
    result, usage = runware_call(runware_server)
    assert len(result.images) == 2 and result.images[0].url.startswith(runware_server.url)
    assert usage.images == 2 and usage.raw == {"reported_cost_usd": "0.0026"}
    sent = runware_server.requests[-1]
    assert sent["headers"]["authorization"] == f"Bearer {SECRET}"
    (task,) = sent["json"]
    assert task["taskType"] == "imageInference" and task["positivePrompt"] == "a red fox"
    assert (
        task["width"],
        task["height"],
        task["numberResults"],
        task["outputType"],
        task["includeCost"],
        task["model"],
    ) == (512, 768, 2, "URL", True, "runware:97@1")


@pytest.mark.parametrize(
    "behaviour, code",
    [
        ("rate_limit", "rate_limited"),
        ("server_error", "unavailable"),
        ("auth", "auth_failed"),
        ("task_error", "invalid_request"),
        ("malformed", "bad_response"),
    ],
)
def test_runware_errors(runware_server, behaviour, code):
    with pytest.raises(ProviderError) as caught:
        runware_call(runware_server, behaviour)
    assert caught.value.code == code


def test_runware_timeout(runware_server):
    runware_server.slow_seconds = 1.0
    with pytest.raises(ProviderError) as caught:
        runware_call(runware_server, "slow", timeout=0.2)
    assert caught.value.code == "timeout"
