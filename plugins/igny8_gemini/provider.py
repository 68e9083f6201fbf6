"""The Gemini provider on Google's official ``google-genai`` SDK (generateContent), its
own retries off: igny8 retries, as for every provider."""

import json
from contextlib import contextmanager

from google import genai
from google.genai import errors, types

from igny8.plugin import (
    ClientCache,
    GeneratedImage,
    ImageRequest,
    ImageResult,
    Provider,
    ProviderError,
    TextRequest,
    TextResult,
    redact,
    retry_after,
)

from .catalog import MODELS

JSON_INSTRUCTION = "Answer with one JSON object only: no prose, no code fences."


def _transport_errors() -> tuple:
    """The HTTP library's timeout and connection errors (the SDK's own is httpx or httpx2)."""
    found_timeouts, found_connects = [], []
    for name in ("httpx2", "httpx"):
        try:
            module = __import__(name)
        except ImportError:
            continue
        found_timeouts.append(module.TimeoutException)
        found_connects.append(module.TransportError)
    return tuple(found_timeouts), tuple(found_connects)


TIMEOUTS, CONNECTION_ERRORS = _transport_errors()


@contextmanager
def gemini_errors(title: str, credential):
    """Map the SDK's exceptions to ProviderError codes (the key never in a message)."""
    try:
        yield
    except errors.APIError as exc:
        message = redact(str(exc.message or exc.status or exc.code), credential)
        code = exc.code
        status = (exc.status or "").upper()
        if code == 429 or status == "RESOURCE_EXHAUSTED":
            raise ProviderError(
                "rate_limited",
                f"{title} rate limit: {message}",
                retry_after=_retry_after(exc),
                status=429,
            ) from None
        if code in (401, 403) or "API key not valid" in message or status == "UNAUTHENTICATED":
            raise ProviderError(
                "auth_failed", f"{title} refused the key: {message}", status=code
            ) from None
        if code >= 500:
            raise ProviderError(
                "unavailable",
                f"{title} error {code}: {message}",
                retry_after=_retry_after(exc),
                status=code,
            ) from None
        raise ProviderError(
            "invalid_request", f"{title} rejected the request: {message}", status=code
        ) from None
    except TIMEOUTS:
        raise ProviderError("timeout", f"{title} did not answer in time") from None
    except CONNECTION_ERRORS:
        raise ProviderError("unavailable", f"could not connect to {title}") from None
    except ValueError as exc:  # a 2xx body the SDK cannot read
        raise ProviderError(
            "bad_response", f"{title} sent an unreadable response ({type(exc).__name__})"
        ) from None


def _retry_after(exc) -> float | None:
    return retry_after(getattr(getattr(exc, "response", None), "headers", None) or {})


class GeminiProvider(Provider):
    name = "gemini"
    title = "Google Gemini"
    description = "Gemini models through the Gemini API (generateContent)."
    model_types = ("text", "image")
    key_env_var = "GEMINI_API_KEY"
    models = MODELS
    base_url_env_var = "GEMINI_BASE_URL"

    def __init__(self):
        self._clients = ClientCache(
            lambda credential, timeout: genai.Client(
                api_key=credential.api_key,
                http_options=types.HttpOptions(
                    base_url=credential.base_url or None,
                    timeout=int(timeout * 1000),  # milliseconds
                    retry_options=types.HttpRetryOptions(attempts=1),
                ),
            )
        )

    def client(self, credential, timeout: float) -> genai.Client:
        return self._clients.get(credential, timeout)

    def complete(self, request: TextRequest, credential) -> TextResult:
        system = [m["content"] for m in request.messages if m["role"] == "system"]
        contents = [
            types.Content(
                role="model" if m["role"] == "assistant" else "user",
                parts=[types.Part(text=m["content"])],
            )
            for m in request.messages
            if m["role"] != "system"
        ]
        config = {
            "temperature": request.temperature,
            "max_output_tokens": request.max_tokens,
        }
        if request.json:
            config["response_mime_type"] = "application/json"
            system.append(JSON_INSTRUCTION)
            if request.json_schema:
                system.append("The JSON Schema it must follow: " + json.dumps(request.json_schema))
        if system:
            config["system_instruction"] = "\n\n".join(system)
        with gemini_errors(self.title, credential):
            response = self.client(credential, request.timeout).models.generate_content(
                model=request.model,
                contents=contents,
                config=types.GenerateContentConfig(**config),
            )
        text = "".join(
            part.text
            for candidate in response.candidates or []
            for part in (candidate.content.parts if candidate.content else None) or []
            if part.text and not part.thought
        )
        if not text:
            raise ProviderError("bad_response", "Gemini answered with no text", response=response)
        return TextResult(text=text, raw=response)

    def generate_images(self, request: ImageRequest, credential) -> ImageResult:
        images, responses = [], []
        for _ in range(request.n):  # one image per generateContent call
            with gemini_errors(self.title, credential):
                response = self.client(credential, request.timeout).models.generate_content(
                    model=request.model,
                    contents=request.prompt,
                    config=types.GenerateContentConfig(response_modalities=["IMAGE"]),
                )
            responses.append(response)
            for candidate in response.candidates or []:
                for part in (candidate.content.parts if candidate.content else None) or []:
                    if part.inline_data is not None and part.inline_data.data:
                        images.append(
                            GeneratedImage(
                                data=part.inline_data.data,
                                mime_type=part.inline_data.mime_type or "image/png",
                            )
                        )
        if not images:
            raise ProviderError("bad_response", "Gemini returned no image", response=responses[-1])
        return ImageResult(
            images=images, raw=GeminiImages(responses), size=request.size, quality=request.quality
        )


class GeminiImages(list):
    """The responses of one image request (one per image): their usage adds up."""
