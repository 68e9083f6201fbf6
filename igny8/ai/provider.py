"""What an AI provider plugin implements, and the one error type every failure maps to."""

from dataclasses import dataclass, field
from typing import Any

ERROR_CODES = (
    "auth_failed",  # no key, or the provider refused it
    "rate_limited",  # 429
    "timeout",  # no answer in time
    "bad_response",  # an answer that cannot be used (malformed, wrong shape, invalid output)
    "unavailable",  # 5xx, overloaded, connection refused
    "invalid_request",  # the provider rejected the request itself (4xx): retrying cannot help
)
RETRYABLE = frozenset({"rate_limited", "timeout", "unavailable"})


class ProviderError(Exception):
    """A provider call failed. ``message`` must never contain a secret."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        retry_after: float | None = None,
        status: int | None = None,
        response: Any = None,
    ):
        if code not in ERROR_CODES:
            raise ValueError(f"unknown provider error code {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_after = retry_after
        self.status = status
        # The raw response when one was received (its tokens were spent, so it is priced).
        self.response = response

    @property
    def retryable(self) -> bool:
        return self.code in RETRYABLE

    def __str__(self):
        return f"{self.code}: {self.message}"


@dataclass(frozen=True)
class Credential:
    api_key: str | None = None
    base_url: str | None = None
    source: str = "none"  # "admin", "environment" or "none"

    def __repr__(self):  # never show the key
        return f"Credential(source={self.source!r}, base_url={self.base_url!r}, api_key={'***' if self.api_key else None})"


def redact(text: str, credential: "Credential | None") -> str:
    """Remove the key from a message, whatever a provider or SDK put in it."""
    if credential is not None and credential.api_key and credential.api_key in text:
        text = text.replace(credential.api_key, "***")
    return text


@dataclass(frozen=True)
class TextRequest:
    model: str
    messages: list[dict]
    temperature: float = 0.7
    max_tokens: int = 1024
    # Ask for a JSON object; ``json_schema`` describes its shape when the operation has one.
    json: bool = False
    json_schema: dict | None = None
    timeout: float = 120.0


@dataclass(frozen=True)
class ImageRequest:
    model: str
    prompt: str
    size: str = "1024x1024"
    quality: str | None = None
    style: str | None = None
    n: int = 1
    timeout: float = 120.0

    @property
    def width_height(self) -> tuple[int, int]:
        width, _, height = self.size.partition("x")
        return int(width), int(height)


@dataclass(frozen=True)
class TextResult:
    text: str
    raw: Any = None  # the provider's own response object, for igny8_report_usage


@dataclass(frozen=True)
class GeneratedImage:
    url: str | None = None
    data: bytes | None = field(default=None, repr=False)
    mime_type: str = "image/png"


@dataclass(frozen=True)
class ImageResult:
    images: list[GeneratedImage]
    raw: Any = None


class Provider:
    """Base class for AI providers. Subclasses set the attributes and implement
    ``complete`` (text) and/or ``generate_images`` (image) for their ``model_types``."""

    name: str = ""
    title: str = ""
    description: str = ""
    model_types: tuple[str, ...] = ()
    # The environment variable holding the API key (None: no key needed).
    key_env_var: str | None = None
    # The environment variable that points the provider at another server, if any.
    base_url_env_var: str | None = None

    def complete(self, request: TextRequest, credential: Credential) -> TextResult:
        raise ProviderError("invalid_request", f"provider {self.name} does not serve text models")

    def generate_images(self, request: ImageRequest, credential: Credential) -> ImageResult:
        raise ProviderError("invalid_request", f"provider {self.name} does not serve image models")

    def __repr__(self):
        return f"<Provider {self.name}>"
