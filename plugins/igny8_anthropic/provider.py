"""The Anthropic provider on the official SDK (its own retries off)."""

import inspect
import json

import anthropic

from igny8.plugin import ClientCache, Provider, ProviderError, TextRequest, TextResult, sdk_errors

from .catalog import MODELS

# Recent SDKs (and models) dropped sampling parameters from the Messages API;
# temperature is sent only where the installed SDK still takes it.
TAKES_TEMPERATURE = (
    "temperature" in inspect.signature(anthropic.resources.messages.Messages.create).parameters
)

JSON_INSTRUCTION = "Answer with one JSON object only: no prose, no code fences."


class AnthropicProvider(Provider):
    name = "anthropic"
    title = "Anthropic"
    description = "Claude models through the Messages API."
    model_types = ("text",)
    key_env_var = "ANTHROPIC_API_KEY"
    models = MODELS
    base_url_env_var = "ANTHROPIC_BASE_URL"

    def __init__(self):
        self._clients = ClientCache(
            lambda credential, timeout: anthropic.Anthropic(
                api_key=credential.api_key,
                base_url=credential.base_url or None,
                timeout=timeout,
                max_retries=0,
            )
        )

    def client(self, credential, timeout: float) -> anthropic.Anthropic:
        return self._clients.get(credential, timeout)

    def complete(self, request: TextRequest, credential) -> TextResult:
        # The Messages API takes the system prompt apart from the turns.
        system = [m["content"] for m in request.messages if m["role"] == "system"]
        turns = [m for m in request.messages if m["role"] != "system"]
        if request.json:
            system.append(JSON_INSTRUCTION)
            if request.json_schema:
                system.append("The JSON Schema it must follow: " + json.dumps(request.json_schema))
        kwargs = {"model": request.model, "messages": turns, "max_tokens": request.max_tokens}
        if TAKES_TEMPERATURE:
            kwargs["temperature"] = min(request.temperature, 1.0)  # Anthropic's range is 0-1
        if system:
            kwargs["system"] = "\n\n".join(system)
        with sdk_errors(anthropic, self.title, credential):
            response = self.client(credential, request.timeout).messages.create(**kwargs)
        text = "".join(block.text for block in response.content if block.type == "text")
        if not text:
            raise ProviderError(
                "bad_response", "Anthropic answered with no text", response=response
            )
        return TextResult(text=text, raw=response)
