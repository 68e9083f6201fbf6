"""What an AI provider plugin implements, and the one error type every failure maps to."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
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
    # The model's declared request options (AIModelConfig.request_options), e.g.
    # {"max_tokens_param": "max_completion_tokens", "temperature": False}.
    options: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ImageRequest:
    model: str
    prompt: str
    size: str = "1024x1024"
    quality: str | None = None
    style: str | None = None
    n: int = 1
    timeout: float = 120.0
    options: dict = field(default_factory=dict)

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
    # The size and quality the provider was asked for, when its response does not say
    # (the bill of a per-image price depends on them).
    size: str | None = None
    quality: str | None = None


@dataclass(frozen=True)
class ModelSpec:
    """A model a provider plugin declares, with its list prices and credit rates.
    `flask igny8 init` adds the ones the catalog lacks; an admin's edits always win.

    Token prices are USD per 1M tokens (as providers list them); ``pricing`` is the
    optional structure of igny8.billing.price_schema for everything else."""

    model_name: str
    model_type: str  # "text" | "image"
    display_name: str = ""
    input: Decimal | str = "0"
    cached_input: Decimal | str | None = None  # None: the input price
    output: Decimal | str = "0"
    per_image: Decimal | str = "0"
    pricing: dict | None = None
    tokens_per_credit: int = 1000
    credits_per_image: int = 1
    credit_rule: str | None = None  # tokens | images | cost (igny8.billing.credits)
    credits_per_usd: int | None = None
    image_credits: dict | None = None
    context_window: int | None = None
    max_output_tokens: int | None = None  # per image, for an image model priced by tokens
    request_options: dict | None = None
    # The provider's limits for the model (its published defaults; an admin may change
    # them): calls in flight, requests and tokens per minute. None: no limit.
    max_concurrency: int | None = None
    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None
    # A candidate for the system default of its type (the first one, by provider name,
    # becomes it when the catalog has none).
    default: bool = False
    end_of_life: date | None = None  # past it the model is seeded inactive, kept for history

    def __post_init__(self):
        from ..limits import check_limit

        for name in ("max_concurrency", "requests_per_minute", "tokens_per_minute"):
            check_limit(f"{self.model_name}: {name}", getattr(self, name))

    def columns(self) -> dict:
        """The AIModelConfig columns this spec fills (prices per 1k, as the catalog keeps them)."""
        per_1k = Decimal(1000)
        return dict(
            model_name=self.model_name,
            model_type=self.model_type,
            display_name=self.display_name or self.model_name,
            cost_per_1k_input=Decimal(str(self.input)) / per_1k,
            cost_per_1k_cached_input=None
            if self.cached_input is None
            else Decimal(str(self.cached_input)) / per_1k,
            cost_per_1k_output=Decimal(str(self.output)) / per_1k,
            cost_per_image=Decimal(str(self.per_image)),
            pricing=self.pricing,
            tokens_per_credit=self.tokens_per_credit,
            credits_per_image=self.credits_per_image,
            credit_rule=self.credit_rule,
            credits_per_usd=self.credits_per_usd,
            image_credits=self.image_credits,
            context_window=self.context_window,
            max_output_tokens=self.max_output_tokens,
            request_options=self.request_options,
            end_of_life=self.end_of_life,
            max_concurrency=self.max_concurrency,
            requests_per_minute=self.requests_per_minute,
            tokens_per_minute=self.tokens_per_minute,
        )


class Provider:
    """Base class for AI providers. Subclasses set the attributes and implement
    ``complete`` (text) and/or ``generate_images`` (image) for their ``model_types``,
    and declare their ``models`` (a tuple of ModelSpec)."""

    name: str = ""
    title: str = ""
    description: str = ""
    model_types: tuple[str, ...] = ()
    # The environment variable holding the API key (None: no key needed).
    key_env_var: str | None = None
    # The environment variable that points the provider at another server, if any.
    base_url_env_var: str | None = None
    # The models this provider serves, with their prices: its catalog.
    models: tuple[ModelSpec, ...] = ()

    def complete(self, request: TextRequest, credential: Credential) -> TextResult:
        raise ProviderError("invalid_request", f"provider {self.name} does not serve text models")

    def generate_images(self, request: ImageRequest, credential: Credential) -> ImageResult:
        raise ProviderError("invalid_request", f"provider {self.name} does not serve image models")

    def __repr__(self):
        return f"<Provider {self.name}>"
