"""The normalised token usage of one provider call, whatever the provider."""

from dataclasses import dataclass, field, fields


@dataclass(frozen=True)
class Usage:
    """input_tokens counts all input (cached reads and cache writes included);
    output_tokens counts all output (reasoning included)."""

    input_tokens: int = 0
    cached_input_tokens: int = 0
    cache_write_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    images: int = 0
    # True when the provider reported nothing and igny8 counted the tokens itself.
    estimated: bool = False
    # What the provider said, kept for comparison (e.g. a cost it reports).
    raw: dict = field(default_factory=dict, compare=False)

    def __post_init__(self):
        for f in fields(self):
            if f.type in (int, "int"):
                value = getattr(self, f.name)
                if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                    raise ValueError(
                        f"Usage.{f.name} must be a non-negative integer, not {value!r}"
                    )
        if self.cached_input_tokens + self.cache_write_tokens > self.input_tokens:
            raise ValueError("cached and cache-write tokens are part of input_tokens")
        if self.reasoning_tokens > self.output_tokens:
            raise ValueError("reasoning tokens are part of output_tokens")

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens
