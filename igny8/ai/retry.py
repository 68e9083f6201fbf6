"""Bounded retries with exponential backoff for rate limits, 5xx and timeouts.

Only errors raised before a usable response arrived are retried (a provider that
answered has spent tokens: its answer is never asked for twice)."""

import random
import time
from dataclasses import dataclass

from .provider import ProviderError


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3
    base_delay: float = 0.5
    max_delay: float = 8.0
    # A Retry-After longer than this is not waited for: the call fails as rate_limited.
    max_retry_after: float = 30.0

    @classmethod
    def from_config(cls, config) -> "RetryPolicy":
        return cls(
            attempts=int(config.get("PROVIDER_MAX_ATTEMPTS", cls.attempts)),
            base_delay=float(config.get("PROVIDER_RETRY_BASE_DELAY", cls.base_delay)),
            max_delay=float(config.get("PROVIDER_RETRY_MAX_DELAY", cls.max_delay)),
            max_retry_after=float(config.get("PROVIDER_MAX_RETRY_AFTER", cls.max_retry_after)),
        )

    def delay(self, attempt: int, error: ProviderError) -> float | None:
        """Seconds to wait before the next attempt, or None to give up."""
        if not error.retryable or attempt >= self.attempts:
            return None
        if error.retry_after is not None:
            return error.retry_after if error.retry_after <= self.max_retry_after else None
        backoff = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return backoff * random.uniform(0.8, 1.2)


def call_with_retries(fn, policy: RetryPolicy, sleep=time.sleep, pause=None):
    """Call ``fn()``; returns (result, attempts). Given ``pause(seconds)``, a rate limit's
    wait pauses the model's queue (which ``fn`` waits for) instead of sleeping here."""
    attempt = 1
    while True:
        try:
            return fn(), attempt
        except ProviderError as error:
            wait = policy.delay(attempt, error)
            if wait is None:
                error.attempts = attempt
                raise
            if pause is not None and error.code == "rate_limited":
                pause(wait)
            else:
                sleep(wait)
            attempt += 1
