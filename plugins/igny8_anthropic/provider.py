"""The Anthropic provider on the official SDK (its own retries off)."""

import inspect
import json
import threading
from contextlib import contextmanager

import anthropic

from igny8.ai.provider import Provider, ProviderError, TextRequest, TextResult, redact

# Recent SDKs (and models) dropped sampling parameters from the Messages API;
# temperature is sent only where the installed SDK still takes it.
TAKES_TEMPERATURE = (
    "temperature" in inspect.signature(anthropic.resources.messages.Messages.create).parameters
)

JSON_INSTRUCTION = "Answer with one JSON object only: no prose, no code fences."


def _message(exc, credential) -> str:
    return redact(_raw_message(exc), credential)


def _raw_message(exc) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return str(body["error"].get("message") or type(exc).__name__)
    return getattr(exc, "message", None) or type(exc).__name__


def _retry_after(exc) -> float | None:
    headers = getattr(getattr(exc, "response", None), "headers", None) or {}
    try:
        return float(headers["retry-after"])
    except (KeyError, TypeError, ValueError):
        return None


@contextmanager
def anthropic_errors(credential):
    try:
        yield
    except anthropic.APITimeoutError:
        raise ProviderError("timeout", "Anthropic did not answer in time") from None
    except (anthropic.AuthenticationError, anthropic.PermissionDeniedError) as exc:
        raise ProviderError(
            "auth_failed",
            f"Anthropic refused the key: {_message(exc, credential)}",
            status=exc.status_code,
        ) from None
    except anthropic.RateLimitError as exc:
        raise ProviderError(
            "rate_limited",
            f"Anthropic rate limit: {_message(exc, credential)}",
            retry_after=_retry_after(exc),
            status=429,
        ) from None
    except anthropic.APIConnectionError:
        raise ProviderError("unavailable", "could not connect to Anthropic") from None
    except anthropic.APIStatusError as exc:
        if exc.status_code >= 500:  # 500, and 529 "overloaded"
            raise ProviderError(
                "unavailable",
                f"Anthropic error {exc.status_code}: {_message(exc, credential)}",
                retry_after=_retry_after(exc),
                status=exc.status_code,
            ) from None
        raise ProviderError(
            "invalid_request",
            f"Anthropic rejected the request: {_message(exc, credential)}",
            status=exc.status_code,
        ) from None
    except (anthropic.APIResponseValidationError, ValueError) as exc:
        raise ProviderError(
            "bad_response", f"Anthropic sent an unreadable response ({type(exc).__name__})"
        ) from None


class AnthropicProvider(Provider):
    name = "anthropic"
    title = "Anthropic"
    description = "Claude models through the Messages API."
    model_types = ("text",)
    key_env_var = "ANTHROPIC_API_KEY"
    base_url_env_var = "ANTHROPIC_BASE_URL"

    def __init__(self):
        self._clients: dict = {}
        self._lock = threading.Lock()

    def client(self, credential, timeout: float) -> anthropic.Anthropic:
        key = (credential.api_key, credential.base_url, timeout)
        with self._lock:
            if key not in self._clients:
                self._clients[key] = anthropic.Anthropic(
                    api_key=credential.api_key,
                    base_url=credential.base_url or None,
                    timeout=timeout,
                    max_retries=0,
                )
            return self._clients[key]

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
        with anthropic_errors(credential):
            response = self.client(credential, request.timeout).messages.create(**kwargs)
        text = "".join(block.text for block in response.content if block.type == "text")
        if not text:
            raise ProviderError(
                "bad_response", "Anthropic answered with no text", response=response
            )
        return TextResult(text=text, raw=response)
