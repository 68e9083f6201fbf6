"""Where limit counts live: in this process (``LocalCounts``) or in Redis, shared by every
process of a deployment (``RedisCounts``). Both answer the same four questions:

- ``try_acquire(key, limit, lease)``: a slot under a concurrency limit, or None;
- ``release(key, token)``;
- ``rate_wait(key, limit, amount, now)``: how long until ``amount`` fits in a per-minute
  budget (igny8.limits.window), and ``take_rate(key, amount, now)`` to use it: a check
  and a take, so calls that start at the same moment in several processes can overshoot
  a budget by those calls (the provider's 429 and its pause cover the rest);
- ``pause(key, seconds)`` / ``paused_for(key)``: a provider that said Retry-After.

A Redis slot is a lease (a sorted-set member scored by its expiry), so a process that
dies holding slots gives them back when the lease runs out.
"""

import itertools
import threading
import time
import uuid
from collections import defaultdict

from . import window


class LocalCounts:
    """Counts of this process only."""

    shared = False

    def __init__(self):
        self._lock = threading.Lock()
        self._slots: dict[str, set] = defaultdict(set)
        self._minutes: dict[str, dict[int, float]] = defaultdict(dict)
        self._paused: dict[str, float] = {}
        self._waiting: dict[str, int] = defaultdict(int)
        # A slot's token only has to be unique in this process: a counter, not uuid4
        # (os.urandom was a measurable share of a slot's cost).
        self._tokens = itertools.count()

    def try_acquire(self, key: str, limit: int, lease: float) -> str | None:
        with self._lock:
            slots = self._slots[key]
            if len(slots) >= limit:
                return None
            token = str(next(self._tokens))
            slots.add(token)
            return token

    def release(self, key: str, token: str) -> None:
        with self._lock:
            self._slots[key].discard(token)

    def rate_wait(self, key: str, limit: int, amount: int, now: float) -> float:
        minute = window.minute_of(now)
        with self._lock:
            counts = self._minutes[key]
            previous, current = counts.get(minute - 1, 0), counts.get(minute, 0)
        return window.wait_for_room(previous, current, now, limit, amount)

    def take_rate(self, key: str, amount: int, now: float) -> None:
        minute = window.minute_of(now)
        with self._lock:
            counts = self._minutes[key]
            counts[minute] = counts.get(minute, 0) + amount
            for old in [m for m in counts if m < minute - 1]:
                del counts[old]

    def pause(self, key: str, seconds: float) -> None:
        with self._lock:
            self._paused[key] = max(self._paused.get(key, 0.0), time.time() + seconds)

    def paused_for(self, key: str) -> float:
        until = self._paused.get(key)
        return max(0.0, until - time.time()) if until else 0.0

    def waiting(self, key: str, change: int) -> None:
        with self._lock:
            self._waiting[key] += change

    def snapshot(self, key: str) -> dict:
        now = time.time()
        minute = window.minute_of(now)
        counts = self._minutes.get(key, {})
        return {
            "in_flight": len(self._slots.get(key, ())),
            "waiting": self._waiting.get(key, 0),
            "paused_for": round(self.paused_for(key), 1),
            "last_minute": round(
                window.estimate(counts.get(minute - 1, 0), counts.get(minute, 0), now)
            ),
        }


# Drop expired leases, then add one if there is room. KEYS[1]: the set; ARGV: now,
# limit, lease seconds, token.
_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[3]), ARGV[4])
  redis.call('PEXPIRE', KEYS[1], math.ceil(tonumber(ARGV[3]) * 1000))
  return 1
end
return 0
"""


class RedisCounts:
    """Counts in Redis under ``prefix``, shared by every process that uses the same one."""

    shared = True

    def __init__(self, client, prefix: str = "igny8:limits:"):
        self.client = client
        self.prefix = prefix
        self._acquire = client.register_script(_ACQUIRE)

    def _k(self, *parts) -> str:
        return self.prefix + ":".join(str(p) for p in parts)

    def try_acquire(self, key: str, limit: int, lease: float) -> str | None:
        token = uuid.uuid4().hex
        taken = self._acquire(keys=[self._k("slots", key)], args=[time.time(), limit, lease, token])
        return token if taken else None

    def release(self, key: str, token: str) -> None:
        self.client.zrem(self._k("slots", key), token)

    def _minute_keys(self, key: str, now: float) -> list[str]:
        minute = window.minute_of(now)
        return [self._k("rate", key, minute - 1), self._k("rate", key, minute)]

    def rate_wait(self, key: str, limit: int, amount: int, now: float) -> float:
        previous, current = (int(v or 0) for v in self.client.mget(self._minute_keys(key, now)))
        return window.wait_for_room(previous, current, now, limit, amount)

    def take_rate(self, key: str, amount: int, now: float) -> None:
        current = self._minute_keys(key, now)[1]
        self.client.pipeline().incrby(current, amount).expire(current, 130).execute()

    def pause(self, key: str, seconds: float) -> None:
        k = self._k("paused", key)
        until = time.time() + seconds
        current = self.client.get(k)
        if current is None or float(current) < until:
            self.client.set(k, until, px=max(1, int(seconds * 1000)))

    def paused_for(self, key: str) -> float:
        until = self.client.get(self._k("paused", key))
        return max(0.0, float(until) - time.time()) if until else 0.0

    def waiting(self, key: str, change: int) -> None:
        k = self._k("waiting", key)
        self.client.incrby(k, change)
        self.client.expire(k, 3600)

    def snapshot(self, key: str) -> dict:
        now = time.time()
        slots = self._k("slots", key)
        self.client.zremrangebyscore(slots, "-inf", now)
        previous, current = (int(v or 0) for v in self.client.mget(self._minute_keys(key, now)))
        return {
            "in_flight": self.client.zcard(slots),
            "waiting": max(0, int(self.client.get(self._k("waiting", key)) or 0)),
            "paused_for": round(self.paused_for(key), 1),
            "last_minute": round(window.estimate(previous, current, now)),
        }
