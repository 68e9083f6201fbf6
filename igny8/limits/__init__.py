"""Limits on work in flight, enforced across every process of a deployment when Redis is
configured (LIMITS_STORAGE_URL, by default the Celery broker) and within the process
otherwise:

- how many items an account has in flight across all its runs (ACCOUNT_CONCURRENCY, or
  the account's own ``max_concurrency``): one tenant's long run cannot take every slot;
- per model (declared by the provider plugin's ModelSpec, overridden in admin): calls in
  flight, requests per minute, tokens per minute, and a pause when the provider answered
  429 with Retry-After, which holds back that model's whole queue instead of each call
  retrying on its own;
- per account and model (AccountModelLimit, set in admin): the same three, for one
  tenant's calls to that model, enforced besides the model's.

Waiting for a limit costs no credits (nothing is held while waiting) and does not make a
run look abandoned (its coordinator keeps its heartbeat). If Redis goes away the limits
fall back to this process's counts, with a warning: fewer guarantees, never none.
"""

import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass

from ..wakeups import Wakeups
from .backends import LocalCounts, RedisCounts

log = logging.getLogger(__name__)

# How long a slot's lease lasts in Redis beyond the call's own timeout: a process that
# died holding it gives it back after that.
LEASE_MARGIN = 60.0
# After a Redis failure, this process counts alone for this long before trying again.
REDIS_RETRY_SECONDS = 5.0


@dataclass(frozen=True)
class ModelLimits:
    """A model's limits as they apply (None: no limit of that kind)."""

    key: str  # "<provider>/<model>"
    concurrency: int | None = None
    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None


def check_limit(name: str, value) -> int | None:
    """A limit as set by a plugin, an admin or the config: None, or a whole number ≥ 1."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(str(value).strip())
        except ValueError:
            raise ValueError(f"{name} must be a whole number of at least 1") from None
    if value < 1:
        raise ValueError(f"{name} must be at least 1 (leave it empty for no limit), not {value}")
    return value


class Limits:
    """This app's limits (app.extensions["igny8_limits"])."""

    def __init__(self, shared=None):
        self.local = LocalCounts()
        self.shared = shared  # RedisCounts, or None
        self._redis_down_until = 0.0
        # Who waits for a key's slot: woken when one is released in this process (another
        # process's release is seen on the next try).
        self.freed = Wakeups()

    def reset(self) -> None:
        """Forget this process's counts (tests)."""
        self.local = LocalCounts()
        self._redis_down_until = 0.0

    # -- which counts answer ---------------------------------------------------------

    def _counts(self):
        if self.shared is not None and time.monotonic() >= self._redis_down_until:
            return self.shared
        return self.local

    def _ask(self, question, *args):
        """``question`` of the shared counts, or of this process's when Redis fails;
        returns (the counts that answered, the answer)."""
        counts = self._counts()
        if counts is self.shared:
            try:
                return counts, getattr(counts, question)(*args)
            except Exception as exc:  # redis-py's errors, a script error, a dead socket
                if time.monotonic() >= self._redis_down_until:
                    log.warning(
                        "limits: Redis is unreachable (%s); counting in this process only "
                        "for the next %.0f s",
                        type(exc).__name__,
                        REDIS_RETRY_SECONDS,
                    )
                self._redis_down_until = time.monotonic() + REDIS_RETRY_SECONDS
                counts = self.local
        return counts, getattr(counts, question)(*args)

    @property
    def backend(self) -> str:
        if self.shared is None:
            return "process"
        return "redis" if self._counts() is self.shared else "process (Redis unreachable)"

    # -- slots --------------------------------------------------------------------------

    def try_slot(self, key: str, limit: int, lease: float):
        """A slot under ``limit`` for ``key`` now, or None; release it with ``release``."""
        counts, token = self._ask("try_acquire", key, limit, lease)
        return None if token is None else (counts, key, token)

    def release(self, slot) -> None:
        if slot is None:
            return
        counts, key, token = slot
        try:
            counts.release(key, token)
        except Exception:  # Redis went away: the lease runs out by itself
            log.warning("limits: could not release a slot of %s; its lease will expire", key)
        self.freed.wake(key)

    # -- a model's calls -------------------------------------------------------------------

    @contextmanager
    def call(
        self,
        limits: "ModelLimits | tuple[ModelLimits, ...]",
        tokens: int,
        timeout: float,
        deadline: float | None = None,
    ):
        """Wait until a call to the model may start (a free slot, room in its per-minute
        budgets, no pause), then hold its slot while the body runs. ``deadline``
        (time.monotonic) bounds the wait: TimeoutError past it. Several limits (the
        account's own on the model, then the model's) are each waited for in turn."""
        slots = []
        try:
            for each in limits if isinstance(limits, tuple) else (limits,):
                slots.append(self._admit(each, tokens, timeout + LEASE_MARGIN, deadline))
            yield
        finally:
            for slot in slots:
                self.release(slot)

    def _admit(self, limits: ModelLimits, tokens: int, lease: float, deadline):
        key, counted = limits.key, False
        with self.freed.watching(key) as freed:
            try:
                while True:
                    wait = self._paused_for(key) or self._rate_room(key, limits, tokens)
                    slot = None
                    if not wait and limits.concurrency:
                        slot = self.try_slot(key, limits.concurrency, lease)
                        if slot is None:
                            wait = 0.25  # or sooner, when one is released here
                    if not wait:
                        self._take_rate(key, limits, tokens)
                        return slot
                    if not counted:
                        counted = True
                        self._ask("waiting", key, 1)
                    if deadline is not None and time.monotonic() + min(wait, 0.25) > deadline:
                        raise TimeoutError(f"waited too long for a free call to {key}")
                    freed.wait(min(wait, 1.0))
                    freed.clear()
            finally:
                if counted:
                    self._ask("waiting", key, -1)

    def _budgets(self, key: str, limits: ModelLimits, tokens: int):
        """The model's per-minute budgets this call draws on: (key, limit, amount)."""
        if limits.requests_per_minute:
            yield key + "#requests", limits.requests_per_minute, 1
        if limits.tokens_per_minute and tokens:
            yield key + "#tokens", limits.tokens_per_minute, tokens

    def _rate_room(self, key: str, limits: ModelLimits, tokens: int) -> float:
        """Seconds until every budget has room for this call (0: now); nothing taken, so
        a call that waits for one budget does not use up another."""
        now = time.time()
        return max(
            (
                self._ask("rate_wait", k, limit, amount, now)[1]
                for k, limit, amount in self._budgets(key, limits, tokens)
            ),
            default=0.0,
        )

    def _take_rate(self, key: str, limits: ModelLimits, tokens: int) -> None:
        now = time.time()
        for k, _limit, amount in self._budgets(key, limits, tokens):
            self._ask("take_rate", k, amount, now)

    def _paused_for(self, key: str) -> float:
        return self._ask("paused_for", key)[1]

    def pause(self, key: str, seconds: float) -> None:
        """The provider asked for a pause (429 with Retry-After): every call to the model,
        in every process, waits for it."""
        if seconds > 0:
            log.info("limits: %s paused for %.1f s (the provider asked)", key, seconds)
            self._ask("pause", key, seconds)

    def snapshot(self, key: str) -> dict:
        return self._ask("snapshot", key)[1]


def init_app(app) -> None:
    url = app.config.get("LIMITS_STORAGE_URL")
    if url is None:
        url = app.config.get("CELERY_BROKER_URL") or ""
    shared = None
    if url:
        import redis

        client = redis.Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0)
        shared = RedisCounts(client, prefix=f"{app.config['CELERY_QUEUE']}:limits:")
    app.extensions["igny8_limits"] = Limits(shared)


def current_limits(app=None) -> Limits:
    from flask import current_app

    return (app or current_app).extensions["igny8_limits"]
