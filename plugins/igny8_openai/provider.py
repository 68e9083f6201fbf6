"""The OpenAI provider on the official SDK. The SDK's own retries are off: igny8's
retry policy is the one place that decides."""

import base64
import threading
from contextlib import contextmanager

import openai

from igny8.ai.provider import (
    GeneratedImage,
    ImageRequest,
    ImageResult,
    Provider,
    ProviderError,
    TextRequest,
    TextResult,
    redact,
)

# dall-e models take quality standard|hd and a style; gpt-image models low|medium|high|auto.
GPT_IMAGE_QUALITY = {"standard": "medium", "hd": "high"}


def _retry_after(exc) -> float | None:
    headers = getattr(getattr(exc, "response", None), "headers", None) or {}
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        try:
            return float(headers[name]) * scale
        except (KeyError, TypeError, ValueError):
            continue
    return None


def _message(exc, credential) -> str:
    return redact(_raw_message(exc), credential)


def _raw_message(exc) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        detail = body.get("error", body)
        if isinstance(detail, dict) and detail.get("message"):
            return str(detail["message"])
    return getattr(exc, "message", None) or type(exc).__name__


@contextmanager
def openai_errors(credential):
    """Every SDK failure as one ProviderError."""
    try:
        yield
    except openai.APITimeoutError:
        raise ProviderError("timeout", "OpenAI did not answer in time") from None
    except (openai.AuthenticationError, openai.PermissionDeniedError) as exc:
        raise ProviderError(
            "auth_failed",
            f"OpenAI refused the key: {_message(exc, credential)}",
            status=exc.status_code,
        ) from None
    except openai.RateLimitError as exc:
        raise ProviderError(
            "rate_limited",
            f"OpenAI rate limit: {_message(exc, credential)}",
            retry_after=_retry_after(exc),
            status=429,
        ) from None
    except openai.APIConnectionError:
        raise ProviderError("unavailable", "could not connect to OpenAI") from None
    except openai.APIStatusError as exc:
        if exc.status_code >= 500:
            raise ProviderError(
                "unavailable",
                f"OpenAI error {exc.status_code}: {_message(exc, credential)}",
                retry_after=_retry_after(exc),
                status=exc.status_code,
            ) from None
        raise ProviderError(
            "invalid_request",
            f"OpenAI rejected the request: {_message(exc, credential)}",
            status=exc.status_code,
        ) from None
    except (openai.APIResponseValidationError, ValueError) as exc:
        # A 2xx whose body is not what the API promises (malformed JSON, wrong shape).
        raise ProviderError(
            "bad_response", f"OpenAI sent an unreadable response ({type(exc).__name__})"
        ) from None


class OpenAIProvider(Provider):
    name = "openai"
    title = "OpenAI"
    description = "OpenAI chat and image models, or any OpenAI-compatible server."
    model_types = ("text", "image")
    key_env_var = "OPENAI_API_KEY"
    base_url_env_var = "OPENAI_BASE_URL"

    def __init__(self):
        self._clients: dict = {}
        self._lock = threading.Lock()

    def client(self, credential, timeout: float) -> openai.OpenAI:
        """One SDK client (and connection pool) per key, server and timeout."""
        key = (credential.api_key, credential.base_url, timeout)
        with self._lock:
            if key not in self._clients:
                self._clients[key] = openai.OpenAI(
                    api_key=credential.api_key,
                    base_url=credential.base_url or None,
                    timeout=timeout,
                    max_retries=0,
                )
            return self._clients[key]

    def complete(self, request: TextRequest, credential) -> TextResult:
        kwargs = {
            "model": request.model,
            "messages": request.messages,
            "temperature": request.temperature,
            "max_tokens": request.max_tokens,
        }
        if request.json:
            kwargs["response_format"] = {"type": "json_object"}
        with openai_errors(credential):
            response = self.client(credential, request.timeout).chat.completions.create(**kwargs)
        if not response.choices or response.choices[0].message.content is None:
            raise ProviderError(
                "bad_response", "OpenAI answered with no message", response=response
            )
        return TextResult(text=response.choices[0].message.content, raw=response)

    def generate_images(self, request: ImageRequest, credential) -> ImageResult:
        kwargs = {
            "model": request.model,
            "prompt": request.prompt,
            "n": request.n,
            "size": request.size,
        }
        if request.model.startswith("gpt-image"):
            if request.quality:
                kwargs["quality"] = GPT_IMAGE_QUALITY.get(request.quality, request.quality)
        else:
            kwargs["response_format"] = "b64_json"  # dall-e URLs expire within the hour
            if request.quality:
                kwargs["quality"] = request.quality
            if request.style:
                kwargs["style"] = request.style
        with openai_errors(credential):
            response = self.client(credential, request.timeout).images.generate(**kwargs)
        images = [
            GeneratedImage(
                url=item.url, data=base64.b64decode(item.b64_json) if item.b64_json else None
            )
            for item in response.data or []
        ]
        if not images:
            raise ProviderError("bad_response", "OpenAI returned no image", response=response)
        return ImageResult(images=images, raw=response)
