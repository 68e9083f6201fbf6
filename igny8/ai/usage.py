"""The normalised usage of one provider call, whatever the provider.

Token counts nest: ``input_tokens`` counts all input, and cache reads, cache writes and
image input are parts of it; ``output_tokens`` counts all output, and reasoning and image
output are parts of it. The pricing (igny8.billing.pricing) splits them into disjoint parts.
"""

from dataclasses import dataclass, field, fields
from decimal import Decimal

SERVICE_TIERS = ("standard", "flex", "priority", "batch")


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 0
    cached_input_tokens: int = 0  # cache reads (text and image)
    cache_write_tokens: int = 0  # cache writes, all TTLs
    output_tokens: int = 0
    reasoning_tokens: int = 0
    images: int = 0
    cache_write_1h_tokens: int = 0  # the part of cache_write_tokens kept for 1 hour
    image_input_tokens: int = 0  # input tokens that are images (cached ones included)
    cached_image_input_tokens: int = 0  # cache reads that are images
    image_output_tokens: int = 0  # output tokens that are images
    # The service tier the provider says it served ("default" is normalised to "standard");
    # None when it does not say.
    service_tier: str | None = None
    image_size: str | None = None  # e.g. "1024x1792", for per-image prices and credits
    image_quality: str | None = None  # e.g. "hd", "high"
    # The cost the provider reports for the call (Runware's includeCost), in USD; with
    # ``unreported_images`` > 0 it covers only the other images (priced from the catalog).
    reported_cost_usd: Decimal | None = None
    unreported_images: int = 0
    # Server-side tools the provider ran and bills per request, e.g. {"web_search": 3}.
    tool_requests: dict = field(default_factory=dict)
    # Where the provider ran the call (Anthropic's inference_geo, e.g. "us") and how fast
    # (its speed, e.g. "fast"): price dimensions when the model declares them.
    inference_geo: str | None = None
    speed: str | None = None
    # True when the provider reported nothing and igny8 counted the tokens itself.
    estimated: bool = False
    # What the provider said, kept for comparison.
    raw: dict = field(default_factory=dict, compare=False)

    def __post_init__(self):
        for name in _COUNTS:
            value = getattr(self, name)
            if value.__class__ is not int or value < 0:  # bool is not int here either
                if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                    raise ValueError(f"Usage.{name} must be a non-negative integer, not {value!r}")
        if self.cached_input_tokens + self.cache_write_tokens > self.input_tokens:
            raise ValueError("cached and cache-write tokens are part of input_tokens")
        if self.cache_write_1h_tokens > self.cache_write_tokens:
            raise ValueError("cache_write_1h_tokens are part of cache_write_tokens")
        if self.image_input_tokens > self.input_tokens:
            raise ValueError("image input tokens are part of input_tokens")
        if self.cached_image_input_tokens > min(self.cached_input_tokens, self.image_input_tokens):
            raise ValueError("cached image tokens are part of both cached and image input")
        if self.reasoning_tokens + self.image_output_tokens > self.output_tokens:
            raise ValueError("reasoning and image output tokens are part of output_tokens")
        if self.unreported_images > self.images:
            raise ValueError("unreported_images are part of images")
        for tool, count in self.tool_requests.items():
            if not isinstance(tool, str) or not tool:
                raise ValueError(f"Usage.tool_requests keys are tool names, not {tool!r}")
            if not isinstance(count, int) or isinstance(count, bool) or count < 0:
                raise ValueError(
                    f"Usage.tool_requests[{tool!r}] must be a non-negative integer, not {count!r}"
                )
        if self.reported_cost_usd is not None and (
            not isinstance(self.reported_cost_usd, Decimal)
            or not self.reported_cost_usd.is_finite()
            or self.reported_cost_usd < 0
        ):
            raise ValueError("reported_cost_usd must be a non-negative Decimal")

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


# Usage's counts, checked on every Usage made (looked up once: ``fields()`` is slow).
_COUNTS = tuple(f.name for f in fields(Usage) if f.type in (int, "int"))


def normalise_service_tier(value) -> str | None:
    """The provider's word for its service tier in igny8's terms ("default" -> "standard")."""
    if value is None or value == "":
        return None
    value = str(value).lower()
    return "standard" if value in ("default", "auto", "standard") else value
